// metrics_format.hpp — renders a Stats snapshot as /stats JSON and as Prometheus text (/metrics).
//
// Both renderings live here so names stay consistent. Prometheus: text exposition format 0.0.4,
// prefix lh_emu_, base units (seconds, bytes), counters end in _total, labels dir="a_to_b"|"b_to_a"
// and cause="loss"|"queue_full"|"aqm"|"outage"|"no_mbuf"|"tx_full"; every family has HELP and TYPE.
// JSON: integers with the unit in the key (bytes, _ns, _bps) so machines need no unit parser.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "emulator/control/backend.hpp"

namespace lh::emu::control {

inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string render_prometheus(const Stats& stats);
nlohmann::json stats_to_json(const Stats& stats);

}  // namespace lh::emu::control
