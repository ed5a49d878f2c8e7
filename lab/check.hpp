// check.hpp — acceptance targets judged from a run's records (`lh-lab check DIR --targets NAME`),
// beside `regress`, which judges against a recorded baseline instead.
//
// Target sets (each line PASS/FAIL with the figures it was judged on):
//   loss-sweep   issue 5, on a loss sweep of one profile with longhaul, tcp-cubic and tcp-bbr:
//     T1 longhaul >= 0.9 x (1 - p) x bottleneck at every point (Bernoulli and Gilbert-Elliott)
//     T2 longhaul >= 30 x CUBIC at p = 1e-3
//     T3 longhaul >= BBR at every Bernoulli p <= 1e-3
//     T4 longhaul >= 1.2 x BBR at GE p = 1e-2
//     T5 CUBIC near the Mathis bound, MSS/RTT x sqrt(3/2)/sqrt(p) (MSS 1448 B, the profile's RTT,
//        capped at the bottleneck): within 0.5x .. 2x, at every Bernoulli p > 0
//   random-loss  issue 11, on a Bernoulli loss sweep: longhaul's *worst* run >= 0.9 x (1 - p) x
//     bottleneck at every p <= 0.05, and >= 0.6 x (1 - p) x bottleneck above
// Goodput is the median over the repeats (the minimum for random-loss); runs the duration limit
// stopped count with the bytes they delivered (marked "*"). A target whose cell has no measured run
// fails. Pure code; unit-tested.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lab/run_record.hpp"

namespace lh::lab {

struct CheckReport {
  std::vector<std::string> lines;   // "PASS  T1 ...: figures", "FAIL  ...", and notes
  size_t failures = 0;
};

// The names accepted by check_targets.
std::vector<std::string> target_sets();

// Throws std::invalid_argument for an unknown set (naming the known ones).
CheckReport check_targets(const std::vector<RunRecord>& runs, std::string_view set);

}  // namespace lh::lab
