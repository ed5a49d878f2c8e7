// linksim_run.hpp — lh-linksim's engine: offer synthetic traffic to a link profile in virtual time and
// report what the path did to it.
//
// One CBR source per requested direction (side A → side B for a_to_b) over an lh::sim::Dumbbell built
// from the profile, run for `duration` of virtual time, then drained until every packet in flight has
// left the link. The report is JSON (field names carry units: _ns, _bps, bytes); the human table is
// rendered from that same JSON, so both always agree.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "emulator/linksim/traffic_spec.hpp"
#include "src/link_profile.hpp"
#include "src/units.hpp"

namespace lh::sim {

struct LinksimOptions {
  LinkProfile profile;
  uint64_t seed = 1;
  TrafficSpec traffic;
  Nanos duration = Nanos::from_s(10);
  bool a_to_b = true;
  bool b_to_a = false;
};

// Called between simulation chunks (never per packet) with virtual time done and total.
using ProgressFn = std::function<void(Nanos done, Nanos total)>;

// Throws std::invalid_argument if the model rejects the profile.
nlohmann::json run_linksim(const LinksimOptions& options, const ProgressFn& progress = {});

// A short table for people, from run_linksim's JSON.
std::string format_report_table(const nlohmann::json& report);

}  // namespace lh::sim
