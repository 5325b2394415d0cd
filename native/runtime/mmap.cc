#include "mmap.h"
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <vector>
#ifdef _WIN32
#error "memory mapping is implemented for POSIX systems only"
#endif
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lg {
namespace {
void advise_huge_pages(void* addr, size_t size);
// The live mappings of map_file_readonly, for release_mapped: only those may lose their pages (on
// other memory MADV_DONTNEED would zero the bytes).
std::mutex g_maps_mu;
std::vector<MappedFile> g_maps;
}

MappedFile map_file_readonly(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    throw std::runtime_error("cannot stat " + path + ": " + std::strerror(e));
  }
  if (st.st_size == 0) {
    ::close(fd);
    throw std::runtime_error(path + " is empty");
  }
  void* addr = ::mmap(nullptr, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  const int e = errno;
  ::close(fd);  // the mapping keeps the file referenced
  if (addr == MAP_FAILED) throw std::runtime_error("cannot map " + path + ": " + std::strerror(e));
  advise_huge_pages(addr, (size_t)st.st_size);
  std::lock_guard<std::mutex> lk(g_maps_mu);
  g_maps.push_back({addr, (size_t)st.st_size});
  return {addr, (size_t)st.st_size};
}

void unmap_file(void* addr, size_t size) {
  if (!addr) return;
  {
    std::lock_guard<std::mutex> lk(g_maps_mu);
    for (size_t i = 0; i < g_maps.size(); i++)
      if (g_maps[i].addr == addr) {
        g_maps.erase(g_maps.begin() + (std::ptrdiff_t)i);
        break;
      }
  }
  ::munmap(addr, size);
}

void release_mapped(const void* p, size_t n) {
  constexpr uintptr_t kHuge = 2u << 20;
  const uintptr_t a = ((uintptr_t)p + kHuge - 1) / kHuge * kHuge, b = ((uintptr_t)p + n) / kHuge * kHuge;
  if (b <= a) return;
  std::lock_guard<std::mutex> lk(g_maps_mu);  // held so the mapping cannot go while advised
  for (const MappedFile& m : g_maps)
    if ((uintptr_t)m.addr <= a && b <= (uintptr_t)m.addr + m.size) {
      (void)::madvise((void*)a, b - a, MADV_DONTNEED);
      return;
    }
}

HugeBytes alloc_huge(size_t size) {
  constexpr size_t kPage = 2u << 20;
  const size_t rounded = (size + kPage - 1) / kPage * kPage;
  void* p = rounded ? std::aligned_alloc(kPage, rounded) : nullptr;
  if (!p) throw std::bad_alloc();
  advise_huge_pages(p, rounded);
  return HugeBytes((uint8_t*)p, std::free);
}

namespace {
// Weights read through 2 MiB pages decode faster: a 500M Q4_K_M file 1.07x on one thread and 1.04x
// on two, against the same file in 4 KiB pages (bench/native-notes.md section 24; one plain
// stream reads 1.25x faster so, likely because the prefetcher no longer stops every 4 KiB). Where
// the system keeps THP to madvised ranges (a common default), a file's page cache comes in as
// 2 MiB folios only when faults in a range so advised read it, or when it was written in large
// aligned pieces (aligned-chunks.ts). Advice only: where the kernel or filesystem has no huge
// pages for files it is refused or ignored, and the mapping works the same.
void advise_huge_pages(void* addr, size_t size) {
#ifdef MADV_HUGEPAGE
  (void)::madvise(addr, size, MADV_HUGEPAGE);
#else
  (void)addr;
  (void)size;
#endif
}
}  // namespace
}  // namespace lg
