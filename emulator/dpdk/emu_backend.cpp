// emu_backend.cpp — lh-emu's implementation of the control API Backend, and ControlLink with it.
//
// Every request is validated with the core profile code on a copy of the running config before
// anything reaches the datapath; the new models are built here on the control thread and handed to
// the workers, which adopt them at a burst boundary (Emulator::apply_*).
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

#include "emulator/control/server.hpp"
#include "emulator/dpdk/control_link.hpp"
#include "emulator/dpdk/emulator.hpp"
#include "src/profile.hpp"

namespace lh::emu {

namespace {

using control::Direction;
using control::ValidationError;

class EmuBackend final : public control::Backend {
 public:
  EmuBackend(Emulator& emu, TraceFiles files) : emu_(emu), files_(std::move(files)) {}

  nlohmann::json profile() const override { return to_json(emu_.profile()); }

  void replace_profile(const nlohmann::json& body) override {
    LinkProfile next;
    try {
      next = profile_from_json(body, "PUT /profile", files_);
    } catch (const ParseError& e) {
      throw ValidationError(e.what());
    }
    try {
      emu_.apply_profile(next);
    } catch (const std::invalid_argument& e) {
      throw ValidationError(fmt::format("PUT /profile: {}", e.what()));
    } catch (const LiveChangeUnavailable& e) {
      throw control::UnavailableError(fmt::format("PUT /profile: {}", e.what()));
    }
  }

  void patch_direction(Direction dir, const nlohmann::json& patch) override {
    const bool ab = dir == Direction::kAToB;
    const LinkProfile cur = emu_.profile();
    DirectionConfig next = ab ? cur.a_to_b : cur.b_to_a;
    const std::string where = fmt::format("PATCH /links/{}", control::to_string(dir));
    try {
      apply_direction_patch(next, patch, where, files_);
    } catch (const ParseError& e) {
      throw ValidationError(e.what());
    }
    try {
      emu_.apply_direction(ab, next);
    } catch (const std::invalid_argument& e) {
      throw ValidationError(fmt::format("{}: {}", where, e.what()));
    } catch (const LiveChangeUnavailable& e) {
      throw control::UnavailableError(fmt::format("{}: {}", where, e.what()));
    }
  }

  void post_event(const control::EventRequest& req) override {
    const bool now = req.base == control::EventRequest::Base::kNow;
    bool ok = false;
    try {
      ok = emu_.inject_events(req.a_to_b, req.b_to_a, req.event, now);
    } catch (const LiveChangeUnavailable& e) {
      throw control::UnavailableError(fmt::format("POST /events: {}", e.what()));
    }
    if (!ok) {
      throw control::UnavailableError("POST /events: the event table of a direction is full; no direction took the event");
    }
  }

  control::Stats stats() const override {
    control::Stats s;
    s.uptime = emu_.uptime();
    s.profile_name = emu_.profile().name;
    s.info = emu_.info();
    const std::vector<DirectionReport> reports = emu_.snapshot(false);
    for (size_t i = 0; i < reports.size() && i < 2; ++i) convert(reports[i], i == 0 ? s.a_to_b : s.b_to_a);
    s.profile_changes = s.a_to_b.counters.profile_changes;   // every live change reaches a_to_b's paths
    return s;
  }

 private:
  static void convert(const DirectionReport& r, control::DirectionStats& d) {
    d.counters = r.values;
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
      d.added_delay.push_back({q, Nanos{r.added_delay.percentile(q * 100)}});
      d.departure_error.push_back({q, Nanos{r.departure_error.percentile(q * 100)}});
    }
    d.added_delay_count = r.added_delay.count();
    d.added_delay_sum = Nanos{static_cast<int64_t>(r.added_delay.mean() * static_cast<double>(r.added_delay.count()))};
  }

  Emulator& emu_;
  TraceFiles files_;
};

// The token file's first line. It must be a regular file no one else can read (mode 0600 or stricter).
std::string read_token_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    throw std::runtime_error(fmt::format("lh-emu: --token-file {}: {}", path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) throw std::runtime_error(fmt::format("lh-emu: --token-file {}: not a regular file", path));
  if ((st.st_mode & 077) != 0) {
    throw std::runtime_error(fmt::format("lh-emu: --token-file {}: mode {:o} lets others read it; chmod 600 it",
                                         path, st.st_mode & 0777));
  }
  std::ifstream in(path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  if (token.size() < 16) {
    throw std::runtime_error(fmt::format("lh-emu: --token-file {}: the token (first line) must be at least 16 characters", path));
  }
  return token;
}

}  // namespace

struct ControlLink::Impl {
  Impl(Emulator& emu, TraceFiles files) : backend(emu, std::move(files)) {}
  EmuBackend backend;
  std::unique_ptr<control::Server> server;
};

ControlLink::ControlLink(Emulator& emu, const std::string& address, const std::string& trace_dir,
                         const std::string& token_file) {
  if (address.empty()) return;
  control::ServerConfig cfg;
  if (!token_file.empty()) cfg.token = read_token_file(token_file);
  TraceFiles files = TraceFiles::off();
  if (!trace_dir.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(trace_dir, ec)) {
      throw std::runtime_error(fmt::format("lh-emu: --trace-dir {}: not a directory", trace_dir));
    }
    files = TraceFiles::confined(std::filesystem::absolute(trace_dir));
  }
  try {
    cfg.listen = control::parse_listen_address(address);
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("lh-emu: --control '{}': {}", address, e.what()));
  }
  impl_ = std::make_unique<Impl>(emu, std::move(files));
  impl_->server = std::make_unique<control::Server>(impl_->backend, std::move(cfg));
  try {
    impl_->server->start();
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("lh-emu: --control '{}': {}", address, e.what()));
  }
}

ControlLink::~ControlLink() { stop(); }

std::string ControlLink::address() const {
  return impl_ ? impl_->server->local_address().to_string() : std::string{};
}

void ControlLink::stop() noexcept {
  if (impl_ && impl_->server) impl_->server->stop();
}

}  // namespace lh::emu
