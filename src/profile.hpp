// profile.hpp — link profiles: TOML files ↔ lh::LinkProfile, JSON for the control API, built-ins.
//
// One key vocabulary everywhere (emulator/PROFILES.md): TOML profiles, JSON profiles (PUT /profile)
// and JSON patches of one direction (PATCH) all go through the same table walker and the same
// validation, so a value accepted in one is accepted in all. Quantities with units are strings
// ("35ms", "1gbit", "0.01%"); a bare number is an error. Errors throw lh::ParseError whose message
// names file:line:column (or the caller's `where` for JSON), the key path, the value and what is
// accepted. Unknown keys are errors, with a "did you mean" suggestion. Setup-time code: allocates.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "src/link_profile.hpp"
#include "src/trace_files.hpp"
#include "src/units.hpp"

namespace lh {

// Reads and validates a TOML profile file. Trace files named in it resolve relative to its folder.
LinkProfile load_profile(const std::filesystem::path& file);

// Validates TOML text. `source_name` prefixes error locations ("continental.toml:12:5: ...");
// relative trace-file paths resolve against `base_dir`.
LinkProfile parse_profile(std::string_view toml_text, std::string_view source_name,
                          const std::filesystem::path& base_dir);

// Profiles compiled into the library (the exact text of traces/profiles/<name>.toml), so lh-emu
// and tests run without files. builtin_profile throws ParseError naming the known names.
LinkProfile builtin_profile(std::string_view name);
std::vector<std::string> builtin_profile_names();
// The embedded TOML text of a built-in profile (empty if unknown); tests compare it to the file.
std::string_view builtin_profile_text(std::string_view name);

// Live patch of one direction (control API, PATCH). `patch` is a JSON object with the keys of a
// direction table (e.g. {"loss": {"p": "0.1%"}, "rate": "500mbit"}); keys not named keep their
// value, arrays (schedule, events) are replaced whole, "trace": null / "delivery": null remove a
// trace. Changing loss.model starts that model from its defaults (its required keys must be given).
// Validation is exactly that of the TOML direction tables. On error `dir` is unchanged and the
// ParseError message starts with `where` (e.g. "PATCH /v1/directions/a_to_b").
// Trace files are read under `files`' rules (trace_files.hpp); the default reads none — a patch comes
// from the control API, which reads files only beneath lh-emu's --trace-dir.
void apply_direction_patch(DirectionConfig& dir, const nlohmann::json& patch, std::string_view where,
                           const TraceFiles& files = TraceFiles::off());

// The same vocabulary as the TOML format, with unit strings (lh::format). Every field is written,
// so profile_from_json(to_json(p)) reproduces p and apply_direction_patch accepts to_json(dir).
// Traces are written as their file path ({"file": "..."}).
nlohmann::json to_json(const DirectionConfig& dir);
// {"link": {"name", "description", "seed"}, "a_to_b": {...}, "b_to_a": {...}}
nlohmann::json to_json(const LinkProfile& profile);

// A whole profile from JSON (PUT /profile): the TOML document structure as JSON, including the
// optional "both" table. Errors start with `where`. source is set to `where`.
// Trace files as for apply_direction_patch (default: none).
LinkProfile profile_from_json(const nlohmann::json& doc, std::string_view where,
                              const TraceFiles& files = TraceFiles::off());

}  // namespace lh
