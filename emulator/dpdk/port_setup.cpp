// port_setup.cpp — ethdev configuration for lh-emu (see port_setup.hpp).
#include "emulator/dpdk/port_setup.hpp"

#include <cstring>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

namespace lh::emu {

namespace {

// af_xdp (DPDK 22.11): the RX ring is this size while the PMD keeps 2048 frames in the fill ring; a
// 1024-entry RX ring overflowed during TCP bursts (the kernel's XDP redirect fails, seen as the veth's
// RX "dropped"), 2048 holds every frame the fill ring can give. Other PMDs clamp it to their limits.
constexpr uint16_t kRxDescriptors = 2048;
constexpr uint16_t kTxDescriptors = 1024;
// L2 header + two VLAN tags + FCS headroom: the largest frame for a given MTU.
constexpr uint32_t kL2Overhead = RTE_ETHER_HDR_LEN + 2 * 4 + RTE_ETHER_CRC_LEN;

[[noreturn]] void fail(const char* call, uint16_t port, int rc) {
  throw std::runtime_error(fmt::format("{}(port {}): {} ({})", call, port, rc, std::strerror(rc < 0 ? -rc : rc)));
}

}  // namespace

uint16_t port_count() noexcept { return rte_eth_dev_count_avail(); }

bool is_af_xdp(uint16_t port) noexcept {
  rte_eth_dev_info info{};
  return rte_eth_dev_info_get(port, &info) == 0 && info.driver_name != nullptr &&
         std::strcmp(info.driver_name, "net_af_xdp") == 0;
}

PortInfo setup_port(uint16_t port, rte_mempool* pool, uint32_t data_room, uint32_t mtu) {
  if (!rte_eth_dev_is_valid_port(port)) {
    throw std::runtime_error(fmt::format("port {}: no such port ({} found)", port, port_count()));
  }
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0) fail("rte_eth_dev_info_get", port, rc);

  PortInfo out;
  out.port = port;
  char name[RTE_ETH_NAME_MAX_LEN] = {};
  rte_eth_dev_get_name_by_port(port, name);
  out.name = name;
  out.driver = info.driver_name != nullptr ? info.driver_name : "";

  rte_eth_conf conf{};
  const uint32_t frame = mtu + kL2Overhead;
  const uint32_t buf = data_room - RTE_PKTMBUF_HEADROOM;
  if (frame > buf && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)) {
    conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
    out.scatter = true;
  }
  if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
  if (int rc = rte_eth_dev_configure(port, 1, 1, &conf); rc != 0) fail("rte_eth_dev_configure", port, rc);

  // Devices that cannot set the MTU (or cap it lower) keep theirs; frames up to it still pass.
  uint32_t want = mtu;
  if (info.max_mtu != 0 && want > info.max_mtu) want = info.max_mtu;
  if (rte_eth_dev_set_mtu(port, static_cast<uint16_t>(want)) == 0) {
    out.mtu = want;
  } else {
    uint16_t cur = 0;
    rte_eth_dev_get_mtu(port, &cur);
    out.mtu = cur;
  }

  uint16_t nb_rx = kRxDescriptors, nb_tx = kTxDescriptors;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rx, &nb_tx);
  const int socket = rte_eth_dev_socket_id(port);
  const unsigned sock = socket < 0 ? 0u : static_cast<unsigned>(socket);
  rte_eth_rxconf rxconf = info.default_rxconf;
  rxconf.offloads = conf.rxmode.offloads;
  if (int rc = rte_eth_rx_queue_setup(port, 0, nb_rx, sock, &rxconf, pool); rc != 0) {
    fail("rte_eth_rx_queue_setup", port, rc);
  }
  rte_eth_txconf txconf = info.default_txconf;
  txconf.offloads = conf.txmode.offloads;
  if (int rc = rte_eth_tx_queue_setup(port, 0, nb_tx, sock, &txconf); rc != 0) {
    fail("rte_eth_tx_queue_setup", port, rc);
  }
  if (int rc = rte_eth_dev_start(port); rc != 0) fail("rte_eth_dev_start", port, rc);
  // Some vdevs (pcap, ring) have no promiscuous mode and already see every frame.
  rte_eth_promiscuous_enable(port);
  return out;
}

bool quiesce_ports(uint16_t nports, const std::vector<rte_mempool*>& pools, std::chrono::milliseconds limit) noexcept {
  constexpr auto kStable = std::chrono::milliseconds(20);
  constexpr uint16_t kBurst = 32;
  const auto start = std::chrono::steady_clock::now();
  auto last_change = start;
  std::vector<unsigned> last(pools.size(), ~0u);
  for (;;) {
    for (uint16_t p = 0; p < nports; ++p) {
      rte_mbuf* burst[kBurst];
      rte_eth_tx_burst(p, 0, burst, 0);   // af_xdp: kicks the kernel and reaps the completion ring
      rte_eth_tx_done_cleanup(p, 0, 0);   // PMDs that implement it; -ENOTSUP elsewhere
      const uint16_t n = rte_eth_rx_burst(p, 0, burst, kBurst);
      rte_pktmbuf_free_bulk(burst, n);
    }
    const auto now = std::chrono::steady_clock::now();
    for (size_t i = 0; i < pools.size(); ++i) {
      const unsigned avail = rte_mempool_avail_count(pools[i]);
      if (avail != last[i]) last_change = now;
      last[i] = avail;
    }
    if (now - last_change >= kStable) return true;
    if (now - start >= limit) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void close_port(uint16_t port) noexcept {
  // Reap TX completions first (af_xdp returns sent frames' mbufs only then); -ENOTSUP elsewhere.
  rte_eth_tx_done_cleanup(port, 0, 0);
  rte_eth_dev_stop(port);
  rte_eth_dev_close(port);
}

PortErrors port_errors(uint16_t port) noexcept {
  rte_eth_stats s{};
  PortErrors e;
  if (rte_eth_stats_get(port, &s) == 0) {
    e.rx_nombuf = s.rx_nombuf;
    e.imissed = s.imissed;
    e.ierrors = s.ierrors;
    e.oerrors = s.oerrors;
  }
  return e;
}

}  // namespace lh::emu
