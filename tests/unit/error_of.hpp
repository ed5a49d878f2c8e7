// error_of.hpp — the message of the lh::ParseError a callable throws ("(no error)" if it returns),
// so a parser test can assert on the file:line, the key and what is accepted.
#pragma once

#include <string>

#include "src/units.hpp"

namespace lh::test {

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ParseError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace lh::test
