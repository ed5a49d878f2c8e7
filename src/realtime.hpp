// realtime.hpp — SCHED_FIFO for a tool's event-loop thread, and back.
//
// On a shared machine a transport's user-space event loop waits behind whatever else runs (a
// compiler, the other endpoint, the emulator); kernel TCP does its protocol work in softirq and does
// not. A loop that is SCHED_FIFO is woken ahead of ordinary tasks, so pacing and ACK timing stay
// close to the protocol's intent. The kernel's RT throttling (sched_rt_runtime_us, 95% by default)
// still leaves every core a slice for the rest. Threads inherit the policy of the thread that
// creates them: helper threads that do bulk work call make_thread_normal() first.
#pragma once

#include <string>

namespace lh {

// Makes the calling thread SCHED_FIFO at `priority` (1..99). Returns "" on success, else why not
// (e.g. "Operation not permitted": needs root or CAP_SYS_NICE).
std::string make_thread_realtime(int priority);

// Makes the calling thread SCHED_OTHER (nice unchanged). Never fails for a thread's own policy.
void make_thread_normal();

// The CPU time the calling thread has used (CLOCK_THREAD_CPUTIME_ID), in nanoseconds.
long long thread_cpu_ns();

}  // namespace lh
