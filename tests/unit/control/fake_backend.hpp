// fake_backend.hpp — a Backend for control-API tests: holds a LinkProfile and applies requests with
// the core profile functions (as lh-emu does), records events, and returns fixed, distinct stats so
// renderings can be checked value by value. Not thread-safe beyond the Backend contract (one
// control thread); tests read it after the server answered.
#pragma once

#include <mutex>
#include <vector>

#include "emulator/control/backend.hpp"
#include "src/profile.hpp"

namespace lh::emu::control::testing {

class FakeBackend : public Backend {
 public:
  FakeBackend() : profile_(builtin_profile("continental-4000km")) {}

  nlohmann::json profile() const override {
    std::lock_guard lock(mu_);
    return to_json(profile_);
  }
  void replace_profile(const nlohmann::json& doc) override {
    LinkProfile next = profile_from_json(doc, "PUT /profile", files);   // throws ParseError → 422
    std::lock_guard lock(mu_);
    profile_ = std::move(next);
    ++changes_;
  }
  void patch_direction(Direction dir, const nlohmann::json& patch) override {
    std::lock_guard lock(mu_);
    DirectionConfig& d = dir == Direction::kAToB ? profile_.a_to_b : profile_.b_to_a;
    apply_direction_patch(d, patch, std::string("PATCH /links/") + to_string(dir), files);
    ++changes_;
  }
  void post_event(const EventRequest& request) override {
    std::lock_guard lock(mu_);
    if (events_full_) throw UnavailableError("event table full (16 pending events)");
    events_.push_back(request);
  }
  Stats stats() const override {
    std::lock_guard lock(mu_);
    Stats s;
    s.uptime = Nanos::from_ms(12'500);
    s.profile_name = profile_.name;
    s.profile_changes = changes_;
    s.a_to_b.counters.packets_in = 1000;
    s.a_to_b.counters.bytes_in = 1'500'000;
    s.a_to_b.counters.packets_out = 990;
    s.a_to_b.counters.bytes_out = 1'485'000;
    s.a_to_b.counters.dropped[static_cast<size_t>(EmuDrop::kLoss)] = 7;
    s.a_to_b.counters.dropped[static_cast<size_t>(EmuDrop::kQueueFull)] = 3;
    s.a_to_b.counters.queue_bytes = 3000;
    s.a_to_b.counters.queue_packets = 2;
    s.a_to_b.counters.queue_delay_ns = 24'000;
    s.a_to_b.counters.rate_bps = 1'000'000'000;
    s.a_to_b.counters.base_delay_ns = 20'000'000;
    s.a_to_b.added_delay = {{0.5, Nanos::from_ms(20)}, {0.99, Nanos{20'250'000}}};
    s.a_to_b.added_delay_count = 990;
    s.a_to_b.added_delay_sum = Nanos::from_ms(19'800);
    s.b_to_a.counters.packets_in = 5;
    s.b_to_a.counters.dropped[static_cast<size_t>(EmuDrop::kTxFull)] = 1;
    return s;
  }

  // Where the API may read trace files (lh-emu: --trace-dir); off by default, as in lh-emu.
  TraceFiles files = TraceFiles::off();

  std::vector<EventRequest> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  void set_events_full(bool full) {
    std::lock_guard lock(mu_);
    events_full_ = full;
  }

 private:
  mutable std::mutex mu_;
  LinkProfile profile_;
  uint64_t changes_ = 0;
  std::vector<EventRequest> events_;
  bool events_full_ = false;
};

}  // namespace lh::emu::control::testing
