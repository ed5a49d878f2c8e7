// sysctl_guard.hpp — read and set kernel sysctls, and put the original values back (RAII).
//
// The TCP baseline needs large socket buffers on long paths: SO_SNDBUF/SO_RCVBUF are capped at
// net.core.wmem_max / rmem_max, and autotuning at the third field of net.ipv4.tcp_wmem / tcp_rmem.
// The lab raises these for a run and must leave the host as it found it: every value is saved the
// first time it is set and restored (in reverse order) by restore() or the destructor. The root is
// a parameter (default /proc/sys) so tests use a temporary directory of plain files. Units: bytes.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lh {

class SysctlGuard {
 public:
  explicit SysctlGuard(std::filesystem::path root = "/proc/sys");
  ~SysctlGuard();  // restore(); an error is printed on stderr (destructors do not throw)
  SysctlGuard(const SysctlGuard&) = delete;
  SysctlGuard& operator=(const SysctlGuard&) = delete;

  // The value of `key` ("net.core.rmem_max"), whitespace runs collapsed to one space
  // ("4096 131072 6291456"). Throws std::runtime_error naming the key and file.
  std::string read(std::string_view key) const;

  // Writes `value`; the value before the first set() of `key` is saved for restore().
  void set(std::string_view key, std::string_view value);

  // Raises (never lowers) the buffer caps to at least `bytes`: net.core.rmem_max, wmem_max and the
  // maximum (third) field of net.ipv4.tcp_rmem and tcp_wmem.
  void raise_buffer_limits(uint64_t bytes);

  // Writes every saved value back, newest first, then forgets them. Tries all; throws the first error.
  void restore();
  // Forgets the saved values without writing them (the values set stay).
  void forget() { saved_.clear(); }
  // Called with (key, original) before the first change of each key: a journal outliving a crash.
  // An exception it throws stops the change.
  void on_first_set(std::function<void(const std::string&, const std::string&)> f) { on_first_set_ = std::move(f); }

  // The saved originals, in the order they were first set.
  const std::vector<std::pair<std::string, std::string>>& saved() const { return saved_; }

 private:
  std::filesystem::path path_of(std::string_view key) const;
  void write(std::string_view key, std::string_view value) const;

  std::filesystem::path root_;
  std::vector<std::pair<std::string, std::string>> saved_;
  std::function<void(const std::string&, const std::string&)> on_first_set_;
};

}  // namespace lh
