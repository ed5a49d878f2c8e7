// sysctl_guard.cpp — see sysctl_guard.hpp.
#include "src/sysctl_guard.hpp"

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace lh {
namespace {

std::string collapse_spaces(std::string_view in) {
  std::string out;
  bool space = false;
  for (char c : in) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

uint64_t to_u64(std::string_view key, std::string_view text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    throw std::runtime_error("sysctl " + std::string(key) + ": \"" + std::string(text) + "\" is not a byte count");
  }
  return v;
}

}  // namespace

SysctlGuard::SysctlGuard(std::filesystem::path root) : root_(std::move(root)) {}

SysctlGuard::~SysctlGuard() {
  try {
    restore();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sysctl restore: %s\n", e.what());
  }
}

std::filesystem::path SysctlGuard::path_of(std::string_view key) const {
  bool ok = !key.empty() && key.front() != '.' && key.back() != '.';
  for (size_t i = 0; ok && i < key.size(); ++i) {
    const char c = key[i];
    ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || (c == '.' && key[i - 1] != '.');
  }
  if (!ok) throw std::runtime_error("sysctl key \"" + std::string(key) + "\": expected dotted names like net.core.rmem_max");
  std::string rel(key);
  for (char& c : rel)
    if (c == '.') c = '/';
  return root_ / rel;
}

std::string SysctlGuard::read(std::string_view key) const {
  const auto path = path_of(key);
  std::FILE* f = std::fopen(path.c_str(), "r");
  if (f == nullptr) throw std::runtime_error("sysctl " + std::string(key) + " (" + path.string() + "): " + std::strerror(errno));
  std::string text;
  char buf[256];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw std::runtime_error("sysctl " + std::string(key) + " (" + path.string() + "): read error");
  return collapse_spaces(text);
}

void SysctlGuard::write(std::string_view key, std::string_view value) const {
  const auto path = path_of(key);
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw std::runtime_error("sysctl " + std::string(key) + " (" + path.string() + "): " + std::strerror(errno));
  const std::string line = std::string(value) + "\n";
  const bool wrote = std::fwrite(line.data(), 1, line.size(), f) == line.size();
  // /proc/sys reports a rejected value when the buffered write reaches the kernel, i.e. at fclose.
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !closed) {
    throw std::runtime_error("sysctl " + std::string(key) + " = \"" + std::string(value) + "\": " + std::strerror(errno));
  }
}

void SysctlGuard::set(std::string_view key, std::string_view value) {
  bool known = false;
  for (const auto& [k, v] : saved_) known = known || k == key;
  if (!known) {
    std::string original = read(key);
    if (on_first_set_) on_first_set_(std::string(key), original);
    saved_.emplace_back(std::string(key), std::move(original));
  }
  write(key, value);
}

void SysctlGuard::raise_buffer_limits(uint64_t bytes) {
  for (const char* key : {"net.core.rmem_max", "net.core.wmem_max"}) {
    if (to_u64(key, read(key)) < bytes) set(key, std::to_string(bytes));
  }
  for (const char* key : {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}) {
    const std::string v = read(key);
    const size_t sp1 = v.find(' ');
    const size_t sp2 = sp1 == std::string::npos ? sp1 : v.find(' ', sp1 + 1);
    if (sp2 == std::string::npos || v.find(' ', sp2 + 1) != std::string::npos) {
      throw std::runtime_error("sysctl " + std::string(key) + ": \"" + v + "\" is not \"min default max\"");
    }
    to_u64(key, std::string_view(v).substr(0, sp1));
    to_u64(key, std::string_view(v).substr(sp1 + 1, sp2 - sp1 - 1));
    if (to_u64(key, std::string_view(v).substr(sp2 + 1)) < bytes) set(key, v.substr(0, sp2) + " " + std::to_string(bytes));
  }
}

void SysctlGuard::restore() {
  std::string first_error;
  while (!saved_.empty()) {
    auto [key, value] = std::move(saved_.back());
    saved_.pop_back();
    try {
      write(key, value);
    } catch (const std::exception& e) {
      if (first_error.empty()) first_error = e.what();
    }
  }
  if (!first_error.empty()) throw std::runtime_error(first_error);
}

}  // namespace lh
