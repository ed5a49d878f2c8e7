// trace_files.cpp — see trace_files.hpp.
#include "src/trace_files.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "src/units.hpp"

namespace lh {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

[[noreturn]] void fail(std::string_view path, const std::string& why) {
  throw ParseError(std::string(path) + ": " + why);
}

// Checks that the confined path is relative and has no ".." (a clear message before the kernel's
// RESOLVE_BENEATH, which would refuse it too).
void check_confined_name(std::string_view path) {
  if (path.empty()) fail("\"\"", "empty path");
  const std::filesystem::path p(path);
  if (p.is_absolute()) fail(path, "must be a relative path beneath the trace directory (--trace-dir), not absolute");
  for (const auto& part : p) {
    if (part == "..") fail(path, "must be a relative path beneath the trace directory (--trace-dir); \"..\" is refused");
  }
}

int open_confined(const std::filesystem::path& root, std::string_view path) {
  const Fd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0) fail(path, "the trace directory " + root.string() + " cannot be opened: " + std::strerror(errno));
  open_how how{};
  how.flags = O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  const std::string rel(path);
  const long fd = ::syscall(SYS_openat2, dir.get(), rel.c_str(), &how, sizeof how);
  if (fd < 0) {
    if (errno == EXDEV) fail(path, "leaves the trace directory (--trace-dir)");
    if (errno == ELOOP) fail(path, "is or passes through a symbolic link, which the trace directory does not follow");
    fail(path, std::string("cannot open in the trace directory: ") + std::strerror(errno));
  }
  return static_cast<int>(fd);
}

}  // namespace

TraceFileText read_trace_file(std::string_view path, const TraceFiles& files) {
  TraceFileText out;
  int fd = -1;
  switch (files.access) {
    case TraceFiles::Access::kOff:
      fail(path, "trace files over the control API are off; start lh-emu with --trace-dir DIR to allow files "
                 "beneath DIR");
    case TraceFiles::Access::kConfined:
      check_confined_name(path);
      fd = open_confined(files.dir, path);
      out.name = std::string(path);
      break;
    case TraceFiles::Access::kAny: {
      const std::filesystem::path p(path);
      const std::filesystem::path full = p.is_absolute() || files.dir.empty() ? p : files.dir / p;
      out.name = full.string();
      fd = ::open(full.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
      if (fd < 0) fail(out.name, std::string("cannot open: ") + std::strerror(errno));
      break;
    }
  }
  const Fd file(fd);
  struct stat st {};
  if (::fstat(file.get(), &st) != 0) fail(out.name, std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(out.name, "not a regular file (a device, FIFO, socket or directory is refused)");
  if (static_cast<uint64_t>(st.st_size) > files.max_bytes) {
    fail(out.name, "larger than the " + format(Bytes{files.max_bytes}) + " a trace file may have");
  }
  // Read to the cap (+1 to notice a file that grew since fstat).
  out.text.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  for (;;) {
    if (got == out.text.size()) {
      if (got > files.max_bytes) fail(out.name, "larger than the " + format(Bytes{files.max_bytes}) + " a trace file may have");
      out.text.resize(std::min<uint64_t>(files.max_bytes + 1, got + 65536));
    }
    const ssize_t n = ::read(file.get(), out.text.data() + got, out.text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(out.name, std::string("read error: ") + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > files.max_bytes) fail(out.name, "larger than the " + format(Bytes{files.max_bytes}) + " a trace file may have");
  out.text.resize(got);
  return out;
}

void throw_parse_error(const std::string& message, const TraceFileText& f, const TraceFiles& files,
                       std::string_view kind) {
  if (files.access != TraceFiles::Access::kConfined) throw ParseError(message);
  // "name:LINE: ..." — keep the location, drop the words (they may quote the file).
  std::string where = f.name;
  if (message.rfind(f.name + ":", 0) == 0) {
    const size_t start = f.name.size() + 1;
    size_t end = start;
    while (end < message.size() && message[end] >= '0' && message[end] <= '9') ++end;
    if (end > start) where += ":" + message.substr(start, end - start);
  }
  throw ParseError(where + ": not a valid " + std::string(kind) +
                   " (details withheld: errors about files loaded over the control API do not quote them; check "
                   "the file with lh-trace or a --profile on the command line)");
}

}  // namespace lh
