// atomic_file.cpp — see atomic_file.hpp.
#include "src/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>

namespace lh {
namespace {

[[noreturn]] void fail(const std::filesystem::path& p, const std::string& what) {
  throw std::runtime_error("cannot write " + p.string() + ": " + what);
}

void sync_file(const std::filesystem::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(p, std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) fail(p, std::strerror(err));
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, const std::function<void(std::ostream&)>& fill) {
  const std::filesystem::path tmp = path.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, std::string("cannot create ") + tmp.string() + ": " + std::strerror(errno));
    fill(out);
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      fail(path, "write error");
    }
  }
  sync_file(tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    fail(path, "rename: " + ec.message());
  }
}

void write_file_atomic(const std::filesystem::path& path, std::string_view text) {
  write_file_atomic(path, [&](std::ostream& out) { out.write(text.data(), static_cast<std::streamsize>(text.size())); });
}

std::filesystem::path create_unique_dir(const std::filesystem::path& parent, const std::string& name) {
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw std::runtime_error("cannot create " + parent.string() + ": " + ec.message());
  for (int i = 1; i <= 1000; ++i) {
    const std::filesystem::path dir = parent / (i == 1 ? name : name + "-" + std::to_string(i));
    if (::mkdir(dir.c_str(), 0755) == 0) return dir;
    if (errno != EEXIST) throw std::runtime_error("cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  throw std::runtime_error("cannot create a new folder " + (parent / name).string() + "[-N]: 1000 names taken");
}

}  // namespace lh
