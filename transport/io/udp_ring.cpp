// udp_ring.cpp — io_uring UDP socket with GSO batches and GRO splitting (see udp_ring.hpp).
//
// Request bookkeeping: each SQE's user_data is (kind << 32 | index); kind kSend indexes send_ops,
// kind kRecv indexes rx (single-shot mode), kind kRecvMulti is the one multishot request. The ring has
// room for every send op and every receive at once, and the CQ is twice that, so neither overflows.
// Multishot buffers are laid out as io_uring_recvmsg_out | name | control | payload (the kernel's
// format); a buffer returns to the provided-buffer ring when the caller releases its datagrams.
#include "transport/io/udp_ring.hpp"

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "transport/io/udp_ring_impl.hpp"

namespace lh::xport::io {
using namespace ring_detail;

namespace {

void set_buffer(int fd, int force_opt, int opt, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) == 0) return;
  setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));  // capped by net.core.*mem_max; best effort
}

}  // namespace

UdpRing::Impl::~Impl() {
  if (ring_ready) {
    cancel_all();
    io_uring_queue_exit(ring);
  }
  delete ring;
  if (br != nullptr) munmap(br, br_bytes);
  if (fd >= 0) close(fd);
}

// Cancels every request and waits (bounded) for them to finish, then drops the registered file, so
// the socket — and its port — are released by close() rather than later by the kernel's
// asynchronous ring teardown (a restarted server could otherwise hit EADDRINUSE).
void UdpRing::Impl::cancel_all() {
  if (io_uring_sqe* sqe = io_uring_get_sqe(ring)) {
    io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL);
    io_uring_sqe_set_data64(sqe, tag(kCancel, 0));
  }
  io_uring_submit(ring);
  __kernel_timespec ts{.tv_sec = 0, .tv_nsec = kTeardownWait.ns};
  io_uring_cqe* cqe = nullptr;
  while (in_flight() > 0 && io_uring_wait_cqe_timeout(ring, &cqe, &ts) == 0) {
    const uint64_t data = io_uring_cqe_get_data64(cqe);
    const uint64_t kind = data >> 32;
    if (kind == kSend) {
      send_ops[static_cast<uint32_t>(data)].count = 0;
      send_free.push_back(static_cast<uint32_t>(data));
    } else if (kind == kRecv) {
      --rx_armed;
    } else if (kind == kRecvMulti && (cqe->flags & IORING_CQE_F_MORE) == 0) {
      ms_armed = false;
    }
    io_uring_cqe_seen(ring, cqe);
  }
  if (fixed_file) io_uring_unregister_files(ring);
}

size_t UdpRing::Impl::in_flight() const {
  return (send_ops.size() - send_free.size()) + rx_armed + (ms_armed ? 1 : 0);
}

io_uring_sqe* UdpRing::Impl::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  if (sqe == nullptr) {  // cannot happen with the sizing above; submit and retry to stay safe
    io_uring_submit(ring);
    sqe = io_uring_get_sqe(ring);
  }
  return sqe;
}

void UdpRing::Impl::set_fd(io_uring_sqe* sqe) {
  if (fixed_file) sqe->flags |= IOSQE_FIXED_FILE;
}

// Emits one sendmsg for the first `n` queued slots (all to the same destination).
void UdpRing::Impl::emit_send(uint32_t n) {
  const uint32_t op_index = send_free.back();
  send_free.pop_back();
  SendOp& op = send_ops[op_index];
  op.count = n;
  const uint32_t first = tx_queue[tx_queue_head];
  op.to = tx_to[first];
  for (uint32_t k = 0; k < n; ++k) {
    const uint32_t slot = tx_queue[(tx_queue_head + k) % cfg.tx_slots];
    op.slots[k] = slot;
    op.iov[k].iov_base = tx_mem.data() + static_cast<size_t>(slot) * cfg.max_datagram;
    op.iov[k].iov_len = tx_len[slot];
  }
  tx_queue_head = (tx_queue_head + n) % cfg.tx_slots;
  tx_queue_size -= n;
  op.msg = {};
  op.msg.msg_name = op.to.sa();
  op.msg.msg_namelen = op.to.len();
  op.msg.msg_iov = op.iov;
  op.msg.msg_iovlen = n;
  if (n > 1) {
    op.msg.msg_control = op.control;
    op.msg.msg_controllen = sizeof(op.control);
    cmsghdr* cm = CMSG_FIRSTHDR(&op.msg);
    cm->cmsg_level = SOL_UDP;
    cm->cmsg_type = UDP_SEGMENT;
    cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
    const uint16_t seg = static_cast<uint16_t>(tx_len[first]);
    std::memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
    ++stats.tx_gso_batches;
  }
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_sendmsg(sqe, sqe_fd(), &op.msg, 0);
  set_fd(sqe);
  io_uring_sqe_set_data64(sqe, tag(kSend, op_index));
}

void UdpRing::Impl::flush() {
  while (tx_queue_size > 0 && !send_free.empty()) {
    uint32_t n = 1;
    if (gso) {
      const uint32_t first = tx_queue[tx_queue_head];
      const uint32_t seg = tx_len[first];
      size_t total = seg;
      while (n < tx_queue_size && n < max_segments) {
        const uint32_t next = tx_queue[(tx_queue_head + n) % cfg.tx_slots];
        if (tx_len[next] > seg || total + tx_len[next] > kGsoBatchBytes || !(tx_to[next] == tx_to[first])) break;
        total += tx_len[next];
        ++n;
        if (tx_len[next] < seg) break;  // a shorter datagram may only end a GSO batch
      }
    }
    emit_send(n);
  }
}

void UdpRing::Impl::on_send_done(uint32_t op_index, int res) {
  SendOp& op = send_ops[op_index];
  ++stats.tx_sendmsg;
  if (res >= 0) {
    stats.tx_datagrams += op.count;
    stats.tx_bytes += static_cast<uint64_t>(res);
  } else {
    stats.tx_errors += op.count;
    // EIO: the egress device cannot checksum-offload GSO; stop batching and carry on without it.
    if (op.count > 1 && (res == -EIO || res == -EINVAL || res == -ENOPROTOOPT)) gso = false;
  }
  for (uint32_t k = 0; k < op.count; ++k) tx_free.push_back(op.slots[k]);
  op.count = 0;
  send_free.push_back(op_index);
}

// Reaps every available completion (stopping early only when rx_out is full). Returns the number
// of send completions seen.
uint32_t UdpRing::Impl::reap() {
  unsigned head = 0;
  unsigned seen = 0;
  uint32_t sends = 0;
  io_uring_cqe* cqe = nullptr;
  io_uring_for_each_cqe(ring, head, cqe) {
    const uint64_t data = io_uring_cqe_get_data64(cqe);
    const uint32_t index = static_cast<uint32_t>(data);
    const uint64_t kind = data >> 32;
    if (kind == kRecvMulti) {
      if (!on_multishot_done(cqe->res, cqe->flags)) break;
    } else if (kind == kRecv) {
      if (!on_recv_done(index, cqe->res)) break;
      --rx_armed;
    } else if (kind == kSend) {
      on_send_done(index, cqe->res);
      ++sends;
    }
    ++seen;
  }
  io_uring_cq_advance(ring, seen);
  return sends;
}

std::span<const RxDatagram> UdpRing::Impl::poll(Nanos timeout, bool wake_on_tx) {
  release();
  if (timeout.ns <= 0) {
    // With deferred or cooperative task work, completions are only posted when we enter the kernel.
    const int rc = defer_taskrun || coop_taskrun ? io_uring_submit_and_get_events(ring) : io_uring_submit(ring);
    if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) fail("io_uring_submit", -rc);
    reap();
    return rx_out;
  }
  // Send completions arrive microseconds after each submit; waking for them would turn a paced
  // sender's sleep into a spin. So they are reaped but only end the wait when asked to.
  const Nanos until = clock.now() + timeout;
  for (Nanos left = timeout; left.ns > 0; left = until - clock.now()) {
    __kernel_timespec ts{};
    ts.tv_sec = left.ns / 1'000'000'000;
    ts.tv_nsec = left.ns % 1'000'000'000;
    io_uring_cqe* cqe = nullptr;
    const int rc = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &ts, nullptr);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) fail("io_uring_submit_and_wait_timeout", -rc);
    const uint32_t sends = reap();
    if (!rx_out.empty() || (wake_on_tx && sends > 0) || rc == -ETIME) break;
    if (ms_rearm) arm_multishot();
  }
  return rx_out;
}

UdpRing::UdpRing(const UdpRingConfig& config) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.cfg = config;
  if (config.bind.empty()) throw std::runtime_error("UdpRing: no bind address");
  if (config.max_datagram == 0 || config.max_datagram > 65507) {
    throw std::runtime_error("UdpRing: max_datagram " + std::to_string(config.max_datagram) + " not in 1..65507");
  }
  if (config.tx_slots == 0 || config.rx_buffers == 0) throw std::runtime_error("UdpRing: tx_slots and rx_buffers must be > 0");
  s.features = probe_io_features();
  if (!s.features.io_uring) throw std::runtime_error("UdpRing: io_uring is not available (io_uring_queue_init failed)");
  if (!s.features.op_sendmsg || !s.features.op_recvmsg) {
    throw std::runtime_error("UdpRing: kernel io_uring lacks IORING_OP_SENDMSG/RECVMSG (need Linux 5.3+)");
  }

  s.fd = socket(config.bind.family(), SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
  if (s.fd < 0) fail("socket", errno);
  set_buffer(s.fd, SO_SNDBUFFORCE, SO_SNDBUF, config.socket_buffer_bytes);
  set_buffer(s.fd, SO_RCVBUFFORCE, SO_RCVBUF, config.socket_buffer_bytes);
  if (bind(s.fd, config.bind.sa(), config.bind.len()) != 0) fail("bind(" + config.bind.to_string() + ")", errno);
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  if (getsockname(s.fd, reinterpret_cast<sockaddr*>(&bound), &bound_len) != 0) fail("getsockname", errno);
  s.local = SocketAddr(reinterpret_cast<sockaddr*>(&bound), bound_len);

  s.gso = config.allow_gso && s.features.udp_gso && config.max_gso_segments > 1;
  s.max_segments = std::clamp<uint32_t>(config.max_gso_segments, 1, kMaxSegmentsHard);
  if (config.allow_gro && s.features.udp_gro) {
    const int on = 1;
    s.gro = setsockopt(s.fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on)) == 0;
  }
  s.rx_buf_bytes = s.gro ? std::max(kGroBufferBytes, config.max_datagram) : config.max_datagram;

  uint32_t entries = 1;
  while (entries < config.tx_slots + config.rx_buffers) entries <<= 1;
  // Task-work modes, best first: DEFER_TASKRUN (6.1) runs completions only when this thread asks for
  // them (no IPIs or interruptions mid-turn); COOP_TASKRUN (5.19) at least avoids forced interrupts.
  constexpr unsigned kModes[] = {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
                                 IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG, 0};
  s.ring = new io_uring{};
  int rc = -EINVAL;
  for (const unsigned mode : kModes) {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | mode;
    params.cq_entries = entries * 2;
    rc = io_uring_queue_init_params(entries, s.ring, &params);
    if (rc == 0) {
      s.defer_taskrun = (mode & IORING_SETUP_DEFER_TASKRUN) != 0;
      s.coop_taskrun = (mode & IORING_SETUP_COOP_TASKRUN) != 0;
      break;
    }
    if (rc != -EINVAL) break;
  }
  if (rc != 0) fail("io_uring_queue_init", -rc);
  s.ring_ready = true;
  s.fixed_file = io_uring_register_files(s.ring, &s.fd, 1) == 0;

  s.tx_mem.assign(static_cast<size_t>(config.tx_slots) * config.max_datagram, 0);
  s.tx_len.assign(config.tx_slots, 0);
  s.tx_to.assign(config.tx_slots, SocketAddr());
  s.tx_queue.assign(config.tx_slots, 0);
  s.tx_free.reserve(config.tx_slots);
  for (uint32_t i = config.tx_slots; i-- > 0;) s.tx_free.push_back(i);
  s.send_ops.resize(config.tx_slots);
  s.send_free.reserve(config.tx_slots);
  for (uint32_t i = config.tx_slots; i-- > 0;) s.send_free.push_back(i);

  s.rx_out.reserve(kMaxRxPerPoll);
  if (!config.allow_multishot || !s.init_multishot()) s.init_single_shot();
  if (const int submitted = io_uring_submit(s.ring); submitted < 0) fail("io_uring_submit", -submitted);
}

UdpRing::~UdpRing() = default;

std::string to_string(const UdpRingStats& s) {
  return "tx " + std::to_string(s.tx_datagrams) + " dgrams " + std::to_string(s.tx_bytes) + " B in " +
         std::to_string(s.tx_sendmsg) + " sendmsg (" + std::to_string(s.tx_gso_batches) + " gso), " +
         std::to_string(s.tx_errors) + " errors; rx " + std::to_string(s.rx_datagrams) + " dgrams " +
         std::to_string(s.rx_bytes) + " B in " + std::to_string(s.rx_completions) + " completions (" +
         std::to_string(s.rx_gro_coalesced) + " gro), " + std::to_string(s.rx_truncated) + " truncated, " +
         std::to_string(s.rx_errors) + " errors, " + std::to_string(s.rx_no_buffers) + " no-buffer pauses";
}

const SocketAddr& UdpRing::local() const { return impl_->local; }
const IoFeatures& UdpRing::features() const { return impl_->features; }
bool UdpRing::gso_active() const { return impl_->gso; }
bool UdpRing::gro_active() const { return impl_->gro; }
bool UdpRing::multishot_active() const { return impl_->multishot; }
const char* UdpRing::taskrun_mode() const {
  return impl_->defer_taskrun ? "defer_taskrun" : impl_->coop_taskrun ? "coop_taskrun" : "default";
}
uint32_t UdpRing::max_datagram() const { return impl_->cfg.max_datagram; }
uint32_t UdpRing::tx_free() const { return static_cast<uint32_t>(impl_->tx_free.size()); }

std::span<uint8_t> UdpRing::tx_buffer() {
  Impl& s = *impl_;
  if (s.tx_free.empty()) return {};
  return {s.tx_mem.data() + static_cast<size_t>(s.tx_free.back()) * s.cfg.max_datagram, s.cfg.max_datagram};
}

void UdpRing::tx_commit(size_t len, const SocketAddr& to) {
  Impl& s = *impl_;
  if (s.tx_free.empty() || len == 0 || len > s.cfg.max_datagram) return;
  const uint32_t slot = s.tx_free.back();
  s.tx_free.pop_back();
  s.tx_len[slot] = static_cast<uint32_t>(len);
  s.tx_to[slot] = to;
  s.tx_queue[(s.tx_queue_head + s.tx_queue_size) % s.cfg.tx_slots] = slot;
  ++s.tx_queue_size;
}

void UdpRing::flush() { impl_->flush(); }
std::span<const RxDatagram> UdpRing::poll(Nanos timeout, bool wake_on_tx) { return impl_->poll(timeout, wake_on_tx); }
void UdpRing::release_received() { impl_->release(); }
const UdpRingStats& UdpRing::stats() const { return impl_->stats; }

}  // namespace lh::xport::io
