// connection.hpp — one longhaul connection (a queue pair): the sans-IO protocol engine.
//
// Datagrams and `now` in, datagrams out; no sockets, clocks or threads (ARCHITECTURE.md). The driver
// loop is:  on_datagram(d, now) for each received datagram; while (n = poll_transmit(now, buf)) send;
// sleep until next_timeout(), then on_timeout(now).  poll_transmit returns one datagram per call and
// 0 when the pacer or the windows say wait. Reliability follows AWS SRD / IRN: SACK, RACK-style time
// and packet-threshold (3) loss detection, probe timeouts with exponential backoff, selective
// retransmission of lost fragments only (no go-back-N), out-of-order placement straight into the
// registered region. Every buffer is allocated at construction, sized from ConnectionConfig::max_window.
// Times are lh::Nanos, sizes bytes. Not thread-safe; one thread drives a connection.
#pragma once

#include <cstdint>
#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "transport/proto/cc/congestion_controller.hpp"
#include "transport/proto/completion_queue.hpp"
#include "transport/proto/memory_registry.hpp"
#include "transport/proto/packet_protection.hpp"
#include "transport/proto/pacer.hpp"
#include "transport/proto/range_set.hpp"
#include "transport/proto/rtt_estimator.hpp"
#include "transport/proto/stream_hash.hpp"
#include "transport/proto/types.hpp"
#include "transport/proto/wire.hpp"

namespace lh::xport {

struct WriteRequest {
  uint64_t wr_id = 0;                  // echoed in the completion
  std::span<const uint8_t> local;      // caller keeps it alive and unchanged until completion
  uint64_t rkey = 0;                   // peer's region key
  uint64_t remote_offset = 0;          // byte offset in that region
  std::optional<uint32_t> imm;         // delivered in the peer's CQ once the whole write landed
  // XXH3_64bits of `local`, when the caller has it already (e.g. computed on another thread): the
  // transport then skips its own pass over the buffer at post time. A wrong value fails the write
  // with kIntegrityError at both ends, exactly as a buffer changed after posting would.
  std::optional<uint64_t> checksum;
  // Fails the write with kTimeout if it has not completed this long after posting (0: the
  // connection's op_timeout). Counted from the latest `now` the connection was given.
  Nanos timeout{0};
};

enum class PostResult : uint8_t { kOk, kQueueFull, kInvalid, kClosed };

// A connection's congestion and recovery state at one instant, for observability (qlog, summaries).
// Drivers read it every few milliseconds at most; it is never built on the per-packet path.
struct ConnectionMetrics {
  const char* cc_state = "";       // the controller's state name (a static string)
  uint64_t pacing_bps = 0, bandwidth_bps = 0;  // bit/s; bandwidth: the controller's bottleneck estimate
  double random_loss = 0;          // loss rate the controller treats as random (BBR)
  uint64_t cwnd = 0, bytes_in_flight = 0, peer_window = 0;  // bytes
  Nanos min_rtt{0}, smoothed_rtt{0}, latest_rtt{0}, rtt_variance{0};
  uint64_t packets_sent = 0, packets_lost = 0, retransmits = 0, pto_count = 0;  // totals
  bool operator==(const ConnectionMetrics&) const = default;
};

// Protected handshake helpers for Endpoint (which checks an INIT before making a connection for it):
// whether an INIT's AUTH frame verifies under the handshake key, and the AUTH mode byte of `p`.
bool verify_init_auth(std::span<const uint8_t, 32> hs_key, std::span<const uint8_t> frames, const wire::AuthFrame& a);
uint8_t auth_mode_of(Protection p);

class Connection {
 public:
  enum class Role : uint8_t { kClient, kServer };
  enum class State : uint8_t { kHandshaking, kEstablished, kClosing, kClosed, kLost };

  static constexpr uint32_t kMaxOps = 256;          // outstanding WRITE+SEND per direction
  // Holes tracked per inbound operation: a burst of losses inside one large WRITE (an overflow of a
  // deep queue, heavy random loss) leaves up to ~loss × packets-per-RTT of them before the
  // retransmissions fill them; with 128, a 674-packet overflow made the receiver refuse 5407 good
  // fragments, which the sender had to resend. 16 KiB per operation slot.
  static constexpr size_t kCoverageRanges = 1024;
  static constexpr size_t kRecvRanges = 256;        // received packet-number ranges kept for SACK
  static constexpr size_t kMaxStatusPerPacket = 4;

  // A client sends INIT on its first poll_transmit. A server is created by Endpoint on an INIT.
  Connection(Role role, const ConnectionConfig& cfg, ConnectionId local_cid, MemoryRegistry& memory,
             CompletionQueue& cq, Nanos now);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Full datagram (CRC checked here). Bad packets are dropped and counted, never thrown.
  void on_datagram(std::span<const uint8_t> datagram, Nanos now);
  // Already-decoded packet (Endpoint checked the CRC while demultiplexing).
  void on_packet(const wire::Header& hdr, std::span<const uint8_t> frames, size_t datagram_len, Nanos now);
  // A protected datagram whose header Endpoint parsed: replay check, key by SPI, open, then on_packet.
  void on_protected(const wire::Header& hdr, std::span<const uint8_t> datagram, Nanos now);
  // Protected mode: this side's handshake nonce (Endpoint draws it from its random source; the
  // default is the local connection id). Before the first poll_transmit/on_packet.
  void set_handshake_nonce(uint64_t nonce) {
    if (psp_) psp_->set_local_nonce(nonce);
  }
  // Writes at most one datagram into `buf` (>= the negotiated max_udp_payload); returns its length.
  size_t poll_transmit(Nanos now, std::span<uint8_t> buf);
  // Earliest time on_timeout/poll_transmit has work: pacing release, ACK delay, loss timer, probe
  // timeout, keepalive, idle. Nanos::max() if none.
  [[nodiscard]] Nanos next_timeout() const;
  void on_timeout(Nanos now);

  PostResult post_write(const WriteRequest& req);
  PostResult post_send(uint64_t wr_id, std::span<const uint8_t> message, Nanos timeout = Nanos{0});
  PostResult post_recv(uint64_t wr_id, std::span<uint8_t> buffer);
  std::optional<Completion> poll_completion() { return cq_.poll(); }
  // Graceful close: finishes outstanding operations, then CLOSE / CLOSE_ACK.
  void close(Nanos now);

  [[nodiscard]] State state() const { return state_; }
  [[nodiscard]] bool established() const { return state_ == State::kEstablished; }
  [[nodiscard]] Role role() const { return role_; }
  [[nodiscard]] ConnectionId local_cid() const { return local_cid_; }
  [[nodiscard]] ConnectionId peer_cid() const { return peer_cid_; }
  [[nodiscard]] uint16_t max_udp_payload() const { return mtu_; }
  [[nodiscard]] uint32_t features() const { return features_; }
  [[nodiscard]] Protection protection() const { return cfg_.protection; }
  // Protected mode's keys and rotations (null in plaintext mode).
  [[nodiscard]] const psp::ConnectionProtection* packet_protection() const { return psp_.get(); }
  // Why the connection failed, in words, when the reason is more than its Status (a refused
  // protected handshake: which side lacks a key, or that the keys differ); empty otherwise.
  [[nodiscard]] const std::string& failure() const { return failure_; }
  [[nodiscard]] const ConnectionStats& stats() const { return stats_; }
  [[nodiscard]] const RttEstimator& rtt() const { return rtt_; }
  [[nodiscard]] const cc::CongestionController& congestion() const { return cc_; }
  [[nodiscard]] ConnectionMetrics metrics() const;
  [[nodiscard]] uint64_t bytes_in_flight() const { return in_flight_; }
  [[nodiscard]] uint64_t peer_window() const { return peer_window_; }
  [[nodiscard]] uint64_t advertised_window() const { return local_window_; }
  [[nodiscard]] uint32_t pto_count() const { return pto_count_; }
  [[nodiscard]] bool reordering_seen() const { return reordering_seen_; }
  [[nodiscard]] uint64_t outstanding_ops() const { return next_op_id_ - oldest_op_id_; }
  // Bytes of the per-connection rings, allocated when the handshake completes (0 while half-open).
  [[nodiscard]] size_t ring_bytes() const {
    return sent_.capacity() * sizeof(SentPacket) + retx_.capacity() * sizeof(FragRef) + in_ops_.capacity() * sizeof(InOp);
  }
  [[nodiscard]] const PeerAddr& peer_addr() const { return peer_addr_; }
  void set_peer_addr(const PeerAddr& a) { peer_addr_ = a; }
  // The protection domain whose regions this connection's peer may write (memory_registry.hpp).
  [[nodiscard]] ProtectionDomain protection_domain() const { return pd_; }
  void set_protection_domain(ProtectionDomain pd) { pd_ = pd; }

 private:
  struct SendOp {
    uint32_t op_id = 0;
    bool active = false, is_send = false, has_imm = false;
    bool announced = false;  // a full-form fragment was acknowledged: the rest may be short
    uint32_t imm = 0;
    uint64_t wr_id = 0, key = 0, base_off = 0, checksum = 0;
    const uint8_t* data = nullptr;
    uint64_t len = 0, next_off = 0;
    uint64_t acked = 0;           // fragment bytes acknowledged (a spurious retransmission counts twice)
    Nanos deadline = Nanos::max();  // fails with kTimeout at this time (post deadline, then STATUS wait)
  };
  struct InOp {
    enum class Phase : uint8_t { kFree, kActive, kDone };
    uint32_t op_id = 0;
    Phase phase = Phase::kFree;
    bool is_send = false, have_last = false, has_imm = false, status_queued = false, status_acked = false;
    bool deferred = false;  // finished, its completion and STATUS held for room in the queue
    Status result = Status::kSuccess;
    uint32_t imm = 0;
    uint64_t key = 0, base_off = 0, total = 0, checksum = 0, received = 0, recv_wr_id = 0;
    uint8_t* dest = nullptr;  // first byte of the operation in the region / receive buffer
    RangeSet<kCoverageRanges> coverage;
    StreamHash hash;          // XXH3 of the placed in-order prefix [0, hash.hashed())
  };
  struct PostedRecv {
    uint64_t wr_id = 0;
    uint8_t* data = nullptr;
    uint64_t len = 0;
    bool done = false;
  };
  struct FragRef {
    uint32_t op_id = 0;
    uint64_t off = 0;
    uint32_t len = 0;
  };
  struct SentPacket {
    uint64_t pn = UINT64_MAX;
    Nanos sent_time{0};
    uint32_t size = 0;
    bool outstanding = false, has_frag = false, write_frag = false, ping = false, close = false;
    bool full_frag = false;  // the fragment went in the full form (announces its operation)
    uint8_t n_status = 0;
    FragRef frag;
    uint32_t status[kMaxStatusPerPacket];  // inbound op ids whose STATUS this packet carries
    // Delivery-rate sampling state at send time (draft-cheng-iccrg-delivery-rate-estimation).
    uint64_t delivered = 0;
    Nanos delivered_time{0}, first_sent_time{0};
    bool app_limited = false;
  };

  // connection.cpp: handshake, timers, close, completions
  void handle_handshake(const wire::Frame& f, const wire::AuthFrame* auth, std::span<const uint8_t> frames, Nanos now);
  void fail_handshake(uint32_t reason);
  [[nodiscard]] wire::Header out_header(uint64_t pn);
  size_t protect(uint64_t pn, std::span<uint8_t> buf, size_t n);
  void become_lost(Status why, Nanos now);
  void complete_send_op(uint32_t op_id, Status s);
  // Completions this connection holds in the queue or has promised (outstanding ops, posted receives).
  [[nodiscard]] size_t completions_reserved() const {
    return cq_.pending(local_cid_) + (next_op_id_ - oldest_op_id_) + (recv_posted_ - recv_oldest_);
  }
  bool at_completion_share() {
    while (recv_oldest_ < recv_posted_ && recvs_[recv_oldest_ % kMaxOps].done) ++recv_oldest_;
    return completions_reserved() >= cq_.share();
  }
  void allocate_rings();
  [[nodiscard]] Nanos server_handshake_deadline() const;
  PostResult post_op(const SendOp& op, Nanos timeout);
  void expire_ops(Nanos now);
  void maybe_finish_close(Nanos now);
  void update_receive_window(uint64_t bytes, Nanos now);
  // connection_rx.cpp: incoming frames and placement
  bool handle_data(const wire::DataFrame& d, Nanos now);
  InOp* inbound_op(const wire::DataFrame& d, bool& drop);
  void finish_inbound(InOp& op);
  void deliver_deferred();
  void queue_status(InOp& op, Status s);
  void handle_status(const wire::StatusFrame& st);
  void record_received(uint64_t pn, bool ack_eliciting, Nanos now);
  // connection_ack.cpp: ACK processing, loss detection, probes
  void handle_ack(const wire::AckFrame& ack, Nanos now);
  void detect_losses(Nanos now, cc::LossEvent& loss);
  void on_packet_lost(SentPacket& p, cc::LossEvent& loss);
  void on_packet_acked(SentPacket& p, Nanos now, cc::AckEvent& ev, Nanos& newest_sent);
  void advance_oldest();
  void check_spurious(const wire::AckFrame& ack, Nanos now);
  void drop_stale_retx();
  [[nodiscard]] Nanos reo_wnd() const;
  void on_pto(Nanos now);
  [[nodiscard]] Nanos pto_deadline() const;
  // connection_tx.cpp: packet building
  size_t send_handshake(Nanos now, std::span<uint8_t> buf);
  size_t send_ack_only(Nanos now, std::span<uint8_t> buf);
  size_t send_control(Nanos now, std::span<uint8_t> buf);
  size_t send_data(Nanos now, std::span<uint8_t> buf, bool probe);
  bool next_fragment(FragRef& f, bool& is_retx);
  [[nodiscard]] uint64_t carve(const SendOp& op) const;
  void fill_ack(wire::AckFrame& ack, Nanos now);
  SentPacket& track(uint64_t pn, Nanos now, size_t size);
  [[nodiscard]] bool can_send_eliciting(size_t size) const;
  [[nodiscard]] bool has_control_to_send() const;
  [[nodiscard]] bool has_data_to_send() const;
  [[nodiscard]] bool ack_due(Nanos now) const;

  Role role_;
  ConnectionConfig cfg_;
  std::unique_ptr<psp::ConnectionProtection> psp_;  // protected mode only
  std::vector<uint8_t> rx_plain_;                   // AES-GCM: decrypted frames (allocated on first use)
  std::string failure_;
  ProtectionDomain pd_ = kSharedDomain;
  uint32_t deferred_ = 0;              // inbound operations whose completion waits for queue room
  Nanos seen_now_;                    // the latest `now` given (post_* have none of their own)
  Nanos op_deadline_ = Nanos::max();   // no operation deadline before this (a lower bound)
  State state_ = State::kHandshaking;
  ConnectionId local_cid_, peer_cid_ = 0;
  PeerAddr peer_addr_;
  MemoryRegistry& memory_;
  CompletionQueue& cq_;
  ConnectionStats stats_;
  uint16_t mtu_;
  uint32_t features_;
  uint64_t mss_;  // fragment payload bytes per full-form data packet with the LAST trailer

  // handshake
  bool hs_send_pending_ = false;
  uint32_t hs_attempts_ = 0;          // INITs (client) or ACCEPTs (server) sent
  Nanos hs_sent_time_{0}, hs_deadline_ = Nanos::max();
  Nanos created_;
  uint64_t accept_pn_ = UINT64_MAX;    // server: the last ACCEPT's packet number until acknowledged
  // client: the address token of the server's last retry, echoed in every later INIT
  std::optional<std::array<uint8_t, wire::kTokenSize>> token_;
  uint32_t retries_ = 0;
  static constexpr uint32_t kMaxRetries = 3;

  // sender: operations, packets, recovery
  std::vector<SendOp> ops_;
  uint32_t next_op_id_ = 1, oldest_op_id_ = 1, cursor_op_id_ = 1;
  uint64_t next_send_ordinal_ = 0;
  std::vector<FragRef> retx_;  // ring of lost fragments awaiting retransmission
  size_t retx_head_ = 0, retx_count_ = 0;
  std::vector<SentPacket> sent_;  // ring indexed by pn & sent_mask_
  static constexpr uint64_t kTrackPrefetch = 8;  // track() prefetches the slot this many packets ahead
  uint64_t sent_mask_;
  uint64_t next_pn_ = 0, oldest_unacked_pn_ = 0, largest_acked_ = UINT64_MAX;
  uint64_t in_flight_ = 0, eliciting_in_flight_ = 0;
  Nanos last_eliciting_sent_{0}, loss_time_ = Nanos::max();
  // Recently declared-lost packet numbers (a FIFO, ascending). An ACK covering one proves the loss
  // was spurious, i.e. the path reorders; from then on only the time threshold declares losses
  // (RFC 8985 §6.2), since a reordered packet can trail many later ones.
  std::vector<uint64_t> lost_pns_;
  size_t lost_head_ = 0, lost_count_ = 0;
  bool reordering_seen_ = false;
  static constexpr uint32_t kMaxReoWndMult = 16;
  uint32_t reo_wnd_mult_ = 1;
  Nanos reo_wnd_stamp_{INT64_MIN / 2};
  uint32_t pto_count_ = 0, probes_pending_ = 0;
  RttEstimator rtt_;
  cc::CongestionController cc_;
  Pacer pacer_;
  uint64_t peer_window_;
  uint64_t delivered_ = 0, app_limited_until_ = 0;
  Nanos delivered_time_{0}, first_sent_time_{0};

  // receiver: packet numbers, inbound operations, posted receives, statuses
  RangeSet<kRecvRanges> received_;
  uint64_t largest_recv_ = 0;
  bool any_recv_ = false;
  Nanos largest_recv_time_{0}, ack_deadline_ = Nanos::max();
  uint32_t unacked_eliciting_ = 0;
  bool ack_now_ = false;
  std::vector<InOp> in_ops_;
  std::vector<PostedRecv> recvs_;
  uint64_t recv_posted_ = 0, recv_oldest_ = 0;  // receives [recv_oldest_, recv_posted_) may be pending
  std::vector<uint16_t> status_queue_;  // ring of InOp slots whose STATUS must be (re)sent
  size_t status_head_ = 0, status_count_ = 0;
  uint64_t local_window_;
  uint64_t window_bytes_ = 0, max_rate_bytes_per_s_ = 0;
  Nanos window_start_{0};
  // A receiver sends mostly ACKs, which elicit nothing; once per srtt while data flows it adds a
  // PING so that its own RTT estimate (used to size the window from the BDP) stays fresh.
  Nanos rtt_probe_due_{0};
  bool data_since_probe_ = false;

  // liveness and close
  Nanos last_recv_time_, last_sent_time_;
  bool ping_pending_ = false, close_requested_ = false, close_pending_ = false, close_ack_pending_ = false;
  uint32_t close_attempts_ = 0;
};

}  // namespace lh::xport
