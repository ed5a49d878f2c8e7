// backend.cpp — names of the control API's enums (directions, drop reasons), shared by the JSON,
// Prometheus and CLI renderings so every output spells them the same way.
#include "emulator/control/backend.hpp"

namespace lh::emu::control {

const char* to_string(Direction d) noexcept {
  return d == Direction::kAToB ? "a_to_b" : "b_to_a";
}

bool parse_direction(std::string_view s, Direction& out) noexcept {
  if (s == "a_to_b") { out = Direction::kAToB; return true; }
  if (s == "b_to_a") { out = Direction::kBToA; return true; }
  return false;
}

const char* to_string(DropReason r) noexcept {
  switch (r) {
    case DropReason::kLoss: return "loss";
    case DropReason::kQueueFull: return "queue_full";
    case DropReason::kAqm: return "aqm";
    case DropReason::kOutage: return "outage";
    case DropReason::kNoMbuf: return "no_mbuf";
    case DropReason::kTxFull: return "tx_full";
    case DropReason::kCount: break;
  }
  return "unknown";
}

}  // namespace lh::emu::control
