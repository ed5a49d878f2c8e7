// host_journal.hpp — lh-lab's record of what it changes on the host, written before each change so a
// run that dies (SIGKILL, a crash, a power cut) is undone by the next lh-lab or `lh-lab cleanup`.
//
// The state directory (default /var/lib/lh-lab, mode 0700) holds `lock` and `journal.jsonl`. Opening
// the journal takes an exclusive lock (flock) for the process's lifetime — one lab run at a time; a
// second is refused naming the holder's pid — and, if the journal of a run that did not finish is
// there, undoes it first. Records are JSON lines appended with fsync before the change they describe:
// a sysctl's original value (first change of a key only), a topology prefix (and its script), a child
// process (pid and its start time, so a reused pid is never killed). undo() kills the processes still
// alive (their process groups), brings the topologies down and writes the sysctls back, newest first,
// then empties the journal. Setup-time code, one thread.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace lh::lab {

inline constexpr const char* kDefaultStateDir = "/var/lib/lh-lab";

class HostJournal {
 public:
  // Takes the lock (throws std::runtime_error "another lh-lab is running (pid N, lock DIR/lock)" when
  // held) and recovers a left-over journal; what recovery did is in recovered().
  // `sysctl_root` is where sysctls are written back (tests use a fake /proc/sys).
  explicit HostJournal(std::filesystem::path state_dir = kDefaultStateDir,
                       std::filesystem::path sysctl_root = "/proc/sys");
  ~HostJournal();
  HostJournal(const HostJournal&) = delete;
  HostJournal& operator=(const HostJournal&) = delete;

  // Journal before changing: each call appends one fsync'd record.
  void sysctl(const std::string& key, const std::string& original);
  void topology(const std::string& prefix, const std::filesystem::path& script);
  void process(pid_t pid, const std::string& name);

  // Undoes everything journaled and empties the journal. Returns one line per action taken.
  std::vector<std::string> undo();
  // The run ended and restored the host itself: forget the journal.
  void clear();

  [[nodiscard]] const std::vector<std::string>& recovered() const { return recovered_; }
  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }

  // The start time of a process (/proc/PID/stat field 22, clock ticks since boot), 0 if none.
  static unsigned long long start_time(pid_t pid);

 private:
  void append(const std::string& json_line);

  std::filesystem::path dir_, sysctl_root_;
  int lock_fd_ = -1;
  std::vector<std::string> recovered_;
};

}  // namespace lh::lab
