// atomic_file_test.cpp — write_file_atomic replaces a file whole or not at all (a writer killed in
// the middle leaves the old contents), and create_unique_dir never hands one folder to two callers.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "src/atomic_file.hpp"
#include "tests/unit/temp_dir.hpp"

namespace lh {
namespace {

namespace fs = std::filesystem;

using test::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

TEST(AtomicFile, ReplacesTheContentsAndLeavesNoTemporary) {
  TempDir d;
  const fs::path f = d.path / "baseline.json";
  write_file_atomic(f, "old\n");
  write_file_atomic(f, "new contents\n");
  EXPECT_EQ(slurp(f), "new contents\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(d.path), fs::directory_iterator()), 1);
}

TEST(AtomicFile, AWriterKilledMidWriteLeavesTheOldFileWhole) {
  TempDir d;
  const fs::path f = d.path / "baseline.json";
  const std::string old(100000, 'o');
  write_file_atomic(f, old);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    write_file_atomic(f, [](std::ostream& out) {
      out << std::string(50000, 'n');
      out.flush();
      ::raise(SIGKILL);   // killed halfway through the new contents
    });
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  EXPECT_EQ(slurp(f), old);
  // The half-written temporary is a stray beside it, never the file itself.
  size_t strays = 0;
  for (const auto& e : fs::directory_iterator(d.path)) strays += e.path() != f;
  EXPECT_EQ(strays, 1u);
}

TEST(AtomicFile, AnUnwritablePathIsAnErrorNamingIt) {
  try {
    write_file_atomic("/nonexistent-dir/x.json", "x");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.json"), std::string::npos) << e.what();
  }
}

TEST(CreateUniqueDir, ATakenNameGetsTheNextSuffix) {
  TempDir d;
  EXPECT_EQ(create_unique_dir(d.path / "results", "20261203-120000"), d.path / "results" / "20261203-120000");
  EXPECT_EQ(create_unique_dir(d.path / "results", "20261203-120000"), d.path / "results" / "20261203-120000-2");
  fs::create_directory(d.path / "results" / "20261203-120000-3");
  EXPECT_EQ(create_unique_dir(d.path / "results", "20261203-120000"), d.path / "results" / "20261203-120000-4");
}

TEST(CreateUniqueDir, ProcessesRacingForOneNameGetDistinctFolders) {
  TempDir d;
  constexpr int kProcs = 8;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  for (int i = 0; i < kProcs; ++i) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      const std::string got = create_unique_dir(d.path, "run").filename().string() + "\n";
      const bool ok = ::write(fds[1], got.data(), got.size()) == static_cast<ssize_t>(got.size());
      ::_exit(ok ? 0 : 1);
    }
  }
  ::close(fds[1]);
  std::string all;
  char buf[256];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) all.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  for (int i = 0; i < kProcs; ++i) {
    int status = 0;
    ::wait(&status);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  std::set<std::string> names;
  std::istringstream in(all);
  for (std::string line; std::getline(in, line);) names.insert(line);
  EXPECT_EQ(names.size(), static_cast<size_t>(kProcs)) << all;
}

}  // namespace
}  // namespace lh
