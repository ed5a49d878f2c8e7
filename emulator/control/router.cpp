// router.cpp — endpoint table and error mapping of the control API (see router.hpp).
#include "emulator/control/router.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <optional>

#include <nlohmann/json.hpp>

#include "emulator/control/event_request.hpp"
#include "emulator/control/metrics_format.hpp"
#include "src/units.hpp"

namespace lh::emu::control {

namespace {

using nlohmann::json;

HttpResponse json_response(unsigned status, const json& body) {
  HttpResponse r;
  r.status = status;
  // Strings in answers may carry a client's bytes (an unknown key, a bad value): never invalid UTF-8
  // in the output, and never an exception for it (nlohmann's dump throws on invalid UTF-8).
  r.body = body.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  return r;
}

HttpResponse method_not_allowed(std::string_view method, std::string_view path, std::string allow) {
  HttpResponse r = error_response(405, fmt::format("method {} not allowed on {}; allowed: {}", method, path, allow));
  r.allow = std::move(allow);
  return r;
}

// A request the server cannot parse at all (400).
class BadRequest : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses a request body; malformed JSON is the client's syntax error (400), naming the position. The
// nesting depth is checked by the parser's callback as each level opens, so a body of 100 000 "["
// is refused before any recursive code (copy, dump, the profile reader) would walk it.
json parse_json_body(std::string_view body, size_t max_depth) {
  if (body.empty()) throw BadRequest("the request body is empty; expected a JSON object");
  const auto depth_check = [max_depth](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        static_cast<size_t>(depth) >= max_depth) {
      throw BadRequest(fmt::format("JSON body nested deeper than {} levels", max_depth));
    }
    return true;
  };
  try {
    return json::parse(body, depth_check);
  } catch (const json::parse_error& e) {
    throw BadRequest(fmt::format("malformed JSON body: {}", e.what()));
  }
}

// The policy's checks, in order; nullopt when the request may proceed.
std::optional<HttpResponse> refused(const HttpRequest& req, const RequestPolicy& policy) {
  if (!policy.hosts.empty()) {
    if (!req.host) return error_response(403, "no Host header; this server answers requests for its own address only");
    if (std::find(policy.hosts.begin(), policy.hosts.end(), *req.host) == policy.hosts.end()) {
      return error_response(403, fmt::format("Host '{}' is not this server (accepted: {})", *req.host,
                                             fmt::join(policy.hosts, ", ")));
    }
  }
  if (req.origin) {
    return error_response(403, "requests with an Origin header (from a web page) are refused; use curl or lh-emu-ctl");
  }
  if (!policy.token.empty()) {
    const std::string want = "Bearer " + policy.token;
    const std::string_view got = req.authorization.value_or("");
    // Compare in time independent of where they differ.
    unsigned diff = got.size() != want.size() ? 1u : 0u;
    for (size_t i = 0; i < want.size(); ++i) diff |= static_cast<unsigned>(want[i] ^ (i < got.size() ? got[i] : 0));
    if (diff != 0) {
      HttpResponse r = error_response(401, "missing or wrong bearer token (lh-emu was started with --token-file)");
      return r;
    }
  }
  if (req.method == "PUT" || req.method == "PATCH" || req.method == "POST") {
    std::string_view ct = req.content_type.value_or("");
    if (const size_t semi = ct.find(';'); semi != std::string_view::npos) ct = ct.substr(0, semi);
    while (!ct.empty() && ct.back() == ' ') ct.remove_suffix(1);
    std::string lower(ct);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower != "application/json") {
      return error_response(415, fmt::format("Content-Type must be application/json, not '{}'",
                                             req.content_type.value_or("(none)")));
    }
  }
  return std::nullopt;
}

HttpResponse dispatch(Backend& backend, const HttpRequest& req, std::string_view path, size_t max_depth) {
  const auto parse_body = [max_depth](std::string_view body) { return parse_json_body(body, max_depth); };
  const std::string_view m = req.method;
  if (path == "/profile") {
    if (m == "GET") return json_response(200, backend.profile());
    if (m == "PUT") {
      const json body = parse_body(req.body);
      if (!body.is_object()) throw ValidationError("profile: the body must be a JSON object");
      backend.replace_profile(body);
      return json_response(200, backend.profile());
    }
    return method_not_allowed(m, path, "GET, PUT");
  }
  if (path.starts_with("/links/")) {
    const std::string_view name = path.substr(7);
    Direction dir{};
    if (!parse_direction(name, dir))
      return error_response(404, fmt::format("no link direction '{}'; known: a_to_b, b_to_a", name));
    if (m == "GET") {
      const json p = backend.profile();
      return json_response(200, p.contains(name) ? p.at(std::string(name)) : json::object());
    }
    if (m == "PATCH") {
      const json body = parse_body(req.body);
      if (!body.is_object()) throw ValidationError(fmt::format("{}: the patch must be a JSON object", name));
      backend.patch_direction(dir, body);
      const json p = backend.profile();
      return json_response(200, p.contains(name) ? p.at(std::string(name)) : p);
    }
    return method_not_allowed(m, path, "GET, PATCH");
  }
  if (path == "/events") {
    if (m != "POST") return method_not_allowed(m, path, "POST");
    json echo = parse_body(req.body);
    backend.post_event(parse_event_request(echo));
    echo["status"] = "scheduled";
    return json_response(202, echo);
  }
  if (path == "/stats") {
    if (m != "GET") return method_not_allowed(m, path, "GET");
    return json_response(200, stats_to_json(backend.stats()));
  }
  if (path == "/metrics") {
    if (m != "GET") return method_not_allowed(m, path, "GET");
    HttpResponse r;
    r.content_type = kPrometheusContentType;
    r.body = render_prometheus(backend.stats());
    return r;
  }
  return error_response(404, fmt::format(
      "no endpoint {}; known: /profile, /links/a_to_b, /links/b_to_a, /events, /stats, /metrics", path));
}

}  // namespace

HttpResponse error_response(unsigned status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  return r;
}

std::vector<std::string> loopback_hosts(std::string_view host, uint16_t port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  std::vector<std::string> out{v6 ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port)};
  for (std::string h : {fmt::format("localhost:{}", port), fmt::format("[::1]:{}", port)}) {
    if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(std::move(h));
  }
  return out;
}

HttpResponse route(Backend& backend, const HttpRequest& req, const RequestPolicy& policy) {
  if (auto r = refused(req, policy)) return *r;
  std::string_view path = req.target;
  if (const size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
  try {
    return dispatch(backend, req, path, policy.max_json_depth);
  } catch (const BadRequest& e) {
    return error_response(400, e.what());
  } catch (const ValidationError& e) {
    return error_response(422, e.what());
  } catch (const ParseError& e) {
    return error_response(422, e.what());
  } catch (const std::invalid_argument& e) {
    return error_response(422, e.what());
  } catch (const json::exception& e) {
    // A value of the wrong JSON type met while the backend read the body (e.g. a number for "35ms").
    return error_response(422, fmt::format("invalid value: {}", e.what()));
  } catch (const UnavailableError& e) {
    return error_response(503, e.what());
  } catch (const std::exception& e) {
    return error_response(500, fmt::format("internal error: {}", e.what()));
  }
}

}  // namespace lh::emu::control
