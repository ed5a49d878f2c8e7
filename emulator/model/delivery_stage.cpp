// delivery_stage.cpp — Mahimahi delivery-trace playback (see delivery_stage.hpp).
#include "emulator/model/delivery_stage.hpp"

#include <stdexcept>
#include <string>

namespace lh::emu {

DeliveryStage::DeliveryStage(const DeliveryTrace* trace, int64_t epoch_ns) : epoch_ns_(epoch_ns) {
  if (trace == nullptr) return;
  const std::string where = "delivery trace " + trace->source + ": ";
  if (trace->opportunities.empty()) throw std::invalid_argument(where + "no delivery opportunities");
  for (size_t i = 0; i < trace->opportunities.size(); ++i) {
    if (trace->opportunities[i].ns < 0 || (i > 0 && trace->opportunities[i] < trace->opportunities[i - 1])) {
      throw std::invalid_argument(where + "timestamps must be non-negative and non-decreasing (entry " +
                                  std::to_string(i) + ")");
    }
  }
  const int64_t period = trace->period.ns > 0 ? trace->period.ns : trace->opportunities.back().ns;
  if (period <= 0) throw std::invalid_argument(where + "period must be > 0");
  if (period < trace->opportunities.back().ns) {
    throw std::invalid_argument(where + "period is shorter than the last timestamp");
  }
  if (trace->bytes_per_opportunity.n == 0) throw std::invalid_argument(where + "bytes_per_opportunity is 0");
  opps_ = trace->opportunities.data();
  count_ = trace->opportunities.size();
  period_ = period;
  per_opp_ = trace->bytes_per_opportunity.n;
}

void DeliveryStage::seek(int64_t t) noexcept {
  const int64_t rel = std::max<int64_t>(t - epoch_ns_, 0);
  int64_t cycle = rel / period_;
  const int64_t offset = rel - cycle * period_;
  const Nanos* end = opps_ + count_;
  const Nanos* it = std::lower_bound(opps_, end, Nanos{offset});
  if (it == end) {
    ++cycle;
    it = opps_;
  }
  idx_ = static_cast<size_t>(it - opps_);
  base_ns_ = epoch_ns_ + cycle * period_;
  current_ns_ = base_ns_ + opps_[idx_].ns;
}

void DeliveryStage::take_over(const DeliveryStage& prev) noexcept {
  if (prev.opps_ == opps_ && prev.epoch_ns_ == epoch_ns_) {
    base_ns_ = prev.base_ns_;
    idx_ = prev.idx_;
    current_ns_ = prev.current_ns_;
    left_ = prev.left_;
    floor_ns_ = prev.floor_ns_;
  } else {
    hold_until(prev.current_ns_);
  }
}

uint64_t DeliveryStage::mean_rate_bps() const noexcept {
  if (!enabled()) return 0;
  const unsigned __int128 bits = static_cast<unsigned __int128>(count_) * per_opp_ * 8u * 1'000'000'000u;
  return static_cast<uint64_t>(bits / static_cast<uint64_t>(period_));
}

}  // namespace lh::emu
