// psk_file.cpp — see psk_file.hpp.
#include "workload/common/psk_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace lh::workload {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw std::runtime_error(fmt::format("--psk {}: {}", path, why));
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::shared_ptr<const std::vector<uint8_t>> load_psk_file(const std::string& path) {
  // O_NONBLOCK: a FIFO must not block the tool; O_NOCTTY: a terminal is not ours to adopt.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (f.fd < 0) fail(path, std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) fail(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(path, "not a regular file");
  if ((st.st_mode & 077) != 0) {
    fail(path, fmt::format("mode {:04o} lets other users read or change the key; chmod 600 {}", st.st_mode & 07777, path));
  }
  if (st.st_size > static_cast<off_t>(kMaxPskBytes + 1)) fail(path, fmt::format("larger than {} bytes: not a key", kMaxPskBytes));
  auto key = std::make_shared<std::vector<uint8_t>>(kMaxPskBytes + 2);
  size_t n = 0;
  while (n < key->size()) {
    const ssize_t r = ::read(f.fd, key->data() + n, key->size() - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(path, std::strerror(errno));
    if (r == 0) break;
    n += static_cast<size_t>(r);
  }
  if (n > 0 && (*key)[n - 1] == '\n') --n;
  if (n > kMaxPskBytes) fail(path, fmt::format("larger than {} bytes: not a key", kMaxPskBytes));
  if (n < kMinPskBytes) {
    fail(path, fmt::format("{} bytes; a key needs at least {} (e.g. head -c 32 /dev/urandom > {})", n, kMinPskBytes, path));
  }
  key->resize(n);
  return key;
}

std::shared_ptr<const std::vector<uint8_t>> resolve_protection(TransportSpec& t, const std::string& psk_path,
                                                               bool auth_only) {
  if (psk_path.empty()) {
    if (auth_only) throw std::invalid_argument("--auth-only needs --psk FILE (the pre-shared key)");
    if (t.protection != xport::Protection::kNone)
      throw std::invalid_argument("--transport " + t.name() + " needs --psk FILE (the pre-shared key)");
    return nullptr;
  }
  if (t.tcp()) throw std::invalid_argument("--psk applies to the longhaul transports, not --transport " + t.name());
  if (auth_only) t.protection = xport::Protection::kGmac;
  else if (t.protection == xport::Protection::kNone) t.protection = xport::Protection::kAesGcm;
  return load_psk_file(psk_path);
}

void write_psk_file(const std::string& path) {
  uint8_t key[32];
  for (size_t got = 0; got < sizeof key;) {
    const ssize_t r = ::getrandom(key + got, sizeof key - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail(path, std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<size_t>(r);
  }
  Fd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (f.fd < 0) fail(path, std::strerror(errno));
  if (::write(f.fd, key, sizeof key) != static_cast<ssize_t>(sizeof key)) fail(path, "short write");
  explicit_bzero(key, sizeof key);
}

}  // namespace lh::workload
