#include "mmap.h"
#include <cerrno>
#include <cstring>
#include <stdexcept>
#ifdef _WIN32
#error "memory mapping is implemented for POSIX systems only"
#endif
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lg {
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
  return {addr, (size_t)st.st_size};
}

void unmap_file(void* addr, size_t size) {
  if (addr) ::munmap(addr, size);
}
}  // namespace lg
