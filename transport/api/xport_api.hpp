// xport_api.hpp — the public, verbs-like surface of the longhaul transport (lh::xport::api).
//
// Drivers (transport/io's io_uring loop, emulator/sim) and tools (lh-xfer) include only this header.
// The objects are the engine's own (transport/proto is the pure state machine; nothing is wrapped,
// so there is no per-packet indirection):
//   Endpoint        — demultiplexes datagrams by connection id, accepts, owns the memory registry
//                     and the completion queue (like a verbs context + protection domain + CQ).
//   Connection      — a queue pair: post_write / post_send / post_recv, close.
//   MemoryRegion    — caller memory registered under a random 64-bit rkey (Endpoint::memory()).
//   CompletionQueue — Completion records: success or remote access error, timeout, connection
//                     lost, integrity error, length error, closed.
// Plus the configuration helpers every front end needs: the congestion-control spec parser.
#pragma once

#include <string>
#include <string_view>

#include "transport/proto/completion_queue.hpp"
#include "transport/proto/connection.hpp"
#include "transport/proto/endpoint.hpp"
#include "transport/proto/memory_registry.hpp"
#include "transport/proto/types.hpp"

namespace lh::xport::api {

using lh::xport::Completion;
using lh::xport::CompletionQueue;
using lh::xport::Connection;
using lh::xport::ConnectionConfig;
using lh::xport::Endpoint;
using lh::xport::EndpointConfig;
using lh::xport::MemoryRegion;
using lh::xport::OpKind;
using lh::xport::PeerAddr;
using lh::xport::PostResult;
using lh::xport::Status;
using lh::xport::WriteRequest;

// Applies a congestion-control spec to `cfg`: "bbr" (default, loss-tolerant model-based),
// "cubic" (RFC 9438), or "fixed:<rate>" for dedicated links, e.g. "fixed:900mbit" (rate syntax of
// lh::parse_rate). Throws lh::ParseError naming the spec and what is accepted.
void apply_cc_spec(std::string_view spec, ConnectionConfig& cfg);

// The spec string for a configuration (round-trips through apply_cc_spec).
std::string cc_spec(const ConnectionConfig& cfg);

// One line for people: "write wr_id=7 success 1048576 B" / "remote-write imm=5 ...".
std::string describe(const Completion& c);

}  // namespace lh::xport::api
