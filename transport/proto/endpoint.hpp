// endpoint.hpp — demultiplexes datagrams to connections by connection ID and accepts new ones.
//
// Sans-IO like Connection: the driver passes each received datagram with its source address
// (PeerAddr, opaque sockaddr bytes) and `now`, and drains poll_transmit(), which round-robins over
// the connections and tells the driver where each datagram goes. A packet reaches a connection only
// from that connection's peer address (the one its handshake ran with); others are counted and
// dropped. INIT packets (destination id 0)
// create server-side connections when accept is enabled; a repeated INIT reaches the connection it
// created. Connections are allocated at connect/accept time only (set-up, not per packet).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "src/random_source.hpp"
#include "transport/proto/connection.hpp"

namespace lh::xport {

// Completion-queue records one connection needs at least: a completion for each of its outstanding
// operations and posted receives, and some room for operations its peer starts.
inline constexpr size_t kMinCompletionShare = 2 * Connection::kMaxOps + 64;

// When a server asks a new client to prove its address first (a stateless retry with an address
// token, as QUIC's Retry, RFC 9000 §8.1): never; once half of max_half_open is in use (a spoofed-INIT
// flood then creates no state at all, and a quiet server costs its clients no extra round trip); always.
enum class AddressTokens : uint8_t { kNever, kUnderLoad, kAlways };

struct EndpointConfig {
  // Where connection ids and rkeys come from. Drivers facing a network pass SystemRandom; without
  // one the endpoint draws them from a reproducible stream under `seed` (simulations, tests) — which
  // an observer of a few ids can predict (src/random_source.hpp).
  std::shared_ptr<RandomSource> random;
  uint64_t seed = 1;
  size_t max_connections = 64;
  // Server connections still in their handshake (one INIT each, possibly spoofed) at most; an INIT
  // beyond is refused (`refused_half_open`) until one completes or times out (handshake_timeout).
  size_t max_half_open = 8;
  bool accept = true;            // create connections for incoming INITs
  AddressTokens address_tokens = AddressTokens::kUnderLoad;
  Nanos token_lifetime = Nanos::from_s(10);  // an address token is good for this long
  ConnectionConfig conn{};
  size_t cq_capacity = 65'536;  // shared by the connections: each gets cq_capacity / max_connections
  size_t max_regions = 64;
};

struct EndpointStats {
  uint64_t dropped_bad_crc = 0, dropped_malformed = 0, dropped_unknown_cid = 0, refused = 0, accepted = 0;
  // A packet for a known connection from an address other than the one validated for it (the
  // connection's peer): an off-path sender who learnt or guessed the id. Dropped before any frame.
  uint64_t dropped_wrong_addr = 0;
  uint64_t refused_half_open = 0;
  // Protected mode: INITs refused because their protection does not match this endpoint's (no AUTH
  // to a keyed server, an AUTH that does not verify, AUTH to a server without a key, another mode);
  // each is answered by one stateless CLOSE naming the reason (at most kMaxRejects queued).
  uint64_t refused_auth = 0, rejects_sent = 0;
  // Address validation: INITs answered with a retry (no valid token when one was required; no state
  // kept), and INITs whose token proved their address.
  uint64_t retries_sent = 0, tokens_validated = 0;
};

class Endpoint {
 public:
  explicit Endpoint(const EndpointConfig& cfg);

  MemoryRegistry& memory() { return memory_; }
  CompletionQueue& completions() { return cq_; }
  std::optional<Completion> poll_completion() { return cq_.poll(); }

  // Opens a client connection to `peer`; INIT goes out on the next poll_transmit. Throws
  // std::runtime_error when max_connections are open.
  Connection& connect(const PeerAddr& peer, Nanos now);
  // Server connections created since the last call (one per call), else nullptr.
  Connection* poll_accept();
  Connection* find(ConnectionId local_cid);
  // Forgets a closed or lost connection (its completions were already queued).
  bool remove(ConnectionId local_cid);

  void on_datagram(std::span<const uint8_t> datagram, const PeerAddr& from, Nanos now);
  // Datagrams to send: first any queued stateless refusals, then the connections' packets.
  size_t poll_transmit(Nanos now, std::span<uint8_t> buf, PeerAddr& to);
  [[nodiscard]] Nanos next_timeout() const;
  void on_timeout(Nanos now);

  [[nodiscard]] const EndpointStats& stats() const { return stats_; }
  [[nodiscard]] size_t connection_count() const { return conns_.size(); }
  // Calls f(const Connection&) for every open connection (observers: qlog, summaries).
  template <typename F>
  void for_each_connection(F&& f) const {
    for (const auto& c : conns_) f(*c);
  }

 private:
  ConnectionId new_cid();
  void reject(const PeerAddr& to, ConnectionId client_cid, uint32_t reason);
  [[nodiscard]] std::array<uint8_t, wire::kTokenSize> make_token(const PeerAddr& to, ConnectionId client_cid,
                                                                 Nanos now) const;
  [[nodiscard]] bool token_valid(std::span<const uint8_t, wire::kTokenSize> token, const PeerAddr& from,
                                 ConnectionId client_cid, Nanos now) const;

  struct Reject {  // a stateless answer to an INIT: a CLOSE with `reason`, or (retry) a TOKEN
    PeerAddr to;
    ConnectionId dest = 0;
    uint32_t reason = 0;
    bool retry = false;
    std::array<uint8_t, wire::kTokenSize> token{};
  };
  static constexpr size_t kMaxRejects = 16;

  EndpointConfig cfg_;
  std::shared_ptr<RandomSource> random_;
  std::array<uint8_t, 32> hs_key_{};  // protected mode: authenticates INITs before any state exists
  std::array<uint8_t, 32> token_key_{};  // address tokens: a secret of this endpoint's, never sent
  bool token_key_set_ = false;           // drawn when first needed (ids and rkeys come first from the source)
  std::vector<Reject> rejects_;
  MemoryRegistry memory_;
  CompletionQueue cq_;
  std::vector<std::unique_ptr<Connection>> conns_;
  std::vector<Connection*> accepted_;
  size_t rr_ = 0;
  EndpointStats stats_;
};

}  // namespace lh::xport
