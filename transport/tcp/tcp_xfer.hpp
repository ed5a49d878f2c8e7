// tcp_xfer.hpp — the TCP baseline of lh-xfer: shard WRITEs into a receiver's memory over N TCP streams.
//
// Same shape as the longhaul transport's transfer (transport/tools): the receiver registers a ring of
// `slots` shard-sized slots (or exactly `size` bytes when smaller); shard i lands in slot i mod slots
// and is verified there (XXH3-64 against the sender's, plus lh-xfer's placement pattern) before the
// receiver frees the slot with a SHARD_DONE. The sender restamps a source slot only after that.
// Each shard is striped over the streams (see tcp_wire.hpp), GridFTP style, so all streams carry
// every shard and a shard completes when its slowest stripe lands. Congestion control is per socket
// (TCP_CONGESTION); buffers are 2 × BDP per stream when a BDP is given, else kernel autotuning.
// Summary: lh-xfer's XferSummary (iperf3 field names); RTT is tcpi_rtt sampled on the sender. When
// the transfer stops early (duration limit, failure) `bytes` is the payload delivered so far — the
// receiver TCP's acknowledged stream bytes (tcpi_bytes_acked, all streams) less frame headers, never
// below the completed shards — and goodput is that over the elapsed time; "complete" is false.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "src/units.hpp"
#include "transport/tcp/socket_tuning.hpp"
#include "transport/tcp/tcp_error.hpp"
#include "transport/tools/xfer_report.hpp"

namespace lh::xport::tcp {

struct TcpReceiverOptions {
  std::string listen = "127.0.0.1:0";       // ADDR:PORT or [V6]:PORT; port 0 = any
  bool once = false;                        // return after the first transfer ends
  uint64_t max_region = 4ull << 30;         // largest ring one transfer may make us allocate (bytes)
  uint64_t buffer_bytes = 0;                // SO_RCVBUF per stream (2 × BDP); 0 = autotuning
  Nanos hello_timeout = Nanos::from_s(10);  // drop a connection that sends no HELLO by then
  bool quiet = false;                       // no lines on stdout
  const std::atomic<bool>* stop = nullptr;  // polled every 50 ms; return when it becomes true
  // Called once, on the receiver's thread, when listening (the bound port, the buffer grant).
  std::function<void(uint16_t port, const BufferGrant& rcvbuf)> on_listening;
};

struct TcpReceiverResult {
  uint64_t transfers = 0, transfers_ok = 0;   // ended transfers; those with every shard verified
  uint64_t verified_shards = 0, bad_shards = 0, verified_bytes = 0;  // of the last transfer
  uint16_t port = 0;
  BufferGrant rcvbuf;
};

struct TcpSenderOptions {
  std::string to;                            // receiver ADDR:PORT or [V6]:PORT
  uint64_t size = 0;                         // bytes to transfer
  uint64_t shard = 64ull << 20;              // bytes per shard
  uint32_t slots = 4;                        // shards in flight = ring slots per side
  uint32_t streams = 1;                      // parallel TCP connections (1..kMaxStreams)
  std::string cc = "cubic";                  // TCP_CONGESTION name: cubic, bbr, reno, ...
  uint64_t buffer_bytes = 0;                 // SO_SNDBUF per stream (2 × BDP); 0 = autotuning
  Nanos connect_timeout = Nanos::from_s(3);  // connect + READY on every stream
  Nanos duration_limit = Nanos::from_s(600);
  Nanos rtt_sample_interval = Nanos::from_ms(10);
  uint64_t seed = 0x6c682d78666572ull;       // pattern seed (as lh-xfer)
};

struct TcpSenderResult {
  tools::XferSummary summary;   // cc, bytes, seconds, retransmits, rtt_ns, shard_ns, verified ...
  uint32_t streams = 0;
  BufferGrant sndbuf;           // of stream 0 (every stream asks for the same)
  bool timed_out = false;       // the duration limit ended the transfer
  uint64_t completed_shard_bytes = 0;   // bytes of the shards the receiver completed (summary.bytes
                                        // of an incomplete transfer also counts acknowledged payload)
  std::string error;            // why an incomplete transfer stopped ("" when complete)
};

// Accepts transfers until `stop`, or one transfer with `once`. Throws TcpError(kConfig) when it
// cannot listen. Blocks the calling thread (one Asio io_context, single-threaded).
TcpReceiverResult run_tcp_receiver(const TcpReceiverOptions& opt);

// One transfer. Throws TcpError: kConfig (bad options, unknown congestion control — checked before
// any connection), kUnreachable (connect failed / no READY before connect_timeout), kRefused (the
// receiver refused the ring). A failure after the handshake returns with summary.complete = false.
TcpSenderResult run_tcp_sender(const TcpSenderOptions& opt);

// The JSON summary: lh-xfer's to_json() plus "transport":"tcp", "streams", and the buffer grant.
nlohmann::json to_json(TcpSenderResult& r);

}  // namespace lh::xport::tcp
