// realtime.cpp — see realtime.hpp.
#include "src/realtime.hpp"

#include <pthread.h>
#include <sched.h>

#include <cstring>
#include <ctime>

namespace lh {

std::string make_thread_realtime(int priority) {
  sched_param sp{};
  sp.sched_priority = priority;
  const int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
  return rc == 0 ? std::string() : std::string(std::strerror(rc));
}

void make_thread_normal() {
  sched_param sp{};
  sp.sched_priority = 0;
  pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
}

long long thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

}  // namespace lh
