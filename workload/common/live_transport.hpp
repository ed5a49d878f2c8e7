// live_transport.hpp — a transport with its real-time event loop, for the tools: the longhaul engine
// on the io_uring Driver (transport/io) or the TCP baseline on its Asio loop (transport/tcp), both
// behind the workload surface. A tool picks one from a TransportSpec, then alternates its session's
// poll(now) with turn(max_wait). One thread; nothing here is used on the per-packet path.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/units.hpp"
#include "workload/common/transport.hpp"
#include "workload/common/transport_spec.hpp"
#include "workload/common/xfer_summary.hpp"

namespace lh::workload {

struct LiveOptions {
  TransportSpec transport;
  std::string peer;                      // a client: the server's ADDR:PORT
  std::string listen;                    // a server: ADDR:PORT to bind (port 0: any)
  uint16_t mtu = 1472;                   // longhaul: largest UDP payload
  uint64_t initial_window = 16ull << 20; // longhaul: flow-control window before a BDP measurement
  size_t max_channels = 16;              // a server: channels open at once
  uint64_t tcp_buffer_bytes = 0;         // TCP: SO_SNDBUF/SO_RCVBUF per socket (2 × BDP); 0 = autotuning
  bool realtime = false;                 // SCHED_FIFO event loop (longhaul: under a 90% CPU budget)
  bool allow_gso = true, allow_gro = true, allow_multishot = true;
  std::string qlog;                      // longhaul: the controller's state as qlog JSON-SEQ to this file
  // longhaul protected mode (transport.protection): the pre-shared key (psk_file.hpp reads --psk).
  std::shared_ptr<const std::vector<uint8_t>> psk;
  std::string tool = "lh-xfer";          // for messages and the qlog title
};

class LiveTransport {
 public:
  virtual ~LiveTransport() = default;
  virtual TransportEndpoint& endpoint() = 0;
  [[nodiscard]] virtual Nanos now() const = 0;
  // One turn of the event loop: transmit, then sleep at most `max_wait` for I/O or a deadline.
  virtual void turn(Nanos max_wait) = 0;
  [[nodiscard]] virtual std::string local() const = 0;  // the bound ADDR:PORT
  // One line for people: "io_uring: GSO, GRO, multishot" / "tcp: rcvbuf 8388608 B".
  [[nodiscard]] virtual std::string describe() const = 0;
  // Datapath facts for a transfer's summary: the transport's name and streams, longhaul's GSO/GRO in
  // use, TCP's send-buffer grant.
  virtual void annotate(XferSummary& s) const = 0;
  // Counters of the datapath for --io-stats ("" when there are none).
  [[nodiscard]] virtual std::string io_stats() const { return ""; }
  // Buffer grants that fell short of the request (TCP), one line each for stderr; "" when none.
  [[nodiscard]] virtual std::string warnings() const { return ""; }
  // Writes out buffered observers (qlog); false when a write failed.
  virtual bool flush() { return true; }
};

// TCP socket buffer bytes per stream from --bdp, or --rate with --rtt: 2 × BDP; 0 when none is given
// (kernel autotuning). Throws std::invalid_argument naming the flag and what is accepted.
uint64_t tcp_buffer_from_flags(const std::string& bdp, const std::string& rate, const std::string& rtt);

// Opens the transport `o.transport` names: a client when `o.peer` is set, else a server bound to
// `o.listen`. Throws std::runtime_error (or lh::xport::tcp::TcpError) with a one-line reason.
std::unique_ptr<LiveTransport> open_live_transport(const LiveOptions& o);

}  // namespace lh::workload
