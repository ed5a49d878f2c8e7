// matrix.cpp — sweep parsing, profile resolution and matrix expansion; see matrix.hpp.
#include "lab/matrix.hpp"

#include <cmath>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "src/profile.hpp"

namespace lh::lab {
namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}

// A whole string as one finite number (std::stod alone accepts trailing junk); nullopt otherwise.
std::optional<double> parse_number(const std::string& v) {
  size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (used != v.size() || !std::isfinite(x)) return std::nullopt;
  return x;
}

double parse_loss_value(std::string_view flag, const std::string& v) {
  if (v.ends_with("%")) {
    try {
      return parse_probability(v).value();
    } catch (const ParseError& e) {
      throw std::invalid_argument(fmt::format("--sweep {}: loss '{}': {}", flag, v, e.what()));
    }
  }
  const std::optional<double> p = parse_number(v);
  if (!p || *p < 0 || *p > 1) {
    throw std::invalid_argument(fmt::format(
        "--sweep {}: loss '{}' is not a probability (a fraction 0..1 like 1e-4, or a percentage like 0.01%)", flag, v));
  }
  return *p;
}

// JSON (lh::to_json's profile vocabulary) → TOML tree; nulls are dropped (they mean "absent").
toml::table json_to_toml(const nlohmann::json& j);
void put(toml::array& arr, const nlohmann::json& v);

template <typename Put>
void convert(const nlohmann::json& v, Put&& put_value) {
  switch (v.type()) {
    case nlohmann::json::value_t::object: put_value(json_to_toml(v)); break;
    case nlohmann::json::value_t::array: {
      toml::array arr;
      for (const auto& e : v) put(arr, e);
      put_value(std::move(arr));
      break;
    }
    case nlohmann::json::value_t::string: put_value(v.get<std::string>()); break;
    case nlohmann::json::value_t::boolean: put_value(v.get<bool>()); break;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: put_value(v.get<int64_t>()); break;
    case nlohmann::json::value_t::number_float: put_value(v.get<double>()); break;
    default: break;
  }
}

void put(toml::array& arr, const nlohmann::json& v) {
  convert(v, [&](auto&& x) { arr.push_back(std::forward<decltype(x)>(x)); });
}

toml::table json_to_toml(const nlohmann::json& j) {
  toml::table t;
  for (auto it = j.begin(); it != j.end(); ++it) {
    convert(it.value(), [&](auto&& x) { t.insert_or_assign(it.key(), std::forward<decltype(x)>(x)); });
  }
  return t;
}

std::string loss_label(double p) { return fmt::format("loss={:g}", p); }
std::string ge_label(double p, double burst) { return fmt::format("ge-loss={:g} burst={:g}", p, burst); }

// One value of one axis, as expand_points applies it.
struct AxisStep {
  SweepAxis::Kind kind = SweepAxis::Kind::kLoss;
  double loss = 0;
  Nanos delay{0};
};

}  // namespace

SweepAxis parse_sweep(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    throw std::invalid_argument(
        fmt::format("--sweep '{}': expected loss=P1,P2,..., ge-loss=P1,P2,... or delay=D1,D2,...", text));
  }
  const std::string_view key = text.substr(0, eq);
  SweepAxis axis{.text = std::string(text)};
  const std::vector<std::string> values = split(text.substr(eq + 1), ',');
  if (key == "loss" || key == "ge-loss") {
    axis.kind = key == "loss" ? SweepAxis::Kind::kLoss : SweepAxis::Kind::kGeLoss;
    for (const auto& v : values) axis.loss.push_back(parse_loss_value(text, v));
  } else if (key == "delay") {
    axis.kind = SweepAxis::Kind::kDelay;
    for (const auto& v : values) {
      try {
        axis.delay.push_back(parse_duration(v));
      } catch (const ParseError& e) {
        throw std::invalid_argument(fmt::format("--sweep {}: delay '{}': {}", text, v, e.what()));
      }
    }
  } else {
    throw std::invalid_argument(fmt::format("--sweep '{}': unknown parameter '{}' (expected loss, ge-loss or delay)", text, key));
  }
  return axis;
}

double parse_ge_burst(std::string_view text) {
  const std::string v(text);
  const std::optional<double> b = parse_number(v);
  if (!b || *b < 1 || *b > 1e6) {
    throw std::invalid_argument(fmt::format(
        "--ge-burst '{}': expected the mean loss-burst length in packets, a number from 1 to 1e6 (e.g. 4)", v));
  }
  return *b;
}

ProfileKeys profile_keys(const LinkProfile& p) {
  ProfileKeys k;
  k.rate = p.a_to_b.rate.rate;
  auto one_way = [](const PropagationConfig& pc) {
    return Nanos{static_cast<int64_t>(pc.distance.km() * static_cast<double>(pc.per_km.ns))} + pc.extra;
  };
  k.rtt = one_way(p.a_to_b.propagation) + one_way(p.b_to_a.propagation);
  const LossConfig& l = p.a_to_b.loss;
  if (std::holds_alternative<NoLoss>(l)) {
    k.loss_model = "none";
  } else if (const auto* b = std::get_if<BernoulliLoss>(&l)) {
    k.loss_model = "bernoulli";
    k.loss = b->p.value();
  } else if (const auto* ge = std::get_if<GilbertElliottLoss>(&l)) {
    k.loss_model = "gilbert-elliott";
    const double p_gb = ge->p.value(), r = ge->r.value();
    const double bad = p_gb + r > 0 ? p_gb / (p_gb + r) : 0;   // stationary share of the Bad state
    k.loss = bad * ge->loss_bad.value() + (1 - bad) * ge->loss_good.value();
    k.ge_burst = r > 0 ? 1 / r : 0;
  } else {
    k.loss = -1;
    k.loss_model = std::holds_alternative<MarkovLoss>(l) ? "markov" : "trace";
  }
  return k;
}

LinkProfile resolve_profile(std::string_view name_or_file) {
  const std::string s(name_or_file);
  if (s.find('/') != std::string::npos || s.ends_with(".toml")) {
    if (!std::filesystem::exists(s)) throw std::invalid_argument(fmt::format("profile file '{}' does not exist", s));
    // Absolute, so trace files it names stay valid when the profile is re-written under the run folder.
    return load_profile(std::filesystem::absolute(s));
  }
  for (const std::string& n : builtin_profile_names()) {
    if (n == s) return builtin_profile(s);
  }
  std::string known;
  for (const std::string& n : builtin_profile_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument(fmt::format("unknown profile '{}' (built-in: {}; or give a .toml file)", s, known));
}

void set_bernoulli_loss(LinkProfile& p, double loss) {
  for (DirectionConfig* d : {&p.a_to_b, &p.b_to_a}) {
    if (loss == 0) {
      d->loss = NoLoss{};
    } else {
      d->loss = BernoulliLoss{Probability::from_double(loss)};
    }
  }
}

void set_ge_loss(LinkProfile& p, double mean, double burst) {
  if (mean == 0) return set_bernoulli_loss(p, 0);
  const double r = 1 / burst;
  const double p_gb = mean * r / (1 - mean);
  if (!(mean < 1) || p_gb > 1) {
    throw std::invalid_argument(fmt::format(
        "--sweep ge-loss={:g} with --ge-burst {:g}: a mean loss above {:g} cannot be reached with bursts of {:g} "
        "packets (P(Good->Bad) would exceed 1); lower the loss or lengthen the burst",
        mean, burst, burst / (burst + 1), burst));
  }
  for (DirectionConfig* d : {&p.a_to_b, &p.b_to_a}) {
    d->loss = GilbertElliottLoss{.p = Probability::from_double(p_gb), .r = Probability::from_double(r),
                                 .loss_bad = Probability::from_double(1), .loss_good = Probability::from_double(0)};
  }
}

void set_one_way_delay(LinkProfile& p, Nanos delay) {
  for (DirectionConfig* d : {&p.a_to_b, &p.b_to_a}) {
    d->propagation.distance = Km{0};
    d->propagation.extra = delay;
  }
}

std::vector<MatrixPoint> expand_points(const std::vector<LinkProfile>& profiles, const LinkProfile& base,
                                       const std::vector<SweepAxis>& sweeps, double ge_burst) {
  std::vector<MatrixPoint> out;
  if (sweeps.empty()) {
    for (const LinkProfile& p : profiles) out.push_back({.label = p.name, .profile = p});
    return out;
  }
  // The dimensions of the product: every loss-kind sweep appends to one shared loss dimension.
  std::vector<std::vector<AxisStep>> dims;
  std::optional<size_t> loss_dim;
  for (const SweepAxis& axis : sweeps) {
    std::vector<AxisStep> steps;
    if (axis.kind == SweepAxis::Kind::kDelay) {
      for (Nanos d : axis.delay) steps.push_back({.kind = axis.kind, .delay = d});
      dims.push_back(std::move(steps));
      continue;
    }
    for (double l : axis.loss) steps.push_back({.kind = axis.kind, .loss = l});
    if (!loss_dim) {
      loss_dim = dims.size();
      dims.emplace_back();
    }
    dims[*loss_dim].insert(dims[*loss_dim].end(), steps.begin(), steps.end());
  }
  out.push_back({.label = base.name, .profile = base});
  for (const std::vector<AxisStep>& dim : dims) {
    std::vector<MatrixPoint> next;
    for (const MatrixPoint& pt : out) {
      for (const AxisStep& st : dim) {
        MatrixPoint q = pt;
        if (st.kind == SweepAxis::Kind::kLoss) {
          set_bernoulli_loss(q.profile, st.loss);
          q.sweep_loss = st.loss;
          q.sweep_loss_model = "bernoulli";
          q.label += " " + loss_label(st.loss);
        } else if (st.kind == SweepAxis::Kind::kGeLoss) {
          set_ge_loss(q.profile, st.loss, ge_burst);
          q.sweep_loss = st.loss;
          q.sweep_loss_model = "gilbert-elliott";
          q.label += " " + ge_label(st.loss, ge_burst);
        } else {
          set_one_way_delay(q.profile, st.delay);
          q.sweep_delay = st.delay;
          q.label += " delay=" + format(st.delay);
        }
        next.push_back(std::move(q));
      }
    }
    out = std::move(next);
  }
  return out;
}

std::string profile_to_toml(const LinkProfile& p) {
  std::ostringstream os;
  os << json_to_toml(lh::to_json(p)) << "\n";
  return os.str();
}

nlohmann::json to_json(const MatrixSpec& m) {
  return {{"profiles", m.profiles}, {"transports", m.transports}, {"sweeps", m.sweeps},
          {"base_profile", m.base_profile}, {"ge_burst", m.ge_burst}, {"size", m.size}, {"shard", m.shard},
          {"repeat", m.repeat}, {"duration_limit", m.duration_limit}, {"workload", m.workload}};
}

MatrixSpec matrix_from_json(const nlohmann::json& j) {
  try {
    MatrixSpec m;
    m.profiles = j.at("profiles").get<std::vector<std::string>>();
    m.transports = j.at("transports").get<std::vector<std::string>>();
    m.sweeps = j.at("sweeps").get<std::vector<std::string>>();
    m.base_profile = j.at("base_profile").get<std::string>();
    m.ge_burst = j.value("ge_burst", m.ge_burst);   // absent in baselines recorded before ge-loss sweeps
    m.size = j.at("size").get<std::string>();
    m.shard = j.at("shard").get<std::string>();
    m.repeat = j.at("repeat").get<int>();
    m.duration_limit = j.at("duration_limit").get<std::string>();
    m.workload = j.value("workload", m.workload);   // absent in baselines recorded before trace workloads
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(fmt::format("matrix: {}", e.what()));
  }
}

std::pair<std::string, std::string> parse_override(std::string_view text) {
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    throw std::invalid_argument(
        fmt::format("--transport-override '{}': expected NAME=REPLACEMENT, e.g. longhaul=longhaul-fixed:250mbit", text));
  }
  std::string from(text.substr(0, eq)), to(text.substr(eq + 1));
  workload::parse_transport_spec(from);
  workload::parse_transport_spec(to);
  return {from, to};
}

std::vector<LabTransport> resolve_transports(const std::vector<std::string>& names,
                                             const std::map<std::string, std::string>& overrides) {
  if (names.empty()) throw std::invalid_argument("--transports: at least one transport is needed");
  std::vector<LabTransport> out;
  for (const std::string& n : names) {
    workload::parse_transport_spec(n);  // the recorded name must itself be valid
    const auto it = overrides.find(n);
    out.push_back(LabTransport{.name = n, .spec = workload::parse_transport_spec(it == overrides.end() ? n : it->second)});
  }
  for (const auto& [from, to] : overrides) {
    bool used = false;
    for (const std::string& n : names) used = used || n == from;
    if (!used) throw std::invalid_argument(fmt::format("--transport-override {}={}: '{}' is not in --transports", from, to, from));
  }
  return out;
}

Matrix build_matrix(const MatrixSpec& spec, const std::map<std::string, std::string>& overrides) {
  Matrix m{.spec = spec};
  if (spec.repeat < 1 || spec.repeat > 100) {
    throw std::invalid_argument(fmt::format("--repeat {}: expected 1..100", spec.repeat));
  }
  auto parse_size = [](const char* flag, const std::string& v) {
    try {
      const Bytes b = parse_bytes(v);
      if (b.n == 0) throw ParseError("must be above 0");
      return b;
    } catch (const ParseError& e) {
      throw std::invalid_argument(fmt::format("{} '{}': {}", flag, v, e.what()));
    }
  };
  m.size = parse_size("--size", spec.size);
  m.shard = parse_size("--shard", spec.shard);
  try {
    m.duration_limit = parse_duration(spec.duration_limit);
  } catch (const ParseError& e) {
    throw std::invalid_argument(fmt::format("--duration-limit '{}': {}", spec.duration_limit, e.what()));
  }
  m.transports = resolve_transports(spec.transports, overrides);
  m.workload = parse_workload(spec.workload);
  m.ge_burst = parse_ge_burst(spec.ge_burst);
  std::vector<SweepAxis> sweeps;
  for (const std::string& s : spec.sweeps) sweeps.push_back(parse_sweep(s));
  std::vector<LinkProfile> profiles;
  for (const std::string& p : spec.profiles) profiles.push_back(resolve_profile(p));
  if (profiles.empty() && spec.base_profile.empty()) throw std::invalid_argument("--profiles: at least one profile is needed");
  const LinkProfile base = !spec.base_profile.empty() ? resolve_profile(spec.base_profile) : profiles.front();
  if (!sweeps.empty() && profiles.size() > 1 && spec.base_profile.empty()) {
    throw std::invalid_argument("--sweep with several --profiles: name the one to sweep with --base-profile");
  }
  m.points = expand_points(profiles, base, sweeps, m.ge_burst);
  for (const MatrixPoint& pt : m.points) {
    // lh-emu must accept what we will hand it: round-trip through TOML now, not mid-run.
    parse_profile(profile_to_toml(pt.profile), pt.label, ".");
  }
  return m;
}

}  // namespace lh::lab
