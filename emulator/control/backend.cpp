// backend.cpp — names of the control API's directions, shared by the JSON, Prometheus and CLI
// renderings so every output spells them the same way (drop causes: emulator/stats).
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

}  // namespace lh::emu::control
