// lcore_lease.cpp — see lcore_lease.hpp.
#include "emulator/dpdk/lcore_lease.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace lh::emu {

LcoreLease::~LcoreLease() {
  for (int fd : fds_) ::close(fd);
}

LcoreLease::LcoreLease(LcoreLease&& other) noexcept : cpus_(std::move(other.cpus_)), fds_(std::move(other.fds_)) {
  other.fds_.clear();
}

LcoreLease& LcoreLease::operator=(LcoreLease&& other) noexcept {
  if (this != &other) {
    for (int fd : fds_) ::close(fd);
    cpus_ = std::move(other.cpus_);
    fds_ = std::move(other.fds_);
    other.fds_.clear();
  }
  return *this;
}

int LcoreLease::try_lock(const std::filesystem::path& dir, unsigned cpu, std::string& holder) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::filesystem::path p = dir / fmt::format("lcore-{}.lock", cpu);
  const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(fmt::format("lh-emu: lcore lease {}: {}", p.string(), std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "?";
    ::close(fd);
    return -1;
  }
  const std::string me = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, me.data(), me.size(), 0) < 0) {
    // The pid is only for another instance's message.
  }
  return fd;
}

LcoreLease LcoreLease::free_ones(const std::vector<unsigned>& cpus, unsigned want, const std::filesystem::path& dir) {
  LcoreLease l;
  std::vector<std::string> busy;
  for (unsigned cpu : cpus) {
    if (l.cpus_.size() == want) break;
    std::string holder;
    const int fd = try_lock(dir, cpu, holder);
    if (fd < 0) {
      busy.push_back(fmt::format("{} (lh-emu pid {})", cpu, holder));
      continue;
    }
    l.cpus_.push_back(cpu);
    l.fds_.push_back(fd);
  }
  if (l.cpus_.empty()) {
    throw std::runtime_error(fmt::format(
        "lh-emu: no free core: lcores {} are in use by other instances; stop one, or give EAL's -l to choose "
        "cores (with --share-lcores to share them, at the cost of both instances' departure accuracy)",
        fmt::join(busy, ", ")));
  }
  return l;
}

LcoreLease LcoreLease::exactly(const std::vector<unsigned>& cpus, const std::filesystem::path& dir) {
  LcoreLease l;
  for (unsigned cpu : cpus) {
    std::string holder;
    const int fd = try_lock(dir, cpu, holder);
    if (fd < 0) {
      throw std::runtime_error(fmt::format(
          "lh-emu: lcore {} is in use by another lh-emu (pid {}); choose other cores with -l, or add --share-lcores "
          "to share them (both instances' departure accuracy suffers)",
          cpu, holder));
    }
    l.cpus_.push_back(cpu);
    l.fds_.push_back(fd);
  }
  return l;
}

std::string LcoreLease::eal_list() const {
  if (cpus_.empty()) return "";
  bool contiguous = true;
  for (size_t i = 1; i < cpus_.size(); ++i) contiguous &= cpus_[i] == cpus_[i - 1] + 1;
  if (cpus_.size() == 1) return std::to_string(cpus_[0]);
  if (contiguous) return fmt::format("{}-{}", cpus_.front(), cpus_.back());
  return fmt::format("{}", fmt::join(cpus_, ","));
}

std::optional<std::vector<unsigned>> parse_core_list(std::string_view list) {
  std::vector<unsigned> out;
  const auto number = [](std::string_view s, unsigned& v) {
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return ec == std::errc() && p == s.data() + s.size() && v < 4096;
  };
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view item = list.substr(pos, end - pos);
    const size_t dash = item.find('-');
    unsigned a = 0, b = 0;
    if (dash == std::string_view::npos) {
      if (!number(item, a)) return std::nullopt;
      b = a;
    } else if (!number(item.substr(0, dash), a) || !number(item.substr(dash + 1), b) || b < a) {
      return std::nullopt;
    }
    for (unsigned c = a; c <= b; ++c) out.push_back(c);
    pos = end + 1;
  }
  return out;
}

std::vector<unsigned> usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<unsigned> out;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return {0};
  for (unsigned c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) out.push_back(c);
  }
  return out;
}

}  // namespace lh::emu
