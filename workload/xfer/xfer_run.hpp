// xfer_run.hpp — lh-xfer's real-time runs: the sans-IO sessions (xfer_session.hpp) on a live
// transport (workload/common/live_transport.hpp), with lh-xfer's conventions: one summary (table, or
// JSON with iperf3's field names), progress on a terminal, one line on stderr per problem, and exit
// codes 0 verified, 1 refused / failed / not verified, 2 unreachable, 3 the duration limit stopped
// the transfer (its summary is still printed, "complete": false).
#pragma once

#include <cstdint>

#include "src/units.hpp"
#include "workload/common/live_transport.hpp"
#include "workload/xfer/xfer_session.hpp"

namespace lh::workload {

struct XferClientOptions {
  LiveOptions live;                         // live.peer: the server
  XferClientConfig xfer;
  Nanos duration_limit = Nanos::from_s(600);
  Nanos connect_timeout = Nanos::from_s(3);
  bool json = false;
  bool progress = false;                    // status line on stderr (set it when stderr is a terminal)
  bool io_stats = false;                    // datapath counters on stderr at the end
};

struct XferServerOptions {
  LiveOptions live;                         // live.listen: where to bind
  XferServerConfig xfer;
  bool once = false;                        // return after the first transfer ended
  bool quiet = false;                       // no per-transfer line on stdout
  bool io_stats = false;
};

// One transfer; returns the exit code.
int run_xfer_client(const XferClientOptions& o);
// Accepts transfers until SIGINT/SIGTERM (or one, with once); returns the exit code (with once: 0
// only if the transfer verified).
int run_xfer_server(const XferServerOptions& o);

}  // namespace lh::workload
