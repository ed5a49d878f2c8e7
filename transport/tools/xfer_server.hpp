// xfer_server.hpp — `lh-xfer serve`: accepts transfers, registers a target ring, verifies every shard.
//
// Per connection: a HELLO names size, shard and slots; the server registers min(size, slots × shard)
// bytes (refusing more than --max-region), answers READY with the rkey, and on each remote-WRITE
// completion (immediate = shard index) checks the slot against the deterministic pattern before the
// engine can acknowledge it (the check runs before the next driver turn transmits). DONE is answered
// with REPORT (verified / bad shard counts). Runs until SIGINT/SIGTERM, or one transfer with --once.
#pragma once

#include <cstdint>
#include <string>

#include "transport/io/socket_addr.hpp"

namespace lh::xport::tools {

struct ServerOptions {
  io::SocketAddr listen;
  bool once = false;                    // exit after the first transfer ends
  uint64_t max_region = 4ull << 30;     // largest region one transfer may make the server register
  uint16_t mtu = 1472;
  bool allow_gso = true, allow_gro = true, allow_multishot = true;
  bool io_stats = false;                // print datapath counters on stderr at the end
  bool realtime = false;                // SCHED_FIFO event loop under a CPU budget (see driver_config)
  bool quiet = false;                   // no per-transfer line on stdout
  std::string qlog;                     // write every connection's controller state as qlog JSON-SEQ here
};

// Returns the exit code: 0 (with --once: the transfer verified), 1 otherwise.
int run_server(const ServerOptions& opt);

}  // namespace lh::xport::tools
