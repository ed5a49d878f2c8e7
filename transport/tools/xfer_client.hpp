// xfer_client.hpp — `lh-xfer send`: writes a patterned buffer into a server's registered memory.
//
// Memory: the client's source and the server's target are rings of `slots` shard-sized buffers (or
// exactly --size bytes when that is smaller), so 8 GiB needs slots × shard of RAM per side, not 8 GiB.
// Shard i goes from source slot i mod slots to the server's slot i mod slots as one one-sided WRITE
// with immediate i; a slot is restamped only after its previous WRITE completed (the target placed and
// checksummed it, and the server app has verified it before the target could acknowledge).
#pragma once

#include <cstdint>
#include <string>

#include "src/units.hpp"
#include "transport/io/socket_addr.hpp"
#include "transport/proto/types.hpp"

namespace lh::xport::tools {

struct ClientOptions {
  io::SocketAddr to;
  uint64_t size = 0;                         // bytes to transfer
  uint64_t shard = 64ull << 20;              // bytes per WRITE
  uint32_t slots = 4;                        // ring slots (shards in flight)
  CcKind cc = CcKind::kBbr;
  BitsPerSecond fixed_rate{900'000'000};     // for CcKind::kFixed
  uint16_t mtu = 1472;                       // max UDP payload proposed
  Nanos duration_limit = Nanos::from_s(600);
  Nanos connect_timeout = Nanos::from_s(3);
  bool json = false;
  bool progress = false;                     // status line on stderr (callers set it when it is a tty)
  bool allow_gso = true, allow_gro = true, allow_multishot = true;
  bool io_stats = false;                // print datapath counters on stderr at the end
  bool realtime = false;                // SCHED_FIFO event loop under a CPU budget (see driver_config)
  uint64_t seed = 0x6c682d78666572ull;       // pattern seed, sent to the server in HELLO
  std::string qlog;                          // write the controller state as qlog JSON-SEQ here
};

// Runs one transfer; prints the summary on stdout and errors as one line on stderr. Returns the exit
// code: 0 success, 1 verification failed / connection lost, 2 unreachable, 3 duration limit hit.
int run_client(const ClientOptions& opt);

}  // namespace lh::xport::tools
