// matrix.hpp — what a lab run measures: link profiles (or sweep points of one base profile) ×
// transports × repeats, plus the key parameters recorded with every result.
//
// Sweeps (--sweep loss=0,1e-5,1e-3 / --sweep delay=5ms,25ms) derive profiles from a base profile:
// loss=p sets Bernoulli(p) loss in both directions (0 = no loss; p as a fraction "1e-4" or a
// percentage "0.01%"); ge-loss=p sets bursty Gilbert–Elliott loss of mean rate p in both directions
// (pure Gilbert: every packet lost in Bad, none in Good; mean burst length B packets from --ge-burst,
// default 4, so r = P(Bad→Good) = 1/B and p_gb = P(Good→Bad) = p·r/(1−p), making the stationary
// loss p_gb/(p_gb+r) = p); delay=d sets the propagation so the one-way delay is d in both directions
// (distance 0, extra = d). loss and ge-loss sweeps both choose the loss model, so together they form
// one axis (their points one after the other); different axes give their cartesian product.
// Units: rate bit/s, delays ns, bursts packets. Pure setup-time code; unit-tested in tests/unit/lab.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/trace_workload.hpp"
#include "workload/common/transport_spec.hpp"
#include "src/link_profile.hpp"
#include "src/units.hpp"

namespace lh::lab {

struct SweepAxis {
  enum class Kind { kLoss, kGeLoss, kDelay } kind = Kind::kLoss;
  std::vector<double> loss;      // kLoss, kGeLoss: (mean) loss probabilities in [0, 1]
  std::vector<Nanos> delay;      // kDelay: one-way delays
  std::string text;              // as given, for the report
};

// Parses "loss=0,1e-5,0.01%", "ge-loss=1e-3,1e-2" or "delay=5ms,25ms". Throws std::invalid_argument
// naming the flag value. (ge-loss values are checked against the burst length by build_matrix.)
SweepAxis parse_sweep(std::string_view text);

// --ge-burst: the mean loss-burst length B in packets (a number from 1 to 1e6, e.g. "4" or "2.5").
inline constexpr double kDefaultGeBurst = 4;
double parse_ge_burst(std::string_view text);

// The key parameters of a profile (its a_to_b direction for rate/loss; RTT sums both directions).
struct ProfileKeys {
  BitsPerSecond rate{0};
  Nanos rtt{0};            // propagation only: distance × per_km + extra, both directions
  double loss = 0.0;       // mean loss of a_to_b: Bernoulli p, Gilbert–Elliott's stationary rate;
                           // 0 for no loss; -1 for the models without a closed form (markov, trace)
  double ge_burst = 0.0;   // Gilbert–Elliott: mean Bad-state length 1/r in packets; else 0
  std::string loss_model;  // "none", "bernoulli", "gilbert-elliott", "markov", "trace"
  Bytes bdp() const {   // rate × RTT / 8, exact integer arithmetic
    return Bytes{static_cast<uint64_t>(static_cast<unsigned __int128>(rate.bps) * static_cast<uint64_t>(rtt.ns) / 8'000'000'000u)};
  }
};
ProfileKeys profile_keys(const LinkProfile& p);

// One profile the run measures: a named profile or a sweep point of the base profile.
struct MatrixPoint {
  std::string label;       // "continental-4000km", "continental-4000km loss=1e-05 delay=25ms" or
                           // "wan-500mbit-50ms ge-loss=0.01 burst=4"
  LinkProfile profile;
  std::optional<double> sweep_loss;          // the (mean) loss rate set by a loss or ge-loss sweep
  std::string sweep_loss_model;              // with sweep_loss: "bernoulli" or "gilbert-elliott"
  std::optional<Nanos> sweep_delay;
};

// "name" → builtin profile; a path (contains '/' or ends in .toml) → load_profile. Throws
// std::invalid_argument naming the known built-in profiles, or lh::ParseError for a bad file.
LinkProfile resolve_profile(std::string_view name_or_file);

// The profiles to run: without sweeps each of `profiles`; with sweeps, the cartesian product of the
// sweep axes (loss and ge-loss joined into one) applied to `base`. Throws std::invalid_argument when
// a ge-loss value cannot be reached with that burst length (mean loss above B/(B+1)).
std::vector<MatrixPoint> expand_points(const std::vector<LinkProfile>& profiles, const LinkProfile& base,
                                       const std::vector<SweepAxis>& sweeps, double ge_burst = kDefaultGeBurst);

// Applies one loss / delay setting to both directions.
void set_bernoulli_loss(LinkProfile& p, double loss);
// Pure Gilbert loss of stationary rate `mean` with mean burst `burst` packets (0 = no loss).
void set_ge_loss(LinkProfile& p, double mean, double burst);
void set_one_way_delay(LinkProfile& p, Nanos delay);

// The profile as TOML text that lh-emu's --profile accepts (built from lh::to_json).
std::string profile_to_toml(const LinkProfile& p);

// The matrix as given on the command line (recorded in baselines and re-run by regress).
struct MatrixSpec {
  std::vector<std::string> profiles;
  std::vector<std::string> transports;
  std::vector<std::string> sweeps;
  std::string base_profile;     // empty: the first of profiles
  std::string ge_burst = "4";   // packets; mean burst of ge-loss sweeps
  std::string size = "2GiB";
  std::string shard = "64MiB";
  int repeat = 3;
  std::string duration_limit = "120s";
  std::string workload = "bulk";   // "bulk" (lh-xfer, --size/--shard) or "trace:FILE" (lh-trace replay)
};
nlohmann::json to_json(const MatrixSpec& m);
MatrixSpec matrix_from_json(const nlohmann::json& j);   // throws std::invalid_argument on bad shape

// A transport of the matrix: the name results carry (as written on --transports) and the spec its
// runs use — the same, or the replacement an override names.
struct LabTransport {
  std::string name;
  workload::TransportSpec spec;
};

// "a=b" test hook (--transport-override): every run of transport a uses transport b instead, while
// results keep the name a (so a baseline recorded with a can be compared). Throws on bad syntax or
// names (workload::parse_transport_spec's message).
std::pair<std::string, std::string> parse_override(std::string_view text);

// The matrix's transport names with the overrides applied; throws on the first bad name.
std::vector<LabTransport> resolve_transports(const std::vector<std::string>& names,
                                             const std::map<std::string, std::string>& overrides);

// A fully validated matrix, ready to run.
struct Matrix {
  MatrixSpec spec;
  std::vector<MatrixPoint> points;
  std::vector<LabTransport> transports;
  Bytes size{0};
  Bytes shard{0};
  Nanos duration_limit{0};
  double ge_burst = kDefaultGeBurst;
  Workload workload;
  size_t run_count() const { return points.size() * transports.size() * static_cast<size_t>(spec.repeat); }
};
// Validates everything (profiles, transports, sweeps, sizes) before anything starts; throws
// std::invalid_argument / lh::ParseError with one clear message.
Matrix build_matrix(const MatrixSpec& spec, const std::map<std::string, std::string>& overrides);

}  // namespace lh::lab
