// lh_emu_ctl.cpp — lh-emu-ctl: command-line client of lh-emu's control API (HTTP+JSON).
//
//   lh-emu-ctl [--addr 127.0.0.1:9090 | --unix PATH] [--timeout 5s] COMMAND
//     profile get | profile put FILE.toml|FILE.json | profile patch a_to_b '{"loss": {"p": "1%"}}'
//     set a_to_b delay=20ms loss=1% rate=1gbit jitter.correlation=0.25
//     event outage|protection-switch|reroute [--duration 2s] [--delay-delta +8ms] [--dir both] [--at +5s]
//     stats [--json] | metrics
// TOML profiles are validated locally with the core parser (errors name file:line) and sent as JSON.
// Exit status: 0 ok; 1 the server refused (its message is printed); 2 not reachable or bad input.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "emulator/control/http_client.hpp"
#include "emulator/control/listen_address.hpp"
#include "src/profile.hpp"
#include "src/units.hpp"

namespace {

using lh::emu::control::ClientResponse;
using lh::emu::control::ListenAddress;
using nlohmann::json;

constexpr int kExitRefused = 1;
constexpr int kExitFailed = 2;

// Thrown for local input errors (bad file, bad key=value); printed as one line, exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Target {
  ListenAddress address;
  lh::Nanos timeout{};
  std::string token;   // --token-file's first line
};

// Performs one request; prints the server's error and returns false on 4xx/5xx.
bool call(const Target& t, std::string_view method, std::string_view path, const std::string& body,
          ClientResponse& out) {
  out = lh::emu::control::http_request(t.address, method, path, body, t.timeout, t.token);
  if (out.status < 400) return true;
  std::string message = out.body;
  try {
    const json j = json::parse(out.body);
    if (j.is_object() && j.contains("error") && j["error"].is_string()) message = j["error"].get<std::string>();
  } catch (const json::exception&) {
    // Not JSON (e.g. a proxy's page): print the raw body.
  }
  while (!message.empty() && message.back() == '\n') message.pop_back();
  std::fprintf(stderr, "lh-emu-ctl: %s %s: HTTP %u: %s\n", std::string(method).c_str(), std::string(path).c_str(),
               out.status, message.c_str());
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("{}: cannot open file", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A profile file as the JSON body of PUT /profile: TOML is validated locally with the core parser.
std::string profile_body(const std::string& path) {
  if (path.ends_with(".json")) {
    try {
      return json::parse(read_file(path)).dump();
    } catch (const json::parse_error& e) {
      throw UsageError(fmt::format("{}: malformed JSON: {}", path, e.what()));
    }
  }
  return lh::to_json(lh::load_profile(path)).dump();
}

// "a.b.c=value" → {"a": {"b": {"c": value}}} merged into `patch`. Aliases: delay=D (propagation.extra),
// loss=P (Bernoulli loss with probability P). Values that are JSON numbers or booleans stay so;
// everything else is a string ("20ms").
void add_assignment(json& patch, const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == assignment.size())
    throw UsageError(fmt::format("set: '{}' is not KEY=VALUE (e.g. delay=20ms, loss=1%, rate=1gbit, "
                                 "propagation.distance=800km)", assignment));
  std::string key = assignment.substr(0, eq);
  const std::string text = assignment.substr(eq + 1);
  json value = text;
  if (text == "true" || text == "false") value = text == "true";
  else if (text.find_first_not_of("0123456789.-+eE") == std::string::npos) {
    try { value = json::parse(text); } catch (const json::exception&) { value = text; }
  }
  if (key == "delay") key = "propagation.extra";
  if (key == "loss") {
    patch["loss"] = json{{"model", "bernoulli"}, {"p", value}};
    return;
  }
  json* node = &patch;
  size_t start = 0;
  for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', start)) {
    node = &(*node)[key.substr(start, dot - start)];
    if (!node->is_null() && !node->is_object()) throw UsageError(fmt::format("set: '{}' conflicts with an earlier key", key));
    start = dot + 1;
  }
  (*node)[key.substr(start)] = value;
}

std::string human_bytes(uint64_t b) { return lh::format(lh::Bytes{b}); }

void print_stats_table(const json& s) {
  std::printf("profile %s, up %s, %llu profile change(s)\n", s.value("profile", "").c_str(),
              lh::format(lh::Nanos{s.value("uptime_ns", int64_t{0})}).c_str(),
              static_cast<unsigned long long>(s.value("profile_changes", uint64_t{0})));
  const json& a = s.at("a_to_b");
  const json& b = s.at("b_to_a");
  const auto row = [](const std::string& name, const std::string& va, const std::string& vb) {
    std::printf("%-22s %20s %20s\n", name.c_str(), va.c_str(), vb.c_str());
  };
  const auto num = [](const json& d, const char* k) { return std::to_string(d.value(k, uint64_t{0})); };
  const auto dur = [](const json& d, const char* k) { return lh::format(lh::Nanos{d.value(k, int64_t{0})}); };
  row("", "a_to_b", "b_to_a");
  row("received packets", num(a, "packets_in"), num(b, "packets_in"));
  row("received bytes", human_bytes(a.value("bytes_in", uint64_t{0})), human_bytes(b.value("bytes_in", uint64_t{0})));
  row("transmitted packets", num(a, "packets_out"), num(b, "packets_out"));
  row("transmitted bytes", human_bytes(a.value("bytes_out", uint64_t{0})), human_bytes(b.value("bytes_out", uint64_t{0})));
  for (const auto& [cause, v] : a.at("dropped").items()) {
    row("dropped " + cause, std::to_string(v.get<uint64_t>()), std::to_string(b.at("dropped").value(cause, uint64_t{0})));
  }
  for (const char* k : {"ecn_marked", "duplicated", "corrupted", "reordered", "queue_packets", "in_flight_packets"}) {
    row(k, num(a, k), num(b, k));
  }
  row("queue", human_bytes(a.value("queue_bytes", uint64_t{0})), human_bytes(b.value("queue_bytes", uint64_t{0})));
  row("queue delay", dur(a, "queue_delay_ns"), dur(b, "queue_delay_ns"));
  const auto rate = [](const json& d) {
    const uint64_t bps = d.value("rate_bps", uint64_t{0});
    return bps == 0 ? std::string("unlimited") : lh::format(lh::BitsPerSecond{bps});
  };
  row("rate", rate(a), rate(b));
  row("base delay", dur(a, "base_delay_ns"), dur(b, "base_delay_ns"));
  for (const auto& [q, v] : a.at("added_delay").at("quantiles_ns").items()) {
    const json& qb = b.at("added_delay").at("quantiles_ns");
    row("added delay q" + q, lh::format(lh::Nanos{v.get<int64_t>()}),
        qb.contains(q) ? lh::format(lh::Nanos{qb.at(q).get<int64_t>()}) : "-");
  }
}

void print_json(const std::string& body) {
  try {
    std::printf("%s\n", json::parse(body).dump(2).c_str());
  } catch (const json::exception&) {
    std::fputs(body.c_str(), stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lh-emu-ctl: control a running lh-emu (profile, live changes, events, stats, metrics)"};
  app.require_subcommand(1);
  std::string addr_text = "127.0.0.1:9090";
  std::string unix_path;
  std::string timeout_text = "5s";
  auto* addr_opt = app.add_option("--addr", addr_text, "control API address (loopback HOST:PORT)")
                       ->envname("LH_EMU_CONTROL")->capture_default_str();
  app.add_option("--unix", unix_path, "control API unix socket path")->excludes(addr_opt);
  app.add_option("--timeout", timeout_text, "give up after this long (e.g. 5s)")->capture_default_str();
  std::string token_file;
  app.add_option("--token-file", token_file, "send the bearer token in this file's first line (lh-emu --token-file)")
      ->envname("LH_EMU_TOKEN_FILE");

  auto* profile = app.add_subcommand("profile", "show, replace or patch the running profile");
  profile->require_subcommand(1);
  profile->add_subcommand("get", "print the running profile as JSON");
  std::string put_file;
  profile->add_subcommand("put", "replace the whole profile (TOML validated locally, or JSON)")
      ->add_option("FILE", put_file, "profile file (.toml or .json)")->required();
  std::string patch_dir, patch_json;
  auto* patch = profile->add_subcommand("patch", "change some keys of one direction");
  patch->add_option("DIR", patch_dir, "a_to_b or b_to_a")->required();
  patch->add_option("JSON", patch_json, "JSON object of direction keys, e.g. '{\"loss\": {\"p\": \"1%\"}}'")->required();

  std::string set_dir;
  std::vector<std::string> assignments;
  auto* set = app.add_subcommand("set", "change keys of one direction: delay=20ms loss=1% rate=1gbit a.b=v");
  set->add_option("DIR", set_dir, "a_to_b, b_to_a or both")->required();
  set->add_option("KEY=VALUE", assignments, "assignments")->required();

  std::string ev_kind, ev_dir = "both", ev_at, ev_duration, ev_delta, ev_every;
  int64_t ev_count = -1;
  auto* event = app.add_subcommand("event", "inject a link event now (or --at)");
  event->add_option("KIND", ev_kind, "outage, protection-switch or reroute")->required();
  event->add_option("--dir", ev_dir, "both, a_to_b or b_to_a")->capture_default_str();
  event->add_option("--duration", ev_duration, "outage length, e.g. 2s");
  event->add_option("--delay-delta", ev_delta, "delay change after the event, e.g. +8ms");
  event->add_option("--at", ev_at, "+5s = in 5 s; 90s = 90 s after lh-emu started");
  event->add_option("--repeat-every", ev_every, "repeat with this period");
  event->add_option("--repeat-count", ev_count, "number of repeats (0 = forever)");

  bool stats_json = false;
  app.add_subcommand("stats", "print statistics")->add_flag("--json", stats_json, "raw JSON");
  app.add_subcommand("metrics", "print the Prometheus metrics text");

  CLI11_PARSE(app, argc, argv);

  try {
    Target t;
    t.address = unix_path.empty() ? lh::emu::control::parse_listen_address(addr_text)
                                  : lh::emu::control::parse_listen_address("unix:" + unix_path);
    try {
      t.timeout = lh::parse_duration(timeout_text);
    } catch (const lh::ParseError& e) {
      throw UsageError(fmt::format("--timeout '{}': {}", timeout_text, e.what()));
    }
    if (!token_file.empty()) {
      std::ifstream in(token_file);
      if (!in) throw UsageError(fmt::format("--token-file {}: cannot read", token_file));
      std::getline(in, t.token);
      while (!t.token.empty() && (t.token.back() == '\r' || t.token.back() == ' ')) t.token.pop_back();
    }
    ClientResponse r;
    if (profile->got_subcommand("get")) {
      if (!call(t, "GET", "/profile", "", r)) return kExitRefused;
      print_json(r.body);
    } else if (profile->got_subcommand("put")) {
      if (!call(t, "PUT", "/profile", profile_body(put_file), r)) return kExitRefused;
      std::printf("profile replaced\n");
    } else if (profile->got_subcommand("patch")) {
      json body;
      try {
        body = json::parse(patch_json);
      } catch (const json::parse_error& e) {
        throw UsageError(fmt::format("patch: malformed JSON: {}", e.what()));
      }
      if (!call(t, "PATCH", "/links/" + patch_dir, body.dump(), r)) return kExitRefused;
      print_json(r.body);
    } else if (app.got_subcommand(set)) {
      json body = json::object();
      for (const std::string& a : assignments) add_assignment(body, a);
      const std::vector<std::string> dirs =
          set_dir == "both" ? std::vector<std::string>{"a_to_b", "b_to_a"} : std::vector<std::string>{set_dir};
      for (const std::string& d : dirs) {
        if (!call(t, "PATCH", "/links/" + d, body.dump(), r)) return kExitRefused;
      }
      std::printf("%s updated\n", set_dir.c_str());
    } else if (app.got_subcommand(event)) {
      json body{{"direction", ev_dir}, {"kind", ev_kind}};
      if (!ev_at.empty()) body["at"] = ev_at;
      if (!ev_duration.empty()) body["duration"] = ev_duration;
      if (!ev_delta.empty()) body["delay_delta"] = ev_delta;
      if (!ev_every.empty()) body["repeat_every"] = ev_every;
      if (ev_count >= 0) body["repeat_count"] = ev_count;
      if (!call(t, "POST", "/events", body.dump(), r)) return kExitRefused;
      std::printf("event scheduled: %s\n", body.dump().c_str());
    } else if (app.got_subcommand("stats")) {
      if (!call(t, "GET", "/stats", "", r)) return kExitRefused;
      if (stats_json) print_json(r.body);
      else print_stats_table(json::parse(r.body));
    } else if (app.got_subcommand("metrics")) {
      if (!call(t, "GET", "/metrics", "", r)) return kExitRefused;
      std::fputs(r.body.c_str(), stdout);
    }
    return 0;
  } catch (const std::exception& e) {
    // ConnectError, AddressError, lh::ParseError (profile file:line), UsageError, JSON errors.
    std::fprintf(stderr, "lh-emu-ctl: %s\n", e.what());
    return kExitFailed;
  }
}
