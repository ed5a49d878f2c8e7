// lcore_lease_test.cpp — lh-emu instances side by side take disjoint cores: a second lease gets the
// free ones or is refused naming the holder; an explicit list is all or nothing; a lease ends with
// its holder (another process, here a forked child). Core lists parse as EAL's -l does.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>

#include "emulator/dpdk/lcore_lease.hpp"
#include "tests/unit/temp_dir.hpp"

namespace lh::emu {
namespace {

namespace fs = std::filesystem;

using LeaseDir = test::TempDir;

std::string error_of(auto&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LcoreLease, SideBySideInstancesGetDisjointCores) {
  LeaseDir d;
  const LcoreLease first = LcoreLease::free_ones({0, 1, 2, 3}, 3, d.path);
  EXPECT_EQ(first.cpus(), (std::vector<unsigned>{0, 1, 2}));
  EXPECT_EQ(first.eal_list(), "0-2");
  // flock locks belong to the open file: a second lease in this process competes like another process.
  const LcoreLease second = LcoreLease::free_ones({0, 1, 2, 3}, 3, d.path);
  EXPECT_EQ(second.cpus(), (std::vector<unsigned>{3}));
  EXPECT_EQ(second.eal_list(), "3");
  const std::string none = error_of([&] { LcoreLease::free_ones({0, 1, 2, 3}, 3, d.path); });
  EXPECT_NE(none.find("no free core: lcores 0 (lh-emu pid " + std::to_string(::getpid()) + ")"), std::string::npos) << none;
}

TEST(LcoreLease, AnExplicitListIsAllOrNothingAndNamesTheHolder) {
  LeaseDir d;
  const LcoreLease held = LcoreLease::exactly({1}, d.path);
  const std::string e = error_of([&] { LcoreLease::exactly({0, 1}, d.path); });
  EXPECT_NE(e.find("lcore 1 is in use by another lh-emu (pid " + std::to_string(::getpid()) + ")"), std::string::npos) << e;
  // The refused lease did not keep core 0.
  EXPECT_EQ(LcoreLease::exactly({0}, d.path).cpus(), (std::vector<unsigned>{0}));
  EXPECT_EQ(LcoreLease::exactly({0, 2}, d.path).eal_list(), "0,2");
}

TEST(LcoreLease, ALeaseEndsWithItsProcessHoweverItEnds) {
  LeaseDir d;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    LcoreLease mine = LcoreLease::exactly({5}, d.path);
    const char c = 'x';
    (void)!::write(ready[1], &c, 1);
    ::pause();   // killed below
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_NE(error_of([&] { LcoreLease::exactly({5}, d.path); }).find("pid " + std::to_string(child)), std::string::npos);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(LcoreLease::exactly({5}, d.path).cpus(), (std::vector<unsigned>{5}));
}

TEST(LcoreLease, CoreListsParseAsEalDoes) {
  EXPECT_EQ(parse_core_list("0-2,4"), (std::vector<unsigned>{0, 1, 2, 4}));
  EXPECT_EQ(parse_core_list("3"), (std::vector<unsigned>{3}));
  EXPECT_FALSE(parse_core_list("2-1"));
  EXPECT_FALSE(parse_core_list("a"));
  EXPECT_FALSE(parse_core_list(""));
  EXPECT_FALSE(parse_core_list("1,,2"));
}

}  // namespace
}  // namespace lh::emu
