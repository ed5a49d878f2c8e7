// regression.hpp — lab baselines and the regression verdict.
//
// A baseline is {"lh_lab_baseline": 1, "metadata": {...}, "matrix": MatrixSpec, "cells": [{"profile",
// "transport", "goodput_bps": Spread, "seconds": Spread}]}. A cell regresses when the median now is
// outside the baseline's noise band widened by the tolerance:
//   goodput:          now < baseline.min × (1 − tolerance)          (the slowest repeat, minus slack)
//   completion time:  now > baseline.max × (1 + tolerance)
// The band is the whole observed min..max of the repeats, so run-to-run noise seen while recording
// never fails a run; the tolerance (default 10%) covers noise the repeats did not show. A cell
// missing from the new run (all repeats failed) is a regression too. Runs stopped by the duration
// limit (incomplete) count in goodput with the bytes they delivered; for completion time they count
// as +infinity (so mostly-incomplete now is WORSE), and a baseline cell that had incomplete runs is
// judged by goodput only (its completion band is "n/a"). Pure code; unit-tested.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "lab/cell_stats.hpp"

namespace lh::lab {

nlohmann::json make_baseline(const nlohmann::json& matrix, const std::vector<CellStats>& cells,
                             const nlohmann::json& metadata);

struct Verdict {
  std::string cell;       // "profile / transport"
  std::string metric;     // "goodput" or "completion"
  double baseline = 0;    // baseline median
  double now = 0;         // median now (0 when missing)
  double change = 0;      // (now − baseline) / baseline
  double allowed_lo = 0;  // the band: now must be in [allowed_lo, allowed_hi]
  double allowed_hi = 0;
  bool worse = false;
  bool missing = false;
  bool not_compared = false;   // completion of a baseline cell with incomplete runs: no band
};

// Throws std::invalid_argument when `baseline` lacks the expected shape. tolerance is a fraction.
std::vector<Verdict> compare(const nlohmann::json& baseline, const std::vector<CellStats>& now, double tolerance);
bool any_worse(const std::vector<Verdict>& v);
// A readable fixed-width table: cell, metric, baseline, now, change, allowed band, verdict.
std::string verdict_table(const std::vector<Verdict>& v);

}  // namespace lh::lab
