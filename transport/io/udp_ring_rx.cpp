// udp_ring_rx.cpp — UdpRing's receive side: single-shot recvmsg buffers, the multishot recvmsg over a
// provided-buffer ring, and splitting GRO-coalesced buffers into datagrams by the gso_size cmsg.
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "transport/io/udp_ring_impl.hpp"

namespace lh::xport::io {
using namespace ring_detail;

void UdpRing::Impl::arm_recv(uint32_t i) {
  RxBuf& b = rx[i];
  b.iov.iov_base = rx_mem.data() + static_cast<size_t>(i) * rx_buf_bytes;
  b.iov.iov_len = rx_buf_bytes;
  b.msg = {};
  b.msg.msg_name = b.from.sa();
  b.msg.msg_namelen = SocketAddr::capacity();
  b.msg.msg_iov = &b.iov;
  b.msg.msg_iovlen = 1;
  b.msg.msg_control = b.control;
  b.msg.msg_controllen = sizeof(b.control);
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_recvmsg(sqe, sqe_fd(), &b.msg, 0);
  set_fd(sqe);
  io_uring_sqe_set_data64(sqe, tag(kRecv, i));
  ++rx_armed;
}

void UdpRing::Impl::init_single_shot() {
  rx_mem.assign(static_cast<size_t>(cfg.rx_buffers) * rx_buf_bytes, 0);
  rx.resize(cfg.rx_buffers);
  rx_held.reserve(cfg.rx_buffers);
  for (uint32_t i = 0; i < cfg.rx_buffers; ++i) arm_recv(i);
}

// Registers the provided-buffer ring; false (nothing changed) when the kernel lacks it.
bool UdpRing::Impl::init_multishot() {
  br_entries = 1;
  const uint32_t want = gro ? cfg.rx_buffers : cfg.rx_buffers * 8;
  while (br_entries < want && br_entries < 32768) br_entries <<= 1;
  br_bytes = br_entries * sizeof(io_uring_buf);
  void* mem = mmap(nullptr, br_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (mem == MAP_FAILED) return false;
  br = static_cast<io_uring_buf_ring*>(mem);
  io_uring_buf_ring_init(br);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = br_entries;
  reg.bgid = kBufferGroup;
  if (io_uring_register_buf_ring(ring, &reg, 0) != 0) {
    munmap(br, br_bytes);
    br = nullptr;
    return false;
  }
  ms_msg = {};
  ms_msg.msg_namelen = SocketAddr::capacity();
  ms_msg.msg_controllen = kControlBytes;
  ms_buf_bytes = (sizeof(io_uring_recvmsg_out) + SocketAddr::capacity() + kControlBytes + rx_buf_bytes + 63) / 64 * 64;
  ms_mem.assign(ms_buf_bytes * br_entries, 0);
  ms_from.assign(br_entries, SocketAddr());
  rx_held.reserve(br_entries);
  for (uint32_t b = 0; b < br_entries; ++b) return_buffer(b, b);
  io_uring_buf_ring_advance(br, static_cast<int>(br_entries));
  multishot = true;
  arm_multishot();
  return true;
}

void UdpRing::Impl::return_buffer(uint32_t bid, uint32_t offset) {
  io_uring_buf_ring_add(br, ms_mem.data() + bid * ms_buf_bytes, static_cast<unsigned>(ms_buf_bytes),
                        static_cast<unsigned short>(bid), io_uring_buf_ring_mask(br_entries), static_cast<int>(offset));
}

void UdpRing::Impl::arm_multishot() {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_recvmsg_multishot(sqe, sqe_fd(), &ms_msg, 0);
  set_fd(sqe);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kBufferGroup;
  io_uring_sqe_set_data64(sqe, tag(kRecvMulti, 0));
  ms_rearm = false;
  ms_armed = true;
}

// Appends the datagrams of one (possibly GRO-coalesced) receive to rx_out.
void UdpRing::Impl::deliver(const uint8_t* base, uint32_t total, uint32_t seg, const SocketAddr* from) {
  ++stats.rx_completions;
  if (seg == 0 || seg > total) seg = total;
  if (total > seg) ++stats.rx_gro_coalesced;
  if (total == 0) rx_out.push_back({std::span<const uint8_t>(base, 0), from});
  for (uint32_t off = 0; off < total && rx_out.size() < kMaxRxPerPoll; off += seg) {
    const uint32_t len = std::min(seg, total - off);
    rx_out.push_back({std::span<const uint8_t>(base + off, len), from});
    ++stats.rx_datagrams;
    stats.rx_bytes += len;
  }
}

uint32_t UdpRing::Impl::gro_size(cmsghdr* cm) {
  if (cm->cmsg_level != SOL_UDP || cm->cmsg_type != UDP_GRO) return 0;
  int gso_size = 0;
  std::memcpy(&gso_size, CMSG_DATA(cm), sizeof(gso_size));
  return gso_size > 0 ? static_cast<uint32_t>(gso_size) : 0;
}

// One multishot completion. Returns false when rx_out lacks room (retry at the next poll).
bool UdpRing::Impl::on_multishot_done(int res, uint32_t flags) {
  const bool more = (flags & IORING_CQE_F_MORE) != 0;
  if (!more) ms_armed = false;
  if (res < 0) {
    if (res == -EINVAL && !ms_seen_data) {
      // The kernel has buffer rings but not multishot recvmsg (5.19): fall back for good.
      multishot = false;
      init_single_shot();
      return true;
    }
    if (res == -ENOBUFS) ++stats.rx_no_buffers;
    else ++stats.rx_errors;
    if (!more) ms_rearm = true;
    return true;
  }
  ms_seen_data = true;
  if ((flags & IORING_CQE_F_BUFFER) == 0) {  // no buffer attached: nothing to deliver or return
    ++stats.rx_errors;
    if (!more) ms_rearm = true;
    return true;
  }
  const uint32_t bid = flags >> IORING_CQE_BUFFER_SHIFT;
  uint8_t* buf = ms_mem.data() + static_cast<size_t>(bid) * ms_buf_bytes;
  io_uring_recvmsg_out* o = io_uring_recvmsg_validate(buf, res, &ms_msg);
  const uint32_t total = o != nullptr ? io_uring_recvmsg_payload_length(o, res, &ms_msg) : 0;
  uint32_t seg = 0;
  if (o != nullptr) {
    for (cmsghdr* cm = io_uring_recvmsg_cmsg_firsthdr(o, &ms_msg); cm != nullptr;
         cm = io_uring_recvmsg_cmsg_nexthdr(o, &ms_msg, cm)) {
      if (const uint32_t g = gro_size(cm)) seg = g;
    }
  }
  const uint32_t count = seg == 0 ? 1 : (total + seg - 1) / seg;
  if (rx_out.size() + count > kMaxRxPerPoll && !rx_out.empty()) return false;
  if (!more) ms_rearm = true;
  if (o == nullptr || (o->flags & MSG_TRUNC) != 0) {
    if (o == nullptr) ++stats.rx_errors;
    else ++stats.rx_truncated;
    return_buffer(bid, 0);
    io_uring_buf_ring_advance(br, 1);
    return true;
  }
  ms_from[bid] = SocketAddr(static_cast<const sockaddr*>(io_uring_recvmsg_name(o)),
                            std::min<socklen_t>(o->namelen, SocketAddr::capacity()));
  deliver(static_cast<const uint8_t*>(io_uring_recvmsg_payload(o, &ms_msg)), total, seg, &ms_from[bid]);
  rx_held.push_back(bid);
  return true;
}

// Splits one single-shot receive completion into datagrams. Returns false when rx_out lacks room.
bool UdpRing::Impl::on_recv_done(uint32_t i, int res) {
  RxBuf& b = rx[i];
  if (res < 0) {
    ++stats.rx_errors;
    arm_recv(i);
    return true;
  }
  uint32_t seg = 0;
  for (cmsghdr* cm = CMSG_FIRSTHDR(&b.msg); cm != nullptr; cm = CMSG_NXTHDR(&b.msg, cm)) {
    if (const uint32_t g = gro_size(cm)) seg = g;
  }
  const uint32_t total = static_cast<uint32_t>(res);
  const uint32_t count = seg == 0 ? 1 : (total + seg - 1) / seg;
  if (rx_out.size() + count > kMaxRxPerPoll && !rx_out.empty()) return false;
  if ((b.msg.msg_flags & MSG_TRUNC) != 0) {
    ++stats.rx_truncated;
    arm_recv(i);
    return true;
  }
  b.from.set_len(b.msg.msg_namelen);
  deliver(static_cast<const uint8_t*>(b.iov.iov_base), total, seg, &b.from);
  rx_held.push_back(i);
  return true;
}

void UdpRing::Impl::release() {
  if (multishot) {
    for (size_t k = 0; k < rx_held.size(); ++k) return_buffer(rx_held[k], static_cast<uint32_t>(k));
    if (!rx_held.empty()) io_uring_buf_ring_advance(br, static_cast<int>(rx_held.size()));
    if (ms_rearm) arm_multishot();
  } else {
    for (uint32_t i : rx_held) arm_recv(i);
  }
  rx_held.clear();
  rx_out.clear();
}

}  // namespace lh::xport::io
