// child_process.hpp — one child process, its output redirected to files.
//
// The lab starts lh-emu and lh-xfer (via `ip netns exec`) and must stop every one of them on failure,
// Ctrl-C or its own death: each child runs in its own process group with a parent-death signal
// (SIGKILL when lh-lab dies, however it dies), stop() signals the whole group, and the destructor
// kills (SIGKILL) and reaps a child that is still running, so no process outlives the ChildProcess
// that started it. Waits poll waitpid with a deadline (and a caller's stop flag), never block
// forever. Setup-time code, one thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lh::lab {

class ChildProcess {
 public:
  // Starts argv[0] (searched in PATH) with stdin from /dev/null and stdout/stderr truncated into the
  // given files. `started(pid)`, if given, runs right after the start (the lab journals the pid).
  // Throws std::runtime_error naming the program when it cannot be started.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& out,
               const std::filesystem::path& err, const std::function<void(pid_t)>& started = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();                       // false once it exited (the exit status is then kept)
  std::optional<int> exit_code() const { return exit_code_; }   // 128 + signal when killed

  // Waits until the child exits, `timeout` passes or `stop` becomes true; returns the exit code.
  std::optional<int> wait_for(std::chrono::milliseconds timeout, const std::atomic<bool>* stop = nullptr);
  // Waits until `ready()` is true (polled every 20 ms); false on timeout, stop or child exit.
  bool wait_until(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                  const std::atomic<bool>* stop = nullptr);

  // Sends `sig`, waits up to `grace` for the exit, then SIGKILL and reap. Returns the exit code.
  int stop(int sig, std::chrono::milliseconds grace);

  const std::string& name() const { return name_; }

 private:
  void reap(int status);
  std::string name_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// The whole text of a file ("" if missing); for polling a child's output.
std::string read_text(const std::filesystem::path& p);
// The last non-empty line of `text` ("" if none): a failed tool's error message.
std::string last_line(const std::string& text);

// Runs a short helper (topology script, gnuplot) to completion within `timeout_ms` (then SIGTERM,
// SIGKILL); output to `log` and `log`.err. Returns its exit code, or -1 when it could not be started.
int run_tool(const std::vector<std::string>& argv, const std::filesystem::path& log, int timeout_ms,
             const std::atomic<bool>* stop = nullptr);

}  // namespace lh::lab
