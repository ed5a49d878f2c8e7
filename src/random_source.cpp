// random_source.cpp — SystemRandom over getrandom(2). See random_source.hpp.
#include "src/random_source.hpp"

#include <sys/random.h>

#include <cerrno>
#include <system_error>

namespace lh {

uint64_t SystemRandom::next_u64() {
  uint64_t v = 0;
  auto* p = reinterpret_cast<unsigned char*>(&v);
  size_t got = 0;
  while (got < sizeof v) {
    const ssize_t n = ::getrandom(p + got, sizeof v - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    got += static_cast<size_t>(n);
  }
  return v;
}

}  // namespace lh
