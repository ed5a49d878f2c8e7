// event_request.cpp — POST /events bodies: direction and "at" here, the event by the core validator.
#include "emulator/control/event_request.hpp"

#include <fmt/format.h>

#include <string>

#include "src/profile.hpp"
#include "src/units.hpp"

namespace lh::emu::control {

namespace {

constexpr const char* kWhere = "POST /events";

std::string string_value(const nlohmann::json& body, const char* key, const char* accepted) {
  const nlohmann::json& v = body.at(key);
  if (!v.is_string())
    throw ValidationError(fmt::format("{}: \"{}\" must be a string ({}), got {}", kWhere, key, accepted, v.dump()));
  return v.get<std::string>();
}

}  // namespace

EventRequest parse_event_request(const nlohmann::json& body) {
  if (!body.is_object()) throw ValidationError(fmt::format("{}: the body must be a JSON object", kWhere));
  EventRequest r;
  nlohmann::json event = body;
  if (body.contains("direction")) {
    const std::string d = string_value(body, "direction", "both, a_to_b or b_to_a");
    Direction dir{};
    if (d == "both") {
      r.a_to_b = r.b_to_a = true;
    } else if (parse_direction(d, dir)) {
      r.a_to_b = dir == Direction::kAToB;
      r.b_to_a = dir == Direction::kBToA;
    } else {
      throw ValidationError(fmt::format("{}: \"direction\" = \"{}\"; accepted: both, a_to_b, b_to_a", kWhere, d));
    }
    event.erase("direction");
  }
  r.base = EventRequest::Base::kNow;
  event["at"] = "0s";
  if (body.contains("at")) {
    const std::string at = string_value(body, "at", "\"+5s\" (from now) or \"90s\" (since the epoch)");
    if (at.starts_with("+")) {
      event["at"] = at.substr(1);
    } else {
      r.base = EventRequest::Base::kEpoch;
      event["at"] = at;
    }
  }
  // The same validation as a profile's [[events]] entry: parse it into a scratch direction.
  DirectionConfig scratch;
  apply_direction_patch(scratch, nlohmann::json{{"events", nlohmann::json::array({event})}}, kWhere);
  if (scratch.events.size() != 1)
    throw ValidationError(fmt::format("{}: expected exactly one event", kWhere));
  r.event = scratch.events.front();
  return r;
}

}  // namespace lh::emu::control
