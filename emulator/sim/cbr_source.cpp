// cbr_source.cpp — constant-bit-rate traffic (see cbr_source.hpp).
#include "emulator/sim/cbr_source.hpp"

#include <stdexcept>

namespace lh::sim {

CbrSource::CbrSource(const CbrConfig& config) : config_(config) {
  if (config.rate.bps == 0) throw std::invalid_argument("CbrSource: rate must be > 0");
  if (config.packet_size.n == 0 || config.packet_size.n > 65536) {
    throw std::invalid_argument("CbrSource: packet_size must be in 1B..65536B, got " +
                                format(config.packet_size));
  }
  if (config.payload && config.packet_size.n <= config.datagram_overhead.n) {
    throw std::invalid_argument("CbrSource: packet_size must exceed datagram_overhead with payload");
  }
  if (config.on.ns < 0 || config.off.ns < 0 || (config.on.ns == 0 && config.off.ns != 0)) {
    throw std::invalid_argument("CbrSource: on/off must be >= 0, and off needs on > 0");
  }
  if (config.start.ns < 0 || config.duration.ns < 0) {
    throw std::invalid_argument("CbrSource: start and duration must be >= 0");
  }
  end_ = config.duration.ns > Nanos::max().ns - config.start.ns ? Nanos::max()
                                                                 : config.start + config.duration;
  const Nanos first = send_time(0);
  next_send_ = first < end_ ? first : Nanos::max();
}

Nanos CbrSource::send_time(uint64_t k) const noexcept {
  const unsigned __int128 bits = static_cast<unsigned __int128>(k) * config_.packet_size.n * 8u;
  const unsigned __int128 offset = bits * 1'000'000'000u / config_.rate.bps;
  if (offset > static_cast<unsigned __int128>(Nanos::max().ns - config_.start.ns)) return Nanos::max();
  auto t = static_cast<int64_t>(offset);
  if (config_.on.ns > 0) {
    const int64_t cycle = t / config_.on.ns;
    const int64_t in_on = t % config_.on.ns;
    const unsigned __int128 mapped =
        static_cast<unsigned __int128>(cycle) * static_cast<uint64_t>(config_.on.ns + config_.off.ns) +
        static_cast<uint64_t>(in_on);
    if (mapped > static_cast<unsigned __int128>(Nanos::max().ns - config_.start.ns)) return Nanos::max();
    t = static_cast<int64_t>(mapped);
  }
  return config_.start + Nanos{t};
}

bool CbrSource::poll_transmit(Nanos now, Packet& out) {
  if (now < next_send_) return false;  // also covers finished (next_send_ == max)
  out.dst = config_.dst;
  out.size = static_cast<uint32_t>(config_.packet_size.n);
  out.ect = config_.ect;
  out.flow_hash = config_.flow_hash;
  if (config_.payload) {
    out.payload.resize(config_.packet_size.n - config_.datagram_overhead.n);
    for (size_t i = 0; i < 8 && i < out.payload.size(); ++i) {
      out.payload[i] = static_cast<uint8_t>(sent_ >> (8 * i));
    }
  }
  ++sent_;
  const Nanos next = send_time(sent_);
  next_send_ = next < end_ ? next : Nanos::max();
  return true;
}

}  // namespace lh::sim
