// backend.hpp — what the control API (HTTP+JSON, Prometheus metrics) needs from the emulator.
//
// lh-emu implements Backend; the control Server (server.hpp) only calls it, from its own control
// thread (one thread: calls are never concurrent). The backend validates before applying (with the
// core profile functions: profile_from_json, apply_direction_patch), so a bad request never disturbs
// the datapath. Errors: throw ValidationError (→ HTTP 422 with its message), UnavailableError (→ 503,
// e.g. event storage full); any other std::exception → 500 with its what().
//
// Stats are plain data: the server renders them both as /stats JSON and as Prometheus text
// (/metrics); the per-direction names live in one place (emulator/stats). Units: Nanos, bytes, bit/s.
#pragma once

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/stats/stats_values.hpp"
#include "src/link_profile.hpp"
#include "src/units.hpp"

namespace lh::emu::control {

// The request was understood but its values are invalid (unknown key, bad unit, out of range).
// The message names the key and what is accepted; it is returned to the client verbatim.
class ValidationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The request is valid but cannot be applied now (e.g. the event table is full).
class UnavailableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Direction : uint8_t { kAToB, kBToA };
const char* to_string(Direction d) noexcept;            // "a_to_b", "b_to_a"
bool parse_direction(std::string_view s, Direction& out) noexcept;

// One quantile of the delay the emulator added (departure − arrival) over a recent window.
struct DelayQuantile {
  double quantile = 0.5;   // in (0, 1), e.g. 0.5, 0.9, 0.99, 0.999
  Nanos value{0};
};

// One direction: the datapath's counters and gauges as they are (emulator/stats: one type and one
// field table for every rendering), and the added-delay and departure-error summaries.
struct DirectionStats {
  StatsValues counters;
  // added delay (departure − arrival): quantiles, plus total count and sum since start
  std::vector<DelayQuantile> added_delay;
  uint64_t added_delay_count = 0;
  Nanos added_delay_sum{0};
  // departure error (actual − intended transmit time): how accurately lh-emu keeps the schedule
  std::vector<DelayQuantile> departure_error;
};

struct Stats {
  Nanos uptime{0};
  std::string profile_name;
  uint64_t profile_changes = 0;     // PUT /profile + PATCH applied since start
  DirectionStats a_to_b, b_to_a;
  nlohmann::json info = nlohmann::json::object();   // free-form (ports, lcores), only in /stats JSON
};

// A runtime link event (POST /events), already parsed and validated by the server.
// `event.at` is relative to `base`: now (the "at" key absent, or "+5s") or the emulator's epoch
// (the instant profile event times are relative to; "at": "90s").
struct EventRequest {
  enum class Base : uint8_t { kNow, kEpoch };
  bool a_to_b = true, b_to_a = true;
  Base base = Base::kNow;
  LinkEvent event{};
};

class Backend {
 public:
  virtual ~Backend() = default;

  // GET /profile: the running profile in the JSON form of the TOML vocabulary (core to_json).
  virtual nlohmann::json profile() const = 0;
  // PUT /profile: validate the whole profile (core profile_from_json), then apply it live.
  virtual void replace_profile(const nlohmann::json& profile) = 0;
  // PATCH /links/{dir}: validate and apply a partial change of one direction (core
  // apply_direction_patch on a copy of the running DirectionConfig, then swap).
  virtual void patch_direction(Direction dir, const nlohmann::json& patch) = 0;
  // POST /events.
  virtual void post_event(const EventRequest& request) = 0;
  // GET /stats and GET /metrics: a snapshot.
  virtual Stats stats() const = 0;
};

}  // namespace lh::emu::control
