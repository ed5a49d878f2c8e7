// event_request.hpp — parses the body of POST /events into an EventRequest (backend.hpp).
//
//   {"direction": "both"|"a_to_b"|"b_to_a",     default "both"
//    "at": "+5s" | "90s",   absent = now; "+D" = D from now; "D" = D after the emulator's epoch
//    ...the keys of one [[events]] entry of a profile: "kind" ("outage", "protection-switch",
//    "reroute"), "duration", "delay_delta", "repeat_every", "repeat_count"}
// The event itself is validated by the core profile code (apply_direction_patch), so it accepts
// exactly what a profile's events table accepts; this file only handles direction and "at".
#pragma once

#include <nlohmann/json.hpp>

#include "emulator/control/backend.hpp"

namespace lh::emu::control {

// Throws ValidationError (or lh::ParseError from the core validator) naming the key and the value.
EventRequest parse_event_request(const nlohmann::json& body);

}  // namespace lh::emu::control
