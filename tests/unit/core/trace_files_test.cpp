// trace_files_test.cpp — what a profile may read: any regular file from the command line, nothing
// over the API without --trace-dir, and with it only relative paths beneath the directory (no "..",
// no symlink, no device or FIFO, size-capped); errors about confined files never quote them.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "src/link_trace.hpp"
#include "src/profile.hpp"
#include "src/trace_files.hpp"
#include "tests/unit/error_of.hpp"
#include "tests/unit/temp_dir.hpp"

namespace lh {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using test::error_of;

struct TraceDir {
  test::TempDir dir{"lh-traces"};
  fs::path path = dir.path;
  TraceDir() {
    std::ofstream(path / "good.lhtrace") << "lh-link-trace v1\n0 rate=1gbit delay=20ms loss=0%\n";
    fs::create_directory(path / "sub");
    std::ofstream(path / "sub" / "ok.lhtrace") << "lh-link-trace v1\n0 rate=100mbit delay=1ms loss=0%\n";
    std::ofstream(path / "secret.lhtrace") << "root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n";
    ::mkfifo((path / "fifo").c_str(), 0600);
    fs::create_symlink("/etc/passwd", path / "passwd-link");
    fs::create_symlink("/dev/zero", path / "zero-link");
    fs::create_directory_symlink("/etc", path / "etc-link");
  }
};

std::string read_error(std::string_view p, const TraceFiles& f) {
  return error_of([&] { read_trace_file(p, f); });
}

TEST(TraceFiles, OffReadsNothingAndSaysHowToTurnItOn) {
  EXPECT_THAT(read_error("/etc/passwd", TraceFiles::off()),
              HasSubstr("trace files over the control API are off; start lh-emu with --trace-dir DIR"));
}

TEST(TraceFiles, ConfinedReadsRelativePathsBeneathTheDirectory) {
  TraceDir d;
  const TraceFiles f = TraceFiles::confined(d.path);
  EXPECT_EQ(read_trace_file("good.lhtrace", f).name, "good.lhtrace");
  EXPECT_THAT(read_trace_file("sub/ok.lhtrace", f).text, HasSubstr("100mbit"));
  EXPECT_THAT(read_error("/etc/passwd", f), HasSubstr("must be a relative path beneath the trace directory"));
  EXPECT_THAT(read_error("../../etc/passwd", f), HasSubstr("\"..\" is refused"));
  EXPECT_THAT(read_error("sub/../../x", f), HasSubstr("\"..\" is refused"));
  EXPECT_THAT(read_error("passwd-link", f), HasSubstr("symbolic link"));
  EXPECT_THAT(read_error("etc-link/passwd", f), HasSubstr("symbolic link"));
  EXPECT_THAT(read_error("zero-link", f), HasSubstr("symbolic link"));
  EXPECT_THAT(read_error("missing.lhtrace", f), HasSubstr("cannot open in the trace directory"));
  EXPECT_THAT(read_error("sub", f), HasSubstr("not a regular file"));
}

TEST(TraceFiles, DevicesAndFifosAreRefusedAtOnceWhateverTheOrigin) {
  TraceDir d;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(read_error("/dev/zero", TraceFiles::any({})), HasSubstr("not a regular file"));
  EXPECT_THAT(read_error((d.path / "fifo").string(), TraceFiles::any({})), HasSubstr("not a regular file"));
  EXPECT_THAT(read_error("fifo", TraceFiles::confined(d.path)), HasSubstr("not a regular file"));
  // Opened non-blocking: a FIFO with no writer does not hang the reader (bounded, not a benchmark).
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(1));
}

TEST(TraceFiles, SizeIsCapped) {
  TraceDir d;
  TraceFiles f = TraceFiles::confined(d.path);
  f.max_bytes = 16;
  EXPECT_THAT(read_error("good.lhtrace", f), HasSubstr("larger than the 16B a trace file may have"));
  TraceFiles any = TraceFiles::any(d.path);
  any.max_bytes = 16;
  EXPECT_THAT(read_error("good.lhtrace", any), HasSubstr("larger than"));
}

TEST(TraceFiles, AConfinedFilesParseErrorDoesNotQuoteIt) {
  TraceDir d;
  const nlohmann::json patch = {{"trace", {{"file", "secret.lhtrace"}}}};
  DirectionConfig dir;
  const std::string confined = error_of([&] { apply_direction_patch(dir, patch, "PATCH /links/a_to_b", TraceFiles::confined(d.path)); });
  EXPECT_THAT(confined, HasSubstr("secret.lhtrace:1: not a valid link trace (details withheld"));
  EXPECT_THAT(confined, Not(HasSubstr("root:")));
  EXPECT_THAT(confined, Not(HasSubstr("saltsalt")));
  // From the command line the parser's own words stay (the operator named the file).
  const std::string any = error_of([&] { apply_direction_patch(dir, patch, "p", TraceFiles::any(d.path)); });
  EXPECT_THAT(any, HasSubstr("expected the header"));
}

TEST(TraceFiles, ApiPatchesLoadOnlyUnderTheirRules) {
  TraceDir d;
  DirectionConfig dir;
  const nlohmann::json good = {{"trace", {{"file", "good.lhtrace"}}}};
  apply_direction_patch(dir, good, "PATCH", TraceFiles::confined(d.path));
  ASSERT_NE(dir.trace, nullptr);
  DirectionConfig off;
  EXPECT_THAT(error_of([&] { apply_direction_patch(off, good, "PATCH"); }), HasSubstr("are off"));   // the default
  EXPECT_EQ(off.trace, nullptr);
  const nlohmann::json shadow = {{"delivery", {{"file", "/etc/shadow"}}}};
  const std::string e = error_of([&] { apply_direction_patch(off, shadow, "PATCH", TraceFiles::confined(d.path)); });
  EXPECT_THAT(e, HasSubstr("must be a relative path"));
  EXPECT_THAT(e, Not(HasSubstr("root:")));
}

}  // namespace
}  // namespace lh
