// trace_files.hpp — where the trace files a profile names may be read from, and reading them safely.
//
// A profile given on the command line may name any file (relative paths resolve against the
// profile's folder). A profile or patch that arrives over lh-emu's control API comes from whoever can
// reach the socket, and lh-emu runs as root: there loading files is off unless lh-emu was started
// with --trace-dir DIR, and then only relative paths beneath DIR resolve — no "..", no absolute path,
// no symbolic link anywhere on the way (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), no device,
// FIFO or socket (opened non-blocking, regular files only), at most `max_bytes` read. Every file,
// whatever its origin, must be a regular file within the size cap, so /dev/zero or a FIFO is an
// error, never a hang or unbounded memory. Errors about a confined file never quote its contents.
// Setup-time code (allocates, throws lh::ParseError).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace lh {

inline constexpr uint64_t kDefaultTraceFileCap = uint64_t{64} << 20;   // 64 MiB

struct TraceFiles {
  enum class Access : uint8_t {
    kAny,        // command line: any path; relative ones against `dir`
    kConfined,   // control API with --trace-dir: relative paths beneath `dir` only
    kOff,        // control API without --trace-dir: no file is read
  };
  Access access = Access::kAny;
  std::filesystem::path dir;
  uint64_t max_bytes = kDefaultTraceFileCap;

  static TraceFiles any(std::filesystem::path base) { return {Access::kAny, std::move(base)}; }
  static TraceFiles confined(std::filesystem::path root) { return {Access::kConfined, std::move(root)}; }
  static TraceFiles off() { return {Access::kOff, {}}; }
};

struct TraceFileText {
  std::string name;   // the path as shown in messages and stored as the trace's source
  std::string text;
};

// Reads the file `path` names under `files`' rules. Throws ParseError naming the path and the rule
// it broke ("trace files over the control API are off: start lh-emu with --trace-dir DIR", "must be
// a relative path beneath the trace directory", "not a regular file", "larger than 64 MiB", ...).
TraceFileText read_trace_file(std::string_view path, const TraceFiles& files);

// For a confined file, a parse error of its text is replaced by one that keeps the "name:line:"
// location but not the parser's words, which may quote the file: throws that ParseError.
// `kind` names the format ("link trace"). For other files, rethrows `message` unchanged.
[[noreturn]] void throw_parse_error(const std::string& message, const TraceFileText& f, const TraceFiles& files,
                                    std::string_view kind);

}  // namespace lh
