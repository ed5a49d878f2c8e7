// temp_dir.hpp — a fresh directory under /tmp for one test, removed with everything in it at the end.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace lh::test {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& stem = "lh-test") {
    std::string tmpl = "/tmp/" + stem + "-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace lh::test
