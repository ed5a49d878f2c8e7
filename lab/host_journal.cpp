// host_journal.cpp — see host_journal.hpp.
#include "lab/host_journal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "src/sysctl_guard.hpp"

namespace lh::lab {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// Runs a helper to completion (bounded: 60 s, then SIGKILL); its output is discarded.
int run_quiet(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Not a zombie (dead, waiting to be reaped: nothing left to kill).
bool alive(pid_t pid) {
  const std::string stat = slurp(fmt::format("/proc/{}/stat", pid));
  const size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

}  // namespace

unsigned long long HostJournal::start_time(pid_t pid) {
  const std::string stat = slurp(fmt::format("/proc/{}/stat", pid));
  const size_t close = stat.rfind(')');  // the command name may contain spaces and parentheses
  if (close == std::string::npos) return 0;
  std::istringstream in(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 22 && in >> field; ++i) {
    if (i == 22) return std::stoull(field);
  }
  return 0;
}

HostJournal::HostJournal(fs::path state_dir, fs::path sysctl_root)
    : dir_(std::move(state_dir)), sysctl_root_(std::move(sysctl_root)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) throw std::runtime_error(fmt::format("lh-lab state directory {}: {}", dir_.string(), ec.message()));
  ::chmod(dir_.c_str(), 0700);
  const fs::path lock = dir_ / "lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw std::runtime_error(fmt::format("lh-lab lock {}: {}", lock.string(), std::strerror(errno)));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const std::string holder = slurp(lock);
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw std::runtime_error(fmt::format("another lh-lab is running (pid {}, lock {}); wait for it to finish or stop it",
                                         holder.empty() ? "?" : holder, lock.string()));
  }
  const std::string me = std::to_string(::getpid());
  if (::ftruncate(lock_fd_, 0) == 0 && ::pwrite(lock_fd_, me.data(), me.size(), 0) < 0) {
    // The pid is only for the message of a refused second run.
  }
  if (fs::exists(dir_ / "journal.jsonl") && fs::file_size(dir_ / "journal.jsonl") > 0) recovered_ = undo();
}

HostJournal::~HostJournal() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

void HostJournal::append(const std::string& json_line) {
  const fs::path p = dir_ / "journal.jsonl";
  const int fd = ::open(p.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error(fmt::format("lh-lab journal {}: {}", p.string(), std::strerror(errno)));
  const std::string line = json_line + "\n";
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) throw std::runtime_error(fmt::format("lh-lab journal {}: {}", p.string(), std::strerror(err)));
}

void HostJournal::sysctl(const std::string& key, const std::string& original) {
  append(nlohmann::json{{"type", "sysctl"}, {"key", key}, {"original", original}}.dump());
}

void HostJournal::topology(const std::string& prefix, const fs::path& script) {
  append(nlohmann::json{{"type", "topology"}, {"prefix", prefix}, {"script", fs::absolute(script).string()}}.dump());
}

void HostJournal::process(pid_t pid, const std::string& name) {
  append(nlohmann::json{{"type", "process"}, {"pid", pid}, {"start", start_time(pid)}, {"name", name}}.dump());
}

std::vector<std::string> HostJournal::undo() {
  std::vector<nlohmann::json> recs;
  std::istringstream in(slurp(dir_ / "journal.jsonl"));
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object()) recs.push_back(std::move(j));  // a line cut by the crash is skipped
  }
  std::vector<std::string> done;
  // 1. Processes still alive (and still the same process: same start time): their whole group.
  for (const auto& r : recs) {
    if (r.value("type", "") != "process") continue;
    const auto pid = r.value("pid", pid_t{0});
    if (pid <= 1 || start_time(pid) == 0 || start_time(pid) != r.value("start", 0ull) || !alive(pid)) continue;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
    done.push_back(fmt::format("killed {} (pid {})", r.value("name", std::string("?")), pid));
  }
  // 2. Topologies: anything still running in their namespaces, then the namespaces and links.
  for (const auto& r : recs) {
    if (r.value("type", "") != "topology") continue;
    const std::string prefix = r.value("prefix", std::string());
    if (prefix.empty()) continue;
    for (const char* ns : {"A", "B"}) {
      run_quiet({"bash", "-c", fmt::format("ip netns pids {}{} 2>/dev/null | xargs -r kill -9", prefix, ns)});
    }
    const int rc = run_quiet({"bash", r.value("script", std::string()), "down", "--prefix", prefix});
    done.push_back(fmt::format("removed topology {} ({})", prefix, rc == 0 ? "ok" : "script failed"));
  }
  // 3. Sysctls, newest first (the first record of a key holds its true original).
  SysctlGuard writer(sysctl_root_);
  for (auto it = recs.rbegin(); it != recs.rend(); ++it) {
    if (it->value("type", "") != "sysctl") continue;
    const std::string key = it->value("key", std::string()), original = it->value("original", std::string());
    try {
      writer.set(key, original);
      done.push_back(fmt::format("restored {} = {}", key, original));
    } catch (const std::exception& e) {
      done.push_back(fmt::format("could not restore {}: {}", key, e.what()));
    }
  }
  writer.forget();
  clear();
  return done;
}

void HostJournal::clear() {
  std::error_code ec;
  fs::remove(dir_ / "journal.jsonl", ec);
}

}  // namespace lh::lab
