// link_trace.hpp — readers for the trace files a link profile can name (formats: traces/FORMATS.md).
//
//  * link traces (ours): piecewise-constant rate/delay/loss with ns timestamps → lh::LinkTrace
//  * Mahimahi packet-delivery traces: one ms timestamp per delivery opportunity → lh::DeliveryTrace
//  * loss patterns: 0/1 per packet (with a run-length form) → lh::LossPattern
// Strict, Mahimahi-style validation: every error is a lh::ParseError naming file:line, what was
// wrong and what is accepted. Setup-time code (allocates, throws); never on the per-packet path.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "src/link_profile.hpp"

namespace lh {

// The whole file as text; ParseError ("<path>: cannot open: <reason>") if unreadable.
std::string read_text_file(const std::filesystem::path& file);

// `source` names the text in messages and is stored in the result's `source` field.
LinkTrace parse_link_trace(std::string_view text, std::string_view source);
DeliveryTrace parse_delivery_trace(std::string_view text, std::string_view source);
LossPattern parse_loss_pattern(std::string_view text, std::string_view source);

// Regular files of at most 64 MiB (trace_files.hpp); relative paths against the working directory.
std::shared_ptr<const LinkTrace> load_link_trace(const std::filesystem::path& file);
std::shared_ptr<const DeliveryTrace> load_delivery_trace(const std::filesystem::path& file);
std::shared_ptr<const LossPattern> load_loss_pattern(const std::filesystem::path& file);

// The text form of a link trace (header, then one line per point with every field), such that
// parse_link_trace(format_link_trace(t), ...) reproduces t. For tools that generate traces.
std::string format_link_trace(const LinkTrace& trace);

// Largest loss pattern accepted (entries), so a run-length typo cannot exhaust memory.
inline constexpr uint64_t kMaxLossPatternLength = uint64_t{1} << 26;

}  // namespace lh
