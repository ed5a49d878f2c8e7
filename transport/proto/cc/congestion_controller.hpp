// congestion_controller.hpp — one controller per connection, chosen at setup, bound statically.
//
// A std::variant of the three controllers; every call is a std::visit, so the per-packet path has
// no virtual call and no allocation.
#pragma once

#include <variant>

#include "transport/proto/cc/bbr.hpp"
#include "transport/proto/cc/cubic.hpp"
#include "transport/proto/cc/fixed_rate.hpp"
#include "transport/proto/types.hpp"

namespace lh::xport::cc {

class CongestionController {
 public:
  CongestionController(const ConnectionConfig& cfg, uint64_t mss) : impl_(make(cfg, mss)) {}

  void on_packet_sent(const SentEvent& e) { std::visit([&](auto& c) { c.on_packet_sent(e); }, impl_); }
  void on_ack(const AckEvent& e) { std::visit([&](auto& c) { c.on_ack(e); }, impl_); }
  void on_loss(const LossEvent& e) { std::visit([&](auto& c) { c.on_loss(e); }, impl_); }
  // Bytes reported lost earlier that were delivered after all (reordering): undo their congestion signal.
  void on_spurious_loss(uint64_t bytes) { std::visit([&](auto& c) { c.on_spurious_loss(bytes); }, impl_); }
  [[nodiscard]] BitsPerSecond pacing_rate() const { return std::visit([](const auto& c) { return c.pacing_rate(); }, impl_); }
  [[nodiscard]] uint64_t cwnd() const { return std::visit([](const auto& c) { return c.cwnd(); }, impl_); }
  [[nodiscard]] const char* name() const { return std::visit([](const auto& c) { return c.name(); }, impl_); }
  [[nodiscard]] ControllerState state() const { return std::visit([](const auto& c) { return c.state(); }, impl_); }
  [[nodiscard]] const Bbr* bbr() const { return std::get_if<Bbr>(&impl_); }

 private:
  using Impl = std::variant<Bbr, FixedRate, Cubic>;
  static Impl make(const ConnectionConfig& cfg, uint64_t mss) {
    switch (cfg.cc) {
      case CcKind::kFixed: return FixedRate(cfg.fixed_rate, cfg.initial_rtt, mss);
      case CcKind::kCubic: return Cubic(cfg.initial_rtt, mss);
      case CcKind::kBbr: break;
    }
    // Window floor: twice the receiver's ACK-every count (plus headroom for headers), see Bbr.
    return Bbr(cfg.initial_rate, cfg.initial_rtt, mss, cfg.bbr_loss_thresh, 2 * uint64_t{cfg.ack_every} + 2);
  }
  Impl impl_;
};

}  // namespace lh::xport::cc
