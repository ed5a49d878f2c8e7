// port_setup.hpp — bringing up one DPDK ethdev for lh-emu: one RX and one TX queue, promiscuous,
// MTU for the largest frame, RX scatter when the device offers it and frames exceed the mbuf.
//
// Transparent L2: nothing is offloaded that would change a frame (no VLAN strip, no checksum
// rewrite). Setup errors throw std::runtime_error with the DPDK call, the port and the errno text.
// DPDK types are opaque here.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

struct rte_mempool;

namespace lh::emu {

struct PortInfo {
  uint16_t port = 0;
  std::string name;          // device name, e.g. "net_af_packet0"
  std::string driver;
  uint32_t mtu = 0;          // what was set (or what the device keeps when it cannot set it)
  bool scatter = false;
};

// Number of ethdevs EAL found (PCI devices and vdevs).
uint16_t port_count() noexcept;
// True when `port` is a net_af_xdp device (its RX pool becomes its UMEM: see packet_pool.hpp).
bool is_af_xdp(uint16_t port) noexcept;

// Configures and starts `port` with RX mbufs from `pool` (data room `data_room`) and MTU `mtu`.
PortInfo setup_port(uint16_t port, rte_mempool* pool, uint32_t data_room, uint32_t mtu);

// Before a leak check (workers stopped): asks every port to hand back what its TX side still holds —
// af_xdp returns a sent frame's buffer only when a later tx_burst reaps the completion ring, and it
// copies frames into buffers of the TX port's own pool, so a pool's free count depends on the other
// direction's in-flight frames. Kicks TX with empty bursts, reaps completions, frees anything still
// received, until no pool's free count has changed for a while (bounded by `limit`). Returns false
// when the counts were still moving at the limit.
bool quiesce_ports(uint16_t nports, const std::vector<rte_mempool*>& pools, std::chrono::milliseconds limit) noexcept;
// Stops and closes `port` (returns its RX-side mbufs to the pool). Never throws.
void close_port(uint16_t port) noexcept;

// {"rx_nombuf", "imissed", "ierrors", "oerrors"} from rte_eth_stats_get, as a JSON-ready pair list.
struct PortErrors {
  uint64_t rx_nombuf = 0, imissed = 0, ierrors = 0, oerrors = 0;
};
PortErrors port_errors(uint16_t port) noexcept;

}  // namespace lh::emu
