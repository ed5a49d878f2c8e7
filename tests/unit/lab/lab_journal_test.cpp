// lab_journal_test.cpp — the host journal on a temporary state directory and a fake /proc/sys: one
// lh-lab at a time (a second is refused, naming the holder); a journal left by a run that died is
// undone by the next start — its processes killed (a reused pid spared), its sysctls written back to
// the true originals — and then emptied. No real sysctl, namespace or lh-lab process is touched.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "lab/host_journal.hpp"

namespace lh::lab {
namespace {

namespace fs = std::filesystem;

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/lh-journal-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    fs::create_directories(root_ / "proc/net/core");
    put("proc/net/core/rmem_max", "212992\n");
  }
  void TearDown() override { fs::remove_all(root_); }
  void put(const std::string& rel, const std::string& text) { std::ofstream(root_ / rel) << text; }
  std::string get(const std::string& rel) {
    std::ifstream in(root_ / rel);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  fs::path state() const { return root_ / "state"; }
  fs::path sysctls() const { return root_ / "proc"; }

  // A child that sleeps in its own process group (as lh-lab's children do).
  static pid_t sleeper() {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::setpgid(0, 0);
      ::execlp("sleep", "sleep", "60", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::setpgid(pid, pid);
    return pid;
  }
  // Whether `pid` was killed by SIGKILL (reaps it); waits up to 5 s.
  static bool killed(pid_t pid) {
    for (int i = 0; i < 500; ++i) {
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
      ::usleep(10000);
    }
    return false;
  }

  fs::path root_;
};

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& x) { return x.find(s) != std::string::npos; });
}

TEST_F(JournalTest, OneRunAtATimeAndTheSecondIsToldWho) {
  HostJournal first(state(), sysctls());
  try {
    HostJournal second(state(), sysctls());
    FAIL() << "a second journal was granted";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("another lh-lab is running (pid " + std::to_string(::getpid()) + ", lock "), std::string::npos)
        << what;
  }
}

TEST_F(JournalTest, TheLockIsFreedWhenTheHolderEnds) {
  { HostJournal first(state(), sysctls()); }
  EXPECT_NO_THROW(HostJournal again(state(), sysctls()));
}

TEST_F(JournalTest, ADeadRunsChangesAreUndoneByTheNextStart) {
  const pid_t child = sleeper();
  {
    HostJournal crashed(state(), sysctls());
    crashed.sysctl("net.core.rmem_max", "212992");   // journaled before the change ...
    put("proc/net/core/rmem_max", "67108864\n");      // ... which then happened
    crashed.sysctl("net.core.rmem_max", "67108864");  // a later record of the key must not win
    crashed.process(child, "lh-emu");
    // the run dies here: no undo, no clear
  }
  {
    HostJournal next(state(), sysctls());
    EXPECT_TRUE(killed(child));
    EXPECT_EQ(get("proc/net/core/rmem_max"), "212992\n");
    EXPECT_TRUE(contains(next.recovered(), "killed lh-emu (pid " + std::to_string(child) + ")"));
    EXPECT_TRUE(contains(next.recovered(), "restored net.core.rmem_max = 212992"));
    EXPECT_FALSE(fs::exists(state() / "journal.jsonl"));
  }
  // Recovered once: the start after that has nothing to do.
  HostJournal after(state(), sysctls());
  EXPECT_TRUE(after.recovered().empty());
}

TEST_F(JournalTest, AReusedPidIsNotKilled) {
  const pid_t child = sleeper();
  {
    HostJournal crashed(state(), sysctls());
    crashed.process(child, "lh-xfer");
  }
  // The journaled process ended long ago and its pid now belongs to another (a different start time).
  std::string text;
  {
    std::ifstream in(state() / "journal.jsonl");
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t at = text.find("\"start\":");
  ASSERT_NE(at, std::string::npos) << text;
  text.replace(at, text.find(',', at) - at, "\"start\":1");
  std::ofstream(state() / "journal.jsonl") << text;
  HostJournal next(state(), sysctls());
  EXPECT_FALSE(contains(next.recovered(), "killed"));
  EXPECT_EQ(::kill(child, 0), 0);   // still alive
  ::kill(child, SIGKILL);
  EXPECT_TRUE(killed(child));
}

TEST_F(JournalTest, ALineCutByTheCrashIsSkipped) {
  {
    HostJournal crashed(state(), sysctls());
    crashed.sysctl("net.core.rmem_max", "212992");
  }
  put("proc/net/core/rmem_max", "67108864\n");
  std::ofstream(state() / "journal.jsonl", std::ios::app) << "{\"type\":\"sysctl\",\"key\":\"net.co";
  HostJournal next(state(), sysctls());
  EXPECT_EQ(get("proc/net/core/rmem_max"), "212992\n");
}

}  // namespace
}  // namespace lh::lab
