// cell_stats.cpp — medians and spreads per cell; see cell_stats.hpp.
#include "lab/cell_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace lh::lab {
namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double num(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

}  // namespace

Spread spread_of(std::vector<double> v) {
  Spread s;
  s.n = v.size();
  if (v.empty()) return s;
  s.median = median_of(v);
  s.min = *std::min_element(v.begin(), v.end());
  s.max = *std::max_element(v.begin(), v.end());
  std::vector<double> dev;
  for (double x : v) dev.push_back(std::fabs(x - s.median));
  s.mad = median_of(dev);
  return s;
}

nlohmann::json to_json(const Spread& s) {
  return {{"median", s.median}, {"min", s.min}, {"max", s.max}, {"mad", s.mad}, {"n", s.n}};
}

Spread spread_from_json(const nlohmann::json& j) {
  return Spread{.median = j.at("median").get<double>(), .min = j.at("min").get<double>(),
                .max = j.at("max").get<double>(), .mad = j.at("mad").get<double>(), .n = j.at("n").get<size_t>()};
}

std::vector<CellStats> aggregate(const std::vector<nlohmann::json>& rows) {
  struct Acc {
    CellStats cell;
    std::vector<double> goodput, seconds, completion, retx, p50, p95, p99;
  };
  std::vector<Acc> acc;
  for (const nlohmann::json& r : rows) {
    const std::string profile = r.at("profile").get<std::string>();
    const std::string transport = r.at("transport").get<std::string>();
    auto it = std::find_if(acc.begin(), acc.end(), [&](const Acc& a) {
      return a.cell.profile == profile && a.cell.transport == transport;
    });
    if (it == acc.end()) {
      Acc a;
      a.cell.profile = profile;
      a.cell.transport = transport;
      a.cell.rate_bps = num(r, "rate_bps");
      a.cell.rtt_ms = num(r, "rtt_ms");
      a.cell.loss = num(r, "loss");
      acc.push_back(std::move(a));
      it = acc.end() - 1;
    }
    if (!r.value("ok", false)) {
      ++it->cell.failed;
      continue;
    }
    ++it->cell.ok;
    const bool complete = r.value("complete", true);
    const nlohmann::json& s = r.at("summary");
    it->goodput.push_back(num(s, "bits_per_second"));
    if (complete) {
      it->seconds.push_back(num(s, "seconds"));
      it->completion.push_back(num(s, "seconds"));
    } else {
      ++it->cell.incomplete;
      it->completion.push_back(std::numeric_limits<double>::infinity());
    }
    it->retx.push_back(num(s, "retransmits"));
    if (const auto rtt = s.find("rtt_us"); rtt != s.end() && rtt->is_object() && rtt->contains("p99")) {
      it->p50.push_back(num(*rtt, "p50"));
      it->p99.push_back(num(*rtt, "p99"));
      const bool has_p95 = rtt->contains("p95");
      it->p95.push_back(num(*rtt, has_p95 ? "p95" : "p99"));
      it->cell.rtt_p95_from_p99 = it->cell.rtt_p95_from_p99 || !has_p95;
    }
  }
  std::vector<CellStats> out;
  for (Acc& a : acc) {
    a.cell.goodput_bps = spread_of(a.goodput);
    a.cell.seconds = spread_of(a.seconds);
    a.cell.completion_median_s = a.completion.empty() ? 0 : median_of(a.completion);
    a.cell.retransmits = spread_of(a.retx).median;
    a.cell.rtt_p50_us = spread_of(a.p50).median;
    a.cell.rtt_p95_us = spread_of(a.p95).median;
    a.cell.rtt_p99_us = spread_of(a.p99).median;
    out.push_back(std::move(a.cell));
  }
  return out;
}

}  // namespace lh::lab
