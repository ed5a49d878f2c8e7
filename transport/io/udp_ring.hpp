// udp_ring.hpp — one UDP socket (IPv4 or IPv6) driven through one io_uring, in batches.
//
// Transmit: the caller fills pre-allocated slots (tx_buffer/tx_commit) and flush() turns runs of
// consecutive equal-size datagrams to one destination into a single sendmsg carrying a UDP_SEGMENT
// cmsg (UDP GSO, Linux 4.18); without GSO, or when forced off, each datagram is its own sendmsg.
// Receive: one multishot recvmsg over a ring of provided buffers (Linux 6.0), or, where that is
// missing or forced off, `rx_buffers` plain recvmsg requests kept outstanding (several requests on one
// socket race for each wake-up and the losers block in io-wq workers, hence multishot first). With
// UDP_GRO (Linux 5.0) one completion may carry several coalesced datagrams, which are split by the
// gso_size cmsg. Every buffer is
// allocated at construction: nothing is allocated per datagram. The socket is blocking, so io_uring
// parks a send on a full socket buffer instead of failing it (backpressure = slots stay in flight).
// Fixed buffers (io_uring_register_buffers) are not used: IORING_OP_SENDMSG/RECVMSG cannot consume
// them; the socket itself is a registered file. Single-threaded: the thread that constructs a UdpRing
// is the only one that may use it (the ring is set up SINGLE_ISSUER + DEFER_TASKRUN where possible).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "src/units.hpp"
#include "transport/io/io_features.hpp"
#include "transport/io/socket_addr.hpp"

namespace lh::xport::io {

struct UdpRingConfig {
  SocketAddr bind;                      // local address; port 0 picks an ephemeral port
  uint32_t max_datagram = 1472;         // largest UDP payload sent or received, bytes (1500 MTU - 28)
  uint32_t tx_slots = 512;              // datagrams that may be queued or in flight for sending
  uint32_t rx_buffers = 64;             // receive buffers (x8 without GRO in multishot mode)
  uint32_t max_gso_segments = 64;       // datagrams per GSO sendmsg (kernel limit: 64 or 128)
  bool allow_gso = true;                // false forces one datagram per sendmsg
  bool allow_gro = true;                // false forces one datagram per receive buffer
  bool allow_multishot = true;          // false forces batched single-shot recvmsg
  int socket_buffer_bytes = 8 << 20;    // SO_SNDBUF and SO_RCVBUF (the *FORCE variants tried first)
};

// One received datagram; `data` and `from` stay valid until release_received().
struct RxDatagram {
  std::span<const uint8_t> data;
  const SocketAddr* from = nullptr;
};

struct UdpRingStats {
  uint64_t tx_datagrams = 0;      // datagrams handed to the kernel successfully
  uint64_t tx_bytes = 0;          // UDP payload bytes of those
  uint64_t tx_sendmsg = 0;        // sendmsg completions (one per GSO batch or per plain datagram)
  uint64_t tx_gso_batches = 0;    // sendmsg calls that carried a UDP_SEGMENT cmsg
  uint64_t tx_errors = 0;         // datagrams whose sendmsg failed (dropped, counted)
  uint64_t rx_datagrams = 0;      // datagrams delivered to the caller
  uint64_t rx_bytes = 0;          // payload bytes of those
  uint64_t rx_completions = 0;    // recvmsg completions with data
  uint64_t rx_gro_coalesced = 0;  // completions that carried more than one datagram
  uint64_t rx_truncated = 0;      // completions cut short by a too-small buffer (dropped)
  uint64_t rx_errors = 0;         // recvmsg completions with an error
  uint64_t rx_no_buffers = 0;     // multishot receive paused: every provided buffer was held
};

// One line of counters, "tx 123 dgrams / 4 sendmsg (4 gso) ... rx ...", for diagnostics.
std::string to_string(const UdpRingStats& s);

class UdpRing {
 public:
  // Creates the socket and ring, binds, and posts the receives. Throws std::runtime_error naming the
  // call that failed ("bind(127.0.0.1:9000): Address already in use").
  explicit UdpRing(const UdpRingConfig& config);
  ~UdpRing();
  UdpRing(const UdpRing&) = delete;
  UdpRing& operator=(const UdpRing&) = delete;

  const SocketAddr& local() const;        // the bound address (ephemeral port resolved)
  const IoFeatures& features() const;     // what the kernel supports (probed at construction)
  bool gso_active() const;                // GSO in use now (supported, allowed, not failed)
  bool gro_active() const;
  bool multishot_active() const;          // receiving with multishot recvmsg + provided buffers
  const char* taskrun_mode() const;       // "defer_taskrun", "coop_taskrun" or "default"
  uint32_t max_datagram() const;

  // ---- transmit --------------------------------------------------------------------------------
  uint32_t tx_free() const;               // slots free for tx_buffer()
  // The next free slot, max_datagram() bytes; empty when every slot is queued or in flight. The same
  // slot is returned until tx_commit() takes it, so an unused buffer needs no give-back.
  std::span<uint8_t> tx_buffer();
  // Queues the first `len` bytes of the slot from tx_buffer() for `to`. len must be 1..max_datagram().
  void tx_commit(size_t len, const SocketAddr& to);
  // Turns queued datagrams into sendmsg requests (GSO batches where possible). They reach the kernel
  // at the next poll(); the slots return to tx_free() when their sendmsg completes.
  void flush();

  // ---- receive and completion ------------------------------------------------------------------
  // Submits pending requests and reaps completions in a batch, waiting up to `timeout` (<= 0: no
  // wait) for a datagram. Send completions are reaped while waiting (freeing slots) but end the wait
  // only with `wake_on_tx` (for a caller that is out of slots). Returns the datagrams received; the
  // caller processes them and calls release_received() before the next poll() (or poll() does).
  std::span<const RxDatagram> poll(Nanos timeout, bool wake_on_tx = false);
  void release_received();

  const UdpRingStats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lh::xport::io
