// tcp_tool.hpp — the TCP baseline behind lh-xfer's command line (`lh-xfer ... --transport tcp`).
//
// The front end (transport/tools/lh_xfer.cpp) parses the flags both transports share; this runs the
// TCP side with lh-xfer's conventions: the same table / JSON summary, the same exit codes (0 verified,
// 1 refused / failed / not verified, 2 bad flag / unreachable, 3 duration limit — a transfer the limit
// stopped still prints its summary with "complete": false), one line on stderr per problem.
#pragma once

#include <cstdint>
#include <string>

#include "transport/tcp/tcp_xfer.hpp"

namespace lh::xport::tcp {

// Per-stream socket buffer bytes from --bdp, or --rate with --rtt: 2 × BDP; 0 when none is given
// (kernel autotuning). Throws std::invalid_argument naming the flag and what is accepted.
uint64_t buffer_bytes_from_flags(const std::string& bdp, const std::string& rate, const std::string& rtt);

// Accepts transfers until SIGINT/SIGTERM (or one, with o.once). Returns the exit code.
// `realtime`: the (single) thread runs SCHED_FIFO at lh-xfer's loop priority, as the longhaul
// transport's loop does with --realtime (src/realtime.hpp); kernel TCP does its own work in softirq.
int serve_main(TcpReceiverOptions& o, bool realtime = false);

// One transfer; prints the summary (table, or JSON with `json`). Returns the exit code.
int send_main(const TcpSenderOptions& o, bool json, bool realtime = false);

// lh-xfer's exit code for a TcpError: 1 when the peer refused or the connection failed, else 2.
int exit_code(const TcpError& e);

}  // namespace lh::xport::tcp
