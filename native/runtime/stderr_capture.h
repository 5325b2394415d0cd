// Captures what native code writes to the process's standard error (file descriptor 2) while it
// runs synchronously: Dawn prints harmless warnings there when it enumerates software Vulkan
// adapters (lavapipe), on every run of every command; the caller filters them and passes the rest on.
#pragma once
#include <string>

namespace lg {
class StderrCapture {
 public:
  StderrCapture();  // starts capturing (where the system allows; otherwise captures nothing)
  ~StderrCapture();  // restores standard error if finish() was not called
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;
  // Restores standard error and returns what was written meanwhile.
  std::string finish();

 private:
  int saved_ = -1;  // the original descriptor 2
  int sink_ = -1;   // an anonymous in-memory file standing in for it
};
}  // namespace lg
