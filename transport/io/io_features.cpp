// io_features.cpp — kernel feature probe for the io_uring UDP datapath (see io_features.hpp).
#include "transport/io/io_features.hpp"

#include <liburing.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lh::xport::io {
namespace {

bool udp_sockopt_accepted(int option, int value) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  const bool ok = setsockopt(fd, IPPROTO_UDP, option, &value, sizeof(value)) == 0;
  close(fd);
  return ok;
}

}  // namespace

IoFeatures probe_io_features() {
  IoFeatures f;
  io_uring ring{};
  if (io_uring_queue_init(4, &ring, 0) == 0) {
    f.io_uring = true;
    f.ext_arg = (ring.features & IORING_FEAT_EXT_ARG) != 0;
    f.fast_poll = (ring.features & IORING_FEAT_FAST_POLL) != 0;
    if (io_uring_probe* p = io_uring_get_probe_ring(&ring)) {
      f.op_sendmsg = io_uring_opcode_supported(p, IORING_OP_SENDMSG) != 0;
      f.op_recvmsg = io_uring_opcode_supported(p, IORING_OP_RECVMSG) != 0;
      f.op_timeout = io_uring_opcode_supported(p, IORING_OP_TIMEOUT) != 0;
      io_uring_free_probe(p);
    }
    io_uring_queue_exit(&ring);
  }
  // 1400: any plausible segment size; the probe socket never sends.
  f.udp_gso = udp_sockopt_accepted(UDP_SEGMENT, 1400);
  f.udp_gro = udp_sockopt_accepted(UDP_GRO, 1);
  return f;
}

std::string IoFeatures::to_string() const {
  std::string s;
  auto add = [&s](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(io_uring, "io_uring");
  add(op_sendmsg, "sendmsg");
  add(op_recvmsg, "recvmsg");
  add(op_timeout, "timeout");
  add(ext_arg, "ext_arg");
  add(fast_poll, "fast_poll");
  add(udp_gso, "udp_gso");
  add(udp_gro, "udp_gro");
  return s.empty() ? "none" : s;
}

}  // namespace lh::xport::io
