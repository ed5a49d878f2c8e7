// sysctl_guard_test.cpp — SysctlGuard on a fake /proc/sys (plain files in a temporary directory):
// reads collapse whitespace, set() saves the first original only, raise_buffer_limits() raises but
// never lowers, and restore() / the destructor put every original back. No real sysctl is touched.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "src/sysctl_guard.hpp"

namespace lh {
namespace {

namespace fs = std::filesystem;

class FakeProcSys : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("lh_sysctl_test_" + std::to_string(getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_ / "net/core");
    fs::create_directories(root_ / "net/ipv4");
    put("net/core/rmem_max", "212992\n");
    put("net/core/wmem_max", "212992\n");
    put("net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
    put("net/ipv4/tcp_wmem", "4096\t16384\t4194304\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  void put(const std::string& rel, const std::string& text) { std::ofstream(root_ / rel) << text; }
  std::string get(const std::string& rel) {
    std::ifstream in(root_ / rel);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path root_;
};

TEST_F(FakeProcSys, ReadCollapsesWhitespace) {
  SysctlGuard g(root_);
  EXPECT_EQ(g.read("net.core.rmem_max"), "212992");
  EXPECT_EQ(g.read("net.ipv4.tcp_rmem"), "4096 131072 6291456");
}

TEST_F(FakeProcSys, SetSavesTheFirstOriginalAndRestorePutsItBack) {
  SysctlGuard g(root_);
  g.set("net.core.rmem_max", "1000000");
  g.set("net.core.rmem_max", "2000000");
  EXPECT_EQ(get("net/core/rmem_max"), "2000000\n");
  ASSERT_EQ(g.saved().size(), 1u);
  EXPECT_EQ(g.saved()[0].second, "212992");
  g.restore();
  EXPECT_EQ(get("net/core/rmem_max"), "212992\n");
  EXPECT_TRUE(g.saved().empty());
}

TEST_F(FakeProcSys, DestructorRestoresEverything) {
  {
    SysctlGuard g(root_);
    g.raise_buffer_limits(64u << 20);
    EXPECT_EQ(g.read("net.core.rmem_max"), "67108864");
    EXPECT_EQ(g.read("net.core.wmem_max"), "67108864");
    EXPECT_EQ(g.read("net.ipv4.tcp_rmem"), "4096 131072 67108864");
    EXPECT_EQ(g.read("net.ipv4.tcp_wmem"), "4096 16384 67108864");
    EXPECT_EQ(g.saved().size(), 4u);
  }
  EXPECT_EQ(get("net/core/rmem_max"), "212992\n");
  EXPECT_EQ(get("net/core/wmem_max"), "212992\n");
  EXPECT_EQ(get("net/ipv4/tcp_rmem"), "4096 131072 6291456\n");
  EXPECT_EQ(get("net/ipv4/tcp_wmem"), "4096 16384 4194304\n");
}

TEST_F(FakeProcSys, TheFirstSetOfEachKeyIsReportedBeforeTheWrite) {
  SysctlGuard g(root_);
  std::vector<std::string> seen;
  g.on_first_set([&](const std::string& key, const std::string& original) {
    seen.push_back(key + "=" + original + " (file now " + get("net/core/rmem_max") + ")");
  });
  g.set("net.core.rmem_max", "1000000");
  g.set("net.core.rmem_max", "2000000");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], "net.core.rmem_max=212992 (file now 212992\n)");   // called before the change
  // A journal that cannot record stops the change: nothing is written that could not be undone.
  g.on_first_set([](const std::string&, const std::string&) { throw std::runtime_error("journal full"); });
  EXPECT_THROW(g.set("net.core.wmem_max", "3000000"), std::runtime_error);
  EXPECT_EQ(get("net/core/wmem_max"), "212992\n");
  g.forget();
  EXPECT_TRUE(g.saved().empty());
}

TEST_F(FakeProcSys, RaiseNeverLowers) {
  SysctlGuard g(root_);
  g.raise_buffer_limits(5u << 20);  // above both core maxima and tcp_wmem's, below tcp_rmem's 6 MiB
  EXPECT_EQ(g.read("net.core.rmem_max"), "5242880");
  EXPECT_EQ(g.read("net.ipv4.tcp_rmem"), "4096 131072 6291456");
  EXPECT_EQ(g.read("net.ipv4.tcp_wmem"), "4096 16384 5242880");
  EXPECT_EQ(g.saved().size(), 3u);
  g.restore();
  EXPECT_EQ(get("net/ipv4/tcp_wmem"), "4096 16384 4194304\n");
}

TEST_F(FakeProcSys, ErrorsNameTheKey) {
  SysctlGuard g(root_);
  try {
    g.read("net.core.no_such_key");
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("net.core.no_such_key"), std::string::npos) << e.what();
  }
  EXPECT_THROW(g.read("../etc/passwd"), std::runtime_error);
  EXPECT_THROW(g.read("net..core"), std::runtime_error);
  put("net/ipv4/tcp_rmem", "4096 131072\n");
  try {
    g.raise_buffer_limits(1u << 30);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("net.ipv4.tcp_rmem"), std::string::npos) << e.what();
  }
  g.restore();  // the core maxima raised before the error go back
  EXPECT_EQ(get("net/core/rmem_max"), "212992\n");
}

}  // namespace
}  // namespace lh
