// Read-only memory mapping of model files, so weights are paged in from the page cache on demand
// instead of being copied into the JS heap.
#pragma once
#include <cstddef>
#include <string>

namespace lg {
struct MappedFile {
  void* addr = nullptr;
  size_t size = 0;
};
// Throws std::runtime_error naming the file and the system's reason.
MappedFile map_file_readonly(const std::string& path);
void unmap_file(void* addr, size_t size);
}  // namespace lg
