// profile_direction.cpp — the direction tables of a link profile: keys, units, ranges, defaults.
//
// The vocabulary here is the one documented in emulator/PROFILES.md; keep the two in step. Each
// apply_* function changes only the keys its table names (so `[both]` and live patches layer), and
// checks what can be checked from that table alone; validate_direction checks key combinations.
#include "src/profile_direction.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "src/link_trace.hpp"

namespace lh::detail {
namespace {

constexpr std::string_view kDirectionKeys[] = {"rate",   "overhead", "queue", "loss",  "propagation",
                                               "jitter", "schedule", "events", "trace", "delivery"};
constexpr std::string_view kQueueKeys[] = {"limit", "discipline", "red"};
constexpr std::string_view kDisciplines[] = {"droptail", "red"};
constexpr std::string_view kRedKeys[] = {"min_threshold", "max_threshold", "max_p", "weight", "ecn"};
// Index = LossConfig variant index.
constexpr std::string_view kLossModels[] = {"none", "bernoulli", "gilbert-elliott", "markov4", "trace"};
constexpr std::string_view kLossKeys[] = {"model", "p", "r", "loss_bad", "loss_good", "p13",
                                          "p31", "p32", "p23", "p14", "file"};
constexpr std::string_view kPropagationKeys[] = {"distance", "per_km", "refractive_index", "extra"};
constexpr std::string_view kJitterKeys[] = {"distribution", "jitter", "correlation", "mode",
                                            "reorder", "duplicate", "corrupt"};
constexpr std::string_view kDistributions[] = {"none", "uniform", "normal", "pareto", "paretonormal"};
constexpr std::string_view kJitterModes[] = {"order-preserving", "reordering"};
constexpr std::string_view kScheduleKeys[] = {"at", "rate", "extra_delay", "loss"};
constexpr std::string_view kEventKeys[] = {"at", "kind", "duration", "delay_delta", "repeat_every", "repeat_count"};
constexpr std::string_view kEventKinds[] = {"outage", "protection-switch", "reroute"};
constexpr std::string_view kFileKeys[] = {"file"};

constexpr double kLightKmPerSecond = 299'792.458;

// Reads and parses the trace file `file` names under the context's rules (trace_files.hpp).
template <typename Parse>
auto load_trace(const ParseContext& ctx, const std::string& file, std::string_view kind, Parse parse) {
  const TraceFileText f = read_trace_file(file, ctx.files);
  try {
    return parse(f.text, f.name);
  } catch (const ParseError& e) {
    throw_parse_error(e.what(), f, ctx.files, kind);
  }
}

// A rate key: "<rate>" (> 0) or "unlimited" (0).
std::optional<BitsPerSecond> rate_or_unlimited(const ProfileTable& t, std::string_view key) {
  const auto text = t.unit_string(key, "\"1gbit\" or \"unlimited\"");
  if (!text) return std::nullopt;
  if (*text == "unlimited") return BitsPerSecond{0};
  const auto r = t.rate(key);
  if (r->bps == 0) t.fail(key, "a zero rate carries nothing; expected e.g. \"1gbit\", or \"unlimited\"");
  return r;
}

void apply_red(RedConfig& red, const ProfileTable& t) {
  t.allow_only(kRedKeys);
  if (auto v = t.bytes("min_threshold")) red.min_threshold = *v;
  if (auto v = t.bytes("max_threshold")) red.max_threshold = *v;
  if (auto v = t.probability("max_p")) red.max_p = *v;
  if (auto v = t.number("weight")) {
    if (!(*v > 0.0 && *v <= 1.0)) t.fail("weight", "expected a number in (0, 1], e.g. 0.002");
    red.weight = *v;
  }
  if (auto v = t.boolean("ecn")) red.ecn = *v;
}

void apply_queue_limit(QueueConfig& q, const ProfileTable& t) {
  constexpr std::string_view kAccepted = "a time (\"25ms\"), a size (\"4MiB\"), a packet count (\"1000pkt\") or \"unlimited\"";
  const auto text = t.unit_string("limit", kAccepted);
  if (!text) return;
  q.limit_bytes = Bytes{0};
  q.limit_packets = 0;
  q.limit_time = Nanos{0};
  if (*text == "unlimited") return;
  const size_t unit_at = text->find_first_not_of("0123456789.+- ");
  const std::string unit = unit_at == std::string::npos ? "" : text->substr(unit_at);
  try {
    if (unit == "pkt") {
      const std::string digits = text->substr(0, unit_at);
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 12) {
        t.fail("limit", "a packet count is a whole number, e.g. \"1000pkt\"");
      }
      q.limit_packets = std::stoull(digits);
    } else if (unit == "ns" || unit == "us" || unit == "\xC2\xB5s" || unit == "ms" || unit == "s" || unit == "min" ||
               unit == "h") {
      q.limit_time = parse_duration(*text);
    } else {
      q.limit_bytes = parse_bytes(*text);
    }
  } catch (const ParseError& e) {
    t.fail("limit", std::string(e.what()) + "; a queue limit is " + std::string(kAccepted));
  }
  if (q.limit_packets == 0 && q.limit_bytes.n == 0 && q.limit_time.ns == 0) {
    t.fail("limit", "a zero limit drops everything; expected " + std::string(kAccepted));
  }
}

void apply_queue(QueueConfig& q, const ProfileTable& t) {
  t.allow_only(kQueueKeys);
  apply_queue_limit(q, t);
  if (auto d = t.choice("discipline", kDisciplines)) q.discipline = static_cast<QueueDiscipline>(*d);
  if (auto red = t.table("red")) apply_red(q.red, *red);
}

LossConfig default_loss(size_t model) {
  switch (model) {
    case 1: return BernoulliLoss{};
    case 2: return GilbertElliottLoss{.loss_bad = Probability::from_double(1.0)};
    case 3: return MarkovLoss{};
    case 4: return TraceLoss{};
    default: return NoLoss{};
  }
}

// The keys each loss model takes, and which of them must be given when the model is chosen.
struct LossKeys {
  std::array<std::string_view, 5> keys;
  std::array<std::string_view, 2> required;
};
constexpr LossKeys kLossModelKeys[] = {
    {{}, {}},
    {{"p"}, {"p"}},
    {{"p", "r", "loss_bad", "loss_good"}, {"p", "r"}},
    {{"p13", "p31", "p32", "p23", "p14"}, {"p13", "p31"}},
    {{"file"}, {"file"}},
};

Probability* loss_param(LossConfig& loss, std::string_view key) {
  if (auto* b = std::get_if<BernoulliLoss>(&loss)) return key == "p" ? &b->p : nullptr;
  if (auto* g = std::get_if<GilbertElliottLoss>(&loss)) {
    if (key == "p") return &g->p;
    if (key == "r") return &g->r;
    if (key == "loss_bad") return &g->loss_bad;
    if (key == "loss_good") return &g->loss_good;
  }
  if (auto* m = std::get_if<MarkovLoss>(&loss)) {
    if (key == "p13") return &m->p13;
    if (key == "p31") return &m->p31;
    if (key == "p32") return &m->p32;
    if (key == "p23") return &m->p23;
    if (key == "p14") return &m->p14;
  }
  return nullptr;
}

void apply_loss(LossConfig& loss, const ProfileTable& t) {
  t.allow_only(kLossKeys);
  if (auto m = t.choice("model", kLossModels); m && *m != loss.index()) {
    loss = default_loss(*m);
    for (auto req : kLossModelKeys[*m].required) {
      if (!req.empty() && !t.has(req)) {
        t.fail("model", "loss model \"" + std::string(kLossModels[*m]) + "\" needs " + t.path(req) + " as well");
      }
    }
  }
  const size_t model = loss.index();
  for (auto&& [k, v] : t.raw()) {
    const std::string_view key = k.str();
    if (key == "model") continue;
    const auto& allowed = kLossModelKeys[model].keys;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string own;
      for (auto a : allowed) own += a.empty() ? "" : (own.empty() ? "" : ", ") + std::string(a);
      t.fail(key, "not a parameter of loss model \"" + std::string(kLossModels[model]) + "\" (its keys: " +
                      (own.empty() ? "none" : own) + "); set " + t.path("model") + " to change the model");
    }
    if (key == "file") {
      const auto file = t.string("file");
      try {
        std::get<TraceLoss>(loss).pattern = load_trace(t.context(), *file, "loss pattern", [](auto text, auto name) {
          return std::make_shared<const LossPattern>(parse_loss_pattern(text, name));
        });
      } catch (const ParseError& e) {
        t.fail("file", e.what());
      }
    } else {
      *loss_param(loss, key) = *t.probability(key);
    }
  }
}

void apply_propagation(PropagationConfig& p, const ProfileTable& t) {
  t.allow_only(kPropagationKeys);
  if (t.has("per_km") && t.has("refractive_index")) {
    t.fail("refractive_index", "give either " + t.path("per_km") + " or " + t.path("refractive_index") + ", not both");
  }
  if (auto v = t.distance("distance")) p.distance = *v;
  if (auto v = t.duration("per_km")) {
    if (v->ns <= 0 || v->ns > 1'000'000) t.fail("per_km", "expected a delay per km from 1ns to 1ms, e.g. \"4.9us\"");
    p.per_km = *v;
  }
  if (auto n = t.number("refractive_index")) {
    if (!(*n >= 1.0 && *n <= 4.0)) t.fail("refractive_index", "expected a number from 1.0 to 4.0, e.g. 1.4682");
    p.per_km = Nanos{std::llround(*n * 1e9 / kLightKmPerSecond)};
  }
  if (auto v = t.duration("extra")) p.extra = *v;
}

void apply_jitter(JitterConfig& j, const ProfileTable& t) {
  t.allow_only(kJitterKeys);
  if (auto d = t.choice("distribution", kDistributions)) j.distribution = static_cast<JitterDistribution>(*d);
  if (auto v = t.duration("jitter")) j.jitter = *v;
  if (auto c = t.probability("correlation")) {
    if (c->value() >= 1.0) t.fail("correlation", "must be below 100% (an AR(1) coefficient in [0%, 100%)); expected e.g. \"25%\"");
    j.correlation = c->value();
  }
  if (auto m = t.choice("mode", kJitterModes)) j.mode = static_cast<JitterMode>(*m);
  if (auto v = t.probability("reorder")) j.reorder = *v;
  if (auto v = t.probability("duplicate")) j.duplicate = *v;
  if (auto v = t.probability("corrupt")) j.corrupt = *v;
}

void apply_schedule(std::vector<ScheduleStep>& out, const ProfileTable& t, const toml::array& arr) {
  std::vector<ScheduleStep> steps;
  for (size_t i = 0; i < arr.size(); ++i) {
    const ProfileTable e = t.element("schedule", arr, i);
    e.allow_only(kScheduleKeys);
    ScheduleStep s;
    const auto at = e.duration("at");
    if (!at) e.fail_table("needs \"at\" (time since the start, e.g. \"30s\")");
    s.at = *at;
    s.rate = rate_or_unlimited(e, "rate");
    s.extra_delay = e.duration("extra_delay");
    s.loss = e.probability("loss");
    if (!s.rate && !s.extra_delay && !s.loss) e.fail_table("changes nothing: give rate, extra_delay or loss");
    if (!steps.empty() && s.at < steps.back().at) {
      e.fail("at", "schedule steps must be in non-decreasing order of \"at\" (previous step is at " +
                       format(steps.back().at) + ")");
    }
    steps.push_back(s);
  }
  out = std::move(steps);
}

void apply_events(std::vector<LinkEvent>& out, const ProfileTable& t, const toml::array& arr) {
  std::vector<LinkEvent> events;
  for (size_t i = 0; i < arr.size(); ++i) {
    const ProfileTable e = t.element("events", arr, i);
    e.allow_only(kEventKeys);
    LinkEvent ev;
    const auto at = e.duration("at");
    if (!at) e.fail_table("needs \"at\" (time since the start, e.g. \"30s\")");
    ev.at = *at;
    const auto kind = e.choice("kind", kEventKinds);
    if (!kind) e.fail_table("needs \"kind\": \"outage\", \"protection-switch\" or \"reroute\"");
    ev.kind = static_cast<LinkEventKind>(*kind);
    const auto duration = e.duration("duration");
    const auto delta = e.signed_duration("delay_delta");
    if (ev.kind == LinkEventKind::kReroute) {
      if (duration) e.fail("duration", "a reroute is instantaneous; use kind = \"protection-switch\" for a switch-over with an outage");
      if (!delta) e.fail_table("a reroute needs delay_delta (e.g. \"+8ms\")");
    } else {
      if (!duration || duration->ns == 0) {
        e.fail(duration ? "duration" : "kind", "an " + std::string(kEventKinds[*kind]) + " needs a duration > 0, e.g. \"50ms\"");
      }
      if (ev.kind == LinkEventKind::kOutage && delta) {
        e.fail("delay_delta", "an outage does not change the delay; use kind = \"protection-switch\" or \"reroute\"");
      }
    }
    ev.duration = duration.value_or(Nanos{0});
    ev.delay_delta = delta.value_or(Nanos{0});
    if (auto every = e.duration("repeat_every")) {
      if (every->ns <= ev.duration.ns) e.fail("repeat_every", "must be longer than duration (" + format(ev.duration) + ")");
      ev.repeat_every = *every;
    }
    if (auto n = e.integer("repeat_count", 0, UINT32_MAX)) {
      if (ev.repeat_every.ns == 0) e.fail("repeat_count", "needs repeat_every");
      ev.repeat_count = static_cast<uint32_t>(*n);
    }
    if (!events.empty() && ev.at < events.back().at) {
      e.fail("at", "events must be in non-decreasing order of \"at\" (previous event is at " + format(events.back().at) + ")");
    }
    events.push_back(ev);
  }
  out = std::move(events);
}

template <typename Trace, typename Parse>
void apply_file_table(std::shared_ptr<const Trace>& out, const ProfileTable& t, std::string_view kind, Parse parse) {
  t.allow_only(kFileKeys);
  const auto file = t.string("file");
  if (!file) t.fail_table("needs \"file\" (a path, relative to the profile)");
  try {
    out = load_trace(t.context(), *file, kind, [&](std::string_view text, const std::string& name) {
      return std::make_shared<const Trace>(parse(text, name));
    });
  } catch (const ParseError& e) {
    t.fail("file", e.what());
  }
}

// A key misplaced at direction level ("distance" instead of propagation.distance) gets a pointer.
void check_misplaced(const ProfileTable& t) {
  struct Sub {
    std::string_view table;
    std::span<const std::string_view> keys;
  };
  const Sub subs[] = {{"queue", kQueueKeys},   {"loss", kLossKeys},   {"propagation", kPropagationKeys},
                      {"jitter", kJitterKeys}, {"queue.red", kRedKeys}};
  for (auto&& [k, v] : t.raw()) {
    const std::string_view key = k.str();
    if (std::find(std::begin(kDirectionKeys), std::end(kDirectionKeys), key) != std::end(kDirectionKeys)) continue;
    for (const auto& s : subs) {
      if (std::find(s.keys.begin(), s.keys.end(), key) != s.keys.end()) {
        t.fail(key, "unknown key here; it belongs in [" + t.path(s.table) + "]");
      }
    }
  }
}

[[noreturn]] void fail_key(const ParseContext& ctx, std::string_view prefix, const std::string& key,
                           const std::string& current, std::string_view message) {
  if (ctx.origins != nullptr) {
    if (auto it = ctx.origins->find(key); it != ctx.origins->end()) {
      throw ParseError(location(ctx, it->second.region) + it->second.display_path + " = " + it->second.value + ": " +
                       std::string(message));
    }
  }
  const std::string path = prefix.empty() ? key : std::string(prefix) + "." + key;
  throw ParseError(ctx.source + ": " + path + " = " + current + ": " + std::string(message));
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace

std::string_view loss_model_name(const LossConfig& loss) { return kLossModels[loss.index()]; }

void apply_direction_table(DirectionConfig& dir, const ProfileTable& t) {
  check_misplaced(t);
  t.allow_only(kDirectionKeys);
  if (auto r = rate_or_unlimited(t, "rate")) dir.rate.rate = *r;
  if (auto o = t.bytes("overhead")) {
    if (o->n > 1024) t.fail("overhead", "expected a per-frame overhead from 0B to 1024B, e.g. \"24B\" (Ethernet)");
    dir.rate.overhead = *o;
  }
  if (auto q = t.table("queue")) apply_queue(dir.queue, *q);
  if (auto l = t.table("loss")) apply_loss(dir.loss, *l);
  if (auto p = t.table("propagation")) apply_propagation(dir.propagation, *p);
  if (auto j = t.table("jitter")) apply_jitter(dir.jitter, *j);
  if (const auto* a = t.array("schedule")) apply_schedule(dir.schedule, t, *a);
  if (const auto* a = t.array("events")) apply_events(dir.events, t, *a);
  if (auto tr = t.table("trace")) apply_file_table(dir.trace, *tr, "link trace", parse_link_trace);
  if (auto d = t.table("delivery")) apply_file_table(dir.delivery, *d, "delivery trace", parse_delivery_trace);
}

void validate_direction(const DirectionConfig& dir, const ParseContext& ctx, std::string_view prefix) {
  const JitterConfig& j = dir.jitter;
  const bool has_distribution = j.distribution != JitterDistribution::kNone;
  if (has_distribution && j.jitter.ns == 0) {
    fail_key(ctx, prefix, "jitter.distribution", quoted(std::string(kDistributions[static_cast<size_t>(j.distribution)])),
             "needs jitter.jitter > 0 (e.g. \"2ms\"), or distribution = \"none\"");
  }
  if (!has_distribution && j.jitter.ns != 0) {
    fail_key(ctx, prefix, "jitter.jitter", quoted(format(j.jitter)),
             "needs jitter.distribution (\"uniform\", \"normal\", \"pareto\" or \"paretonormal\")");
  }
  if (!j.reorder.is_zero() && j.mode != JitterMode::kReordering) {
    fail_key(ctx, prefix, "jitter.reorder", quoted(format(j.reorder)),
             "reordering needs jitter.mode = \"reordering\" (the default \"order-preserving\" keeps packets in order)");
  }
  const QueueConfig& q = dir.queue;
  if (q.discipline == QueueDiscipline::kRed) {
    if (q.red.max_threshold.n == 0 || q.red.min_threshold >= q.red.max_threshold) {
      fail_key(ctx, prefix, "queue.red.max_threshold", quoted(format(q.red.max_threshold)),
               "RED needs 0 < min_threshold < max_threshold (min_threshold is " + format(q.red.min_threshold) + ")");
    }
    if (q.limit_bytes.n != 0 && q.red.max_threshold > q.limit_bytes) {
      fail_key(ctx, prefix, "queue.red.max_threshold", quoted(format(q.red.max_threshold)),
               "must not exceed queue.limit (" + format(q.limit_bytes) + ")");
    }
  }
  if (dir.delivery && dir.rate.rate.bps != 0) {
    fail_key(ctx, prefix, "delivery.file", quoted(dir.delivery->source),
             "a delivery trace replaces the rate stage; remove rate or set rate = \"unlimited\" (rate is " +
                 format(dir.rate.rate) + ")");
  }
}

LinkProfile parse_profile_root(const toml::table& root, const std::string& source,
                               const TraceFiles& files, std::string_view default_name) {
  const ParseContext ctx{source, files, nullptr};
  const ProfileTable top(ctx, root, "", "");
  top.allow_only({"link", "both", "a_to_b", "b_to_a"});
  LinkProfile profile;
  profile.source = source;
  profile.name = std::string(default_name);
  if (auto link = top.table("link")) {
    link->allow_only({"name", "description", "seed"});
    if (auto n = link->string("name")) {
      if (n->empty()) link->fail("name", "must not be empty");
      profile.name = *n;
    }
    if (auto d = link->string("description")) profile.description = *d;
    if (auto s = link->integer("seed", 0, INT64_MAX)) profile.seed = static_cast<uint64_t>(*s);
  }
  for (const std::string_view name : {"a_to_b", "b_to_a"}) {
    Origins origins;
    const ParseContext dctx{source, files, &origins};
    const ProfileTable droot(dctx, root, "", "");
    DirectionConfig dir;
    if (auto both = droot.table("both")) apply_direction_table(dir, ProfileTable(dctx, both->raw(), "both", ""));
    if (auto own = droot.table(name)) apply_direction_table(dir, ProfileTable(dctx, own->raw(), std::string(name), ""));
    validate_direction(dir, dctx, name);
    (name == "a_to_b" ? profile.a_to_b : profile.b_to_a) = std::move(dir);
  }
  return profile;
}

}  // namespace lh::detail
