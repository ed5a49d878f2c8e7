// control_api_fuzz.cpp — fuzz target of lh-emu's control API request handling
// (emulator/control/router.hpp) with the test backend (the core profile functions behind it, as in
// lh-emu): the first byte picks the method and path, the rest is the JSON body. Any body gets a
// status with a JSON error or a valid answer — never a crash, never a 500 (an unexpected exception),
// and deep nesting is refused before anything recursive walks it; no trace file is ever read (the
// API's files are off, as in lh-emu without --trace-dir).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "emulator/control/router.hpp"
#include "tests/unit/control/fake_backend.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  struct Target {
    std::string_view method, path;
  };
  static constexpr Target kTargets[] = {{"PUT", "/profile"}, {"PATCH", "/links/a_to_b"}, {"PATCH", "/links/b_to_a"},
                                        {"POST", "/events"},  {"GET", "/stats"},         {"GET", "/metrics"},
                                        {"GET", "/profile"},  {"DELETE", "/profile"}};
  const Target& t = kTargets[data[0] % 8];
  lh::emu::control::testing::FakeBackend backend;
  const lh::emu::control::HttpResponse r = lh::emu::control::route(
      backend, {.method = t.method, .target = t.path,
                .body = std::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
                .content_type = "application/json"});
  if (r.status == 500 || r.status < 200) std::abort();
  if (r.status >= 400) {
    const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("error") || !j["error"].is_string()) std::abort();
  }
  return 0;
}
