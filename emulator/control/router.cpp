// router.cpp — endpoint table and error mapping of the control API (see router.hpp).
#include "emulator/control/router.hpp"

#include <fmt/format.h>

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
  r.body = body.dump(2) + "\n";
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

// Parses a request body; malformed JSON is the client's syntax error (400), naming the position.
json parse_body(std::string_view body) {
  if (body.empty()) throw BadRequest("the request body is empty; expected a JSON object");
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    throw BadRequest(fmt::format("malformed JSON body: {}", e.what()));
  }
}

HttpResponse dispatch(Backend& backend, const HttpRequest& req, std::string_view path) {
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
  r.body = json{{"error", message}}.dump() + "\n";
  return r;
}

HttpResponse route(Backend& backend, const HttpRequest& req) {
  std::string_view path = req.target;
  if (const size_t q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  if (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
  try {
    return dispatch(backend, req, path);
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
