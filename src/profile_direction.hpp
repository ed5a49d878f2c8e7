// profile_direction.hpp — applying one direction table of a link profile to a DirectionConfig
// (internal to the profile parser: shared by TOML files, JSON profiles and JSON patches).
//
// Application is incremental: only the keys present change the config, which is how `[both]` then
// `[a_to_b]` layer, and how a live patch changes one setting. Checks that involve several keys run
// once on the final config (validate_direction), locating each key by its recorded origin.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "src/link_profile.hpp"
#include "src/profile_table.hpp"

namespace lh::detail {

using Origins = std::map<std::string, KeyOrigin>;

// Applies the keys of direction table `t` to `dir`; throws ParseError on the first bad key.
void apply_direction_table(DirectionConfig& dir, const ProfileTable& t);

// Whole-direction checks (jitter/distribution, reorder/mode, RED thresholds, rate vs delivery).
// `ctx.origins` locates keys; keys without an origin are reported as `<display_prefix>.<key>`.
void validate_direction(const DirectionConfig& dir, const ParseContext& ctx, std::string_view display_prefix);

// A whole document {link, both, a_to_b, b_to_a} → LinkProfile (name defaults to `default_name`).
LinkProfile parse_profile_root(const toml::table& root, const std::string& source,
                               const TraceFiles& files, std::string_view default_name);

// Loss-model vocabulary shared with the JSON writer.
std::string_view loss_model_name(const LossConfig& loss);

}  // namespace lh::detail
