// Read-only memory mapping of model files, so weights are paged in from the page cache on demand
// instead of being copied into the JS heap.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lg {
struct MappedFile {
  void* addr = nullptr;
  size_t size = 0;
};
// Throws std::runtime_error naming the file and the system's reason.
MappedFile map_file_readonly(const std::string& path);
void unmap_file(void* addr, size_t size);
// Drops this process's page-table entries for the whole 2 MiB stretches of [p, p + n) (aligned, so
// that no huge mapping of the bytes around is split) where that range lies in a live mapping of
// map_file_readonly, else does nothing: for weights read once to be copied (repacked), so they stop
// counting in the process's memory. The bytes stay readable (a later read faults them back in from
// the page cache, which the system evicts as it needs).
void release_mapped(const void* p, size_t n);

// Memory for weights the engine lays out itself (repacked tiles, read as the mapped weights are, in
// long streams): 2 MiB aligned and advised MADV_HUGEPAGE before the first touch, so it faults in as
// huge pages where the system has them. Throws std::bad_alloc.
using HugeBytes = std::unique_ptr<uint8_t, void (*)(void*)>;
HugeBytes alloc_huge(size_t size);
}  // namespace lg
