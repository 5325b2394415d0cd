#include "stderr_capture.h"
#include <cstdio>
#ifdef __linux__
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace lg {
#ifdef __linux__
StderrCapture::StderrCapture() {
  std::fflush(stderr);
  // memfd: nothing reaches the disk, and a full pipe could never block the writer.
  sink_ = memfd_create("localgpt-stderr", MFD_CLOEXEC);
  if (sink_ < 0) return;
  saved_ = dup(2);
  if (saved_ < 0 || dup2(sink_, 2) < 0) {
    if (saved_ >= 0) close(saved_);
    close(sink_);
    saved_ = sink_ = -1;
  }
}

std::string StderrCapture::finish() {
  std::string out;
  if (saved_ < 0) return out;
  std::fflush(stderr);
  dup2(saved_, 2);
  close(saved_);
  saved_ = -1;
  if (lseek(sink_, 0, SEEK_SET) == 0) {
    char buf[4096];
    for (ssize_t n; (n = read(sink_, buf, sizeof buf)) > 0;) out.append(buf, (size_t)n);
  }
  close(sink_);
  sink_ = -1;
  return out;
}
#else
StderrCapture::StderrCapture() {}
std::string StderrCapture::finish() { return {}; }
#endif

StderrCapture::~StderrCapture() { finish(); }
}  // namespace lg
