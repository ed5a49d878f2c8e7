// udp_ring_impl.hpp — UdpRing's private state, shared by udp_ring.cpp (set-up, transmit, polling)
// and udp_ring_rx.cpp (receive buffers, multishot and GRO splitting). Internal to transport/io: it
// forward-declares liburing's types so that <liburing.h> stays confined to the .cpp files.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/clock.hpp"
#include "transport/io/udp_ring.hpp"

struct io_uring;
struct io_uring_sqe;
struct io_uring_buf_ring;

namespace lh::xport::io {
namespace ring_detail {

inline constexpr uint64_t kSend = 1;
inline constexpr uint64_t kRecv = 2;
inline constexpr uint64_t kRecvMulti = 3;
inline constexpr uint64_t kCancel = 4;
inline constexpr Nanos kTeardownWait = Nanos::from_ms(200);
inline constexpr uint16_t kBufferGroup = 7;
inline constexpr size_t kControlBytes = 64;         // room for the UDP_GRO cmsg (and a spare)
inline constexpr uint32_t kGroBufferBytes = 65536;  // a GRO completion carries at most 64 KiB
inline constexpr uint32_t kMaxSegmentsHard = 128;   // UDP_MAX_SEGMENTS on current kernels
inline constexpr size_t kGsoBatchBytes = 65000;     // GSO super-datagram payload stays below 64 KiB - headers
inline constexpr uint32_t kMaxRxPerPoll = 4096;     // datagrams handed out by one poll()

[[noreturn]] inline void fail(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + std::strerror(err));
}

inline uint64_t tag(uint64_t kind, uint32_t index) { return kind << 32 | index; }

}  // namespace ring_detail

struct UdpRing::Impl {
  static constexpr uint32_t kMaxSegmentsHard = ring_detail::kMaxSegmentsHard;
  struct SendOp {
    msghdr msg{};
    iovec iov[kMaxSegmentsHard]{};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(uint16_t))]{};
    uint32_t slots[kMaxSegmentsHard]{};
    uint32_t count = 0;
    SocketAddr to;
  };
  struct RxBuf {
    msghdr msg{};
    iovec iov{};
    SocketAddr from;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int)) * 2]{};
  };

  UdpRingConfig cfg;
  MonotonicClock clock;
  IoFeatures features;
  SocketAddr local;
  io_uring* ring = nullptr;            // owned; allocated with the Impl
  bool ring_ready = false;
  int fd = -1;
  bool fixed_file = false;
  bool defer_taskrun = false;         // IORING_SETUP_DEFER_TASKRUN: completions need GETEVENTS
  bool coop_taskrun = false;
  bool gso = false;
  bool gro = false;
  uint32_t rx_buf_bytes = 0;
  uint32_t max_segments = 1;
  UdpRingStats stats;

  std::vector<uint8_t> tx_mem;
  std::vector<uint32_t> tx_len;
  std::vector<SocketAddr> tx_to;
  std::vector<uint32_t> tx_free;      // stack of free slot indices
  std::vector<uint32_t> tx_queue;     // FIFO of committed slots awaiting flush(), ring buffer
  uint32_t tx_queue_head = 0;
  uint32_t tx_queue_size = 0;
  std::vector<SendOp> send_ops;
  std::vector<uint32_t> send_free;

  std::vector<uint8_t> rx_mem;
  std::vector<RxBuf> rx;
  std::vector<uint32_t> rx_held;      // buffers whose datagrams the caller still holds
  std::vector<RxDatagram> rx_out;

  // multishot receive
  bool multishot = false;
  bool ms_armed = false;              // a multishot request is posted (for teardown)
  uint32_t rx_armed = 0;              // single-shot requests posted (for teardown)
  bool ms_rearm = false;              // the multishot request ended; post a new one at release()
  bool ms_seen_data = false;
  io_uring_buf_ring* br = nullptr;
  size_t br_bytes = 0;
  uint32_t br_entries = 0;
  size_t ms_buf_bytes = 0;
  msghdr ms_msg{};                    // template: name and control lengths the kernel lays out
  std::vector<uint8_t> ms_mem;
  std::vector<SocketAddr> ms_from;    // per buffer id

  ~Impl();
  int sqe_fd() const { return fixed_file ? 0 : fd; }
  // Cancels every request and waits (bounded) for them to finish, then drops the registered file, so
  // the socket — and its port — are released by close() rather than later by the kernel's
  // asynchronous ring teardown (a restarted server could otherwise hit EADDRINUSE).
  void cancel_all();
  size_t in_flight() const;
  io_uring_sqe* get_sqe();
  void set_fd(io_uring_sqe* sqe);
  void arm_recv(uint32_t i);
  void init_single_shot();
  // Registers the provided-buffer ring; false (nothing changed) when the kernel lacks it.
  bool init_multishot();
  void return_buffer(uint32_t bid, uint32_t offset);
  void arm_multishot();
  // Appends the datagrams of one (possibly GRO-coalesced) receive to rx_out.
  void deliver(const uint8_t* base, uint32_t total, uint32_t seg, const SocketAddr* from);
  static uint32_t gro_size(cmsghdr* cm);
  // One multishot completion. Returns false when rx_out lacks room (retry at the next poll).
  bool on_multishot_done(int res, uint32_t flags);
  // Emits one sendmsg for the first `n` queued slots (all to the same destination).
  void emit_send(uint32_t n);
  void flush();
  void on_send_done(uint32_t op_index, int res);
  // Splits one single-shot receive completion into datagrams. Returns false when rx_out lacks room.
  bool on_recv_done(uint32_t i, int res);
  // Reaps every available completion (stopping early only when rx_out is full). Returns the number
  // of send completions seen.
  uint32_t reap();
  std::span<const RxDatagram> poll(Nanos timeout, bool wake_on_tx);
  void release();
};

}  // namespace lh::xport::io
