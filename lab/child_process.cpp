// child_process.cpp — fork/exec child processes with a parent-death signal; see child_process.hpp.
#include "lab/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace lh::lab {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& out,
                           const std::filesystem::path& err, const std::function<void(pid_t)>& started)
    : name_(argv.empty() ? "" : argv[0]) {
  if (argv.empty()) throw std::runtime_error("ChildProcess: empty command");
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int report[2];  // the child writes errno here if exec fails; close-on-exec, so success closes it
  if (::pipe2(report, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("cannot start '{}': pipe: {}", name_, std::strerror(errno)));
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    const int e = errno;
    ::close(report[0]), ::close(report[1]);
    throw std::runtime_error(fmt::format("cannot start '{}': fork: {}", name_, std::strerror(e)));
  }
  if (pid_ == 0) {  // the child: only async-signal-safe calls until exec
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before the signal was armed
    ::setpgid(0, 0);
    const int in = ::open("/dev/null", O_RDONLY);
    const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || o < 0 || e < 0 || ::dup2(in, 0) < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) {
      const int errnum = errno;
      (void)!::write(report[1], &errnum, sizeof errnum);
      ::_exit(127);
    }
    ::execvp(args[0], args.data());
    const int errnum = errno;
    (void)!::write(report[1], &errnum, sizeof errnum);
    ::_exit(127);
  }
  ::close(report[1]);
  int errnum = 0;
  const ssize_t n = ::read(report[0], &errnum, sizeof errnum);
  ::close(report[0]);
  if (n == sizeof errnum) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    throw std::runtime_error(fmt::format("cannot start '{}': {}", name_, std::strerror(errnum)));
  }
  ::setpgid(pid_, pid_);  // also from here: no window where a stop() misses the group
  if (started) started(pid_);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) stop(SIGKILL, std::chrono::milliseconds(2000));
}

void ChildProcess::reap(int status) {
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

bool ChildProcess::running() {
  if (exit_code_ || pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reap(status);
    return false;
  }
  if (r < 0 && errno == ECHILD) {
    exit_code_ = 255;
    return false;
  }
  return true;
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout, const std::atomic<bool>* stop) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline || (stop != nullptr && stop->load())) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return exit_code_;
}

bool ChildProcess::wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                              const std::atomic<bool>* stop) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!ready()) {
    if (!running() || std::chrono::steady_clock::now() >= deadline || (stop != nullptr && stop->load())) {
      return ready();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int ChildProcess::stop(int sig, std::chrono::milliseconds grace) {
  if (pid_ <= 0) return 255;
  if (running()) {
    ::kill(-pid_, sig);  // the group: helpers the child started go too
    ::kill(pid_, sig);
    if (!wait_for(grace)) {
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) reap(status);
    }
  }
  return exit_code_.value_or(255);
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

int run_tool(const std::vector<std::string>& argv, const std::filesystem::path& log, int timeout_ms,
             const std::atomic<bool>* stop) {
  try {
    ChildProcess p(argv, log, log.string() + ".err");
    const auto rc = p.wait_for(std::chrono::milliseconds(timeout_ms), stop);
    return rc ? *rc : p.stop(SIGTERM, std::chrono::milliseconds(3000));
  } catch (const std::runtime_error&) {
    return -1;
  }
}

}  // namespace lh::lab
