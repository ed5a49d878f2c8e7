// router.hpp — maps one HTTP request (method, target, body) to a Backend call and a response.
//
// Pure and synchronous, free of Beast, so the API's behaviour is testable without sockets and the
// slow-to-compile HTTP code stays in server.cpp. Endpoints (Toxiproxy-like):
//   GET /profile   PUT /profile   GET|PATCH /links/{a_to_b|b_to_a}   POST /events
//   GET /stats     GET /metrics
// Errors are JSON {"error": "..."}: 404 unknown path, 405 wrong method (with Allow), 400 malformed
// JSON, 422 invalid values (the validator's message), 503 unavailable, 500 unexpected.
// Called on the control thread only (the Backend contract).
#pragma once

#include <string>
#include <string_view>

#include "emulator/control/backend.hpp"

namespace lh::emu::control {

struct HttpRequest {
  std::string_view method;   // "GET", "PUT", ...
  std::string_view target;   // "/links/a_to_b?x=1" (the query is ignored)
  std::string_view body;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;         // set on 405
};

HttpResponse route(Backend& backend, const HttpRequest& request);

// {"error": message} with the given status.
HttpResponse error_response(unsigned status, std::string_view message);

}  // namespace lh::emu::control
