// io_features.hpp — what this kernel offers the UDP datapath, probed once at start-up.
//
// io_uring opcodes come from io_uring_get_probe; UDP GSO (UDP_SEGMENT, Linux 4.18) and GRO (UDP_GRO,
// Linux 5.0) are probed with a setsockopt on a throw-away socket. UdpRing uses a feature only when it
// is both supported here and allowed by its config, and falls back cleanly otherwise (the Seastar
// "probe, then use" rule). Nothing here includes <liburing.h>.
#pragma once

#include <string>

namespace lh::xport::io {

struct IoFeatures {
  bool io_uring = false;        // io_uring_queue_init succeeded at all
  bool op_sendmsg = false;      // IORING_OP_SENDMSG
  bool op_recvmsg = false;      // IORING_OP_RECVMSG
  bool op_timeout = false;      // IORING_OP_TIMEOUT
  bool ext_arg = false;         // IORING_FEAT_EXT_ARG: waits with a timeout need no timeout SQE
  bool fast_poll = false;       // IORING_FEAT_FAST_POLL: blocking sockets park in the kernel, not a thread
  bool udp_gso = false;         // setsockopt(UDP_SEGMENT) accepted
  bool udp_gro = false;         // setsockopt(UDP_GRO) accepted

  // One line, e.g. "io_uring sendmsg recvmsg timeout ext_arg fast_poll udp_gso udp_gro".
  std::string to_string() const;
};

// Probes the running kernel. Cheap (one ring of 4 entries, two sockets); call once at start-up.
IoFeatures probe_io_features();

}  // namespace lh::xport::io
