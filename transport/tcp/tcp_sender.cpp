// tcp_sender.cpp — run_tcp_sender (see tcp_xfer.hpp): one transfer over N TCP streams, one Asio
// io_context on the calling thread.
//
// Source memory is a ring of `slots` shard buffers filled once with lh-xfer's pattern; posting
// shard i restamps slot i mod slots (headers only) and hashes it (XXH3-64). Every stream then writes
// its stripe of the shard as ≤ 1 MiB CHUNKs (header + payload in one gather write). A SHARD_DONE
// from the receiver frees the slot and posts shard i + slots. tcpi_rtt is sampled on every stream
// each rtt_sample_interval while shards are in flight.
#include <xxhash.h>

#include <array>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <vector>

#include "src/host_port.hpp"
#include "transport/tcp/tcp_wire.hpp"
#include "transport/tcp/tcp_xfer.hpp"
#include "transport/tools/xfer_pattern.hpp"

namespace lh::xport::tcp {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string endpoint_text(const tcp::endpoint& ep) { return lh::host_port_text(ep.address().to_string(), ep.port()); }

void validate(const TcpSenderOptions& o) {
  auto bad = [](const std::string& m) { throw TcpError(TcpError::Kind::kConfig, m); };
  if (o.size == 0) bad("size must be above 0B");
  if (o.shard == 0) bad("shard must be above 0B");
  if ((o.size + o.shard - 1) / o.shard > UINT32_MAX) bad("too many shards (max 2^32); use a larger shard");
  if (o.slots == 0 || o.slots > 1024) bad("slots must be from 1 to 1024");
  if (o.streams == 0 || o.streams > kMaxStreams) bad("streams must be from 1 to " + std::to_string(kMaxStreams));
  if (o.connect_timeout.ns <= 0 || o.duration_limit.ns <= 0) bad("connect timeout and duration limit must be above 0s");
  if (o.rtt_sample_interval.ns <= 0) bad("RTT sample interval must be above 0s");
}

std::chrono::nanoseconds chrono_of(Nanos n) { return std::chrono::nanoseconds(n.ns); }

class Sender {
 public:
  explicit Sender(const TcpSenderOptions& opt)
      : opt_(opt),
        nshards_((opt.size + opt.shard - 1) / opt.shard),
        slots_(std::min<uint64_t>(opt.slots, nshards_)),
        handshake_timer_(io_),
        duration_timer_(io_),
        rtt_timer_(io_) {}

  TcpSenderResult run();

 private:
  struct Stream {
    explicit Stream(asio::io_context& io) : sock(io) {}
    tcp::socket sock;
    uint32_t index = 0;
    Frame hello{}, ready{}, in{}, chunk{};
    uint64_t next_shard = 0, offset = 0;  // progress: the shard being sent, bytes of its stripe sent
    // Bytes handed to the kernel by completed writes: all frame bytes (HELLO included), and payload.
    uint64_t wire_written = 0, payload_written = 0;
    bool writing = false;
  };

  void open_streams(const tcp::endpoint& to);
  void on_connected(Stream& s, const error_code& ec);
  void on_ready(Stream& s, const error_code& ec);
  void handshake_error(const std::string& why, TcpError::Kind kind);
  void start_transfer();
  void post_shards();
  void pump(Stream& s);
  void read_completions();
  void on_completion(const Frame& f);
  void sample_rtt();
  void fail(const std::string& why);
  void finish();
  uint64_t payload_acked(const Stream& s, uint64_t acked) const;
  uint64_t len_of(uint64_t i) const { return shard_len(opt_.size, opt_.shard, i); }
  uint8_t* slot_ptr(uint64_t i) { return source_.get() + (i % slots_) * opt_.shard; }

  const TcpSenderOptions& opt_;
  const uint64_t nshards_, slots_;
  uint64_t transfer_id_ = 0;
  asio::io_context io_;
  asio::steady_timer handshake_timer_, duration_timer_, rtt_timer_;
  std::vector<std::unique_ptr<Stream>> streams_;
  std::unique_ptr<uint8_t[]> source_;
  // Per slot (memory is O(slots), not O(shards)): the shard it holds, whether that shard is still in
  // flight, its XXH3-64, and when it was posted.
  std::vector<uint64_t> slot_shard_, slot_hash_;
  std::vector<int64_t> slot_posted_at_;
  std::vector<bool> slot_busy_;
  uint64_t posted_ = 0, completed_ = 0;
  uint32_t ready_ = 0;
  int64_t t0_ = 0, t_last_ = 0;
  bool started_ = false, finished_ = false;
  bool setup_failed_ = false;
  TcpError::Kind setup_kind_ = TcpError::Kind::kUnreachable;
  std::string setup_error_;
  TcpSenderResult result_;
};

void Sender::open_streams(const tcp::endpoint& to) {
  for (uint32_t k = 0; k < opt_.streams; ++k) {
    auto s = std::make_unique<Stream>(io_);
    s->index = k;
    s->sock.open(to.protocol());
    // Before connect: the SYN carries the window scale chosen for this buffer, and the first
    // segments are sent under the chosen congestion control.
    set_congestion_control(s->sock.native_handle(), opt_.cc);
    const BufferGrant g = size_buffer(s->sock.native_handle(), true, opt_.buffer_bytes);
    if (k == 0) result_.sndbuf = g;
    s->sock.set_option(tcp::no_delay(true));
    streams_.push_back(std::move(s));
  }
  for (auto& sp : streams_) {
    Stream& s = *sp;
    s.sock.async_connect(to, [this, &s](const error_code& ec) { on_connected(s, ec); });
  }
}

void Sender::handshake_error(const std::string& why, TcpError::Kind kind) {
  if (setup_failed_) return;
  setup_failed_ = true;
  setup_kind_ = kind;
  setup_error_ = why;
  io_.stop();
}

void Sender::on_connected(Stream& s, const error_code& ec) {
  if (setup_failed_) return;
  if (ec) return handshake_error("connect to " + opt_.to + ": " + ec.message(), TcpError::Kind::kUnreachable);
  if (s.index == 0) {
    error_code lec;
    const tcp::endpoint local = s.sock.local_endpoint(lec);
    if (!lec) result_.summary.local = endpoint_text(local);
  }
  s.hello = Frame{.type = FrameType::kHello, .x = s.index, .y = opt_.streams, .z = static_cast<uint32_t>(slots_),
                  .a = opt_.size, .b = opt_.shard, .c = opt_.seed, .d = transfer_id_};
  asio::async_write(s.sock, asio::buffer(&s.hello, sizeof(Frame)), [this, &s](const error_code& wec, size_t) {
    if (wec) return on_ready(s, wec);
    asio::async_read(s.sock, asio::buffer(&s.ready, sizeof(Frame)),
                     [this, &s](const error_code& rec, size_t) { on_ready(s, rec); });
  });
}

void Sender::on_ready(Stream& s, const error_code& ec) {
  if (setup_failed_) return;
  if (ec) {
    return handshake_error(opt_.to + " closed stream " + std::to_string(s.index) + " during the handshake (" +
                               ec.message() + "); is `lh-xfer serve --transport tcp` running there?",
                           TcpError::Kind::kUnreachable);
  }
  auto r = parse_frame(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&s.ready), sizeof(Frame)),
                       FrameType::kReady);
  if (!r) return handshake_error(opt_.to + " sent no valid READY (not an lh-xfer --transport tcp receiver?)", TcpError::Kind::kUnreachable);
  if (r->x != static_cast<uint32_t>(ReadyStatus::kOk)) {
    return handshake_error(opt_.to + " refused the transfer: " +
                               (r->x == static_cast<uint32_t>(ReadyStatus::kTooLarge)
                                    ? "the region (slots x shard) exceeds its --max-region"
                                    : "bad request"),
                           TcpError::Kind::kRefused);
  }
  if (++ready_ == opt_.streams) {
    handshake_timer_.cancel();
    start_transfer();
  }
}

void Sender::start_transfer() {
  started_ = true;
  t0_ = now_ns();
  for (auto& s : streams_) s->wire_written = sizeof(Frame);  // the HELLO
  post_shards();
  read_completions();
  for (auto& s : streams_) pump(*s);
  duration_timer_.expires_after(chrono_of(opt_.duration_limit));
  duration_timer_.async_wait([this](const error_code& ec) {
    if (ec || finished_) return;
    result_.timed_out = true;
    fail("duration limit " + format(opt_.duration_limit) + " reached");
  });
  sample_rtt();
}

// Posts every shard whose slot is free: shard i needs shard i - slots completed.
void Sender::post_shards() {
  bool any = false;
  while (posted_ < nshards_ && !slot_busy_[posted_ % slots_]) {
    const uint64_t slot = posted_ % slots_;
    uint8_t* p = slot_ptr(posted_);
    const uint64_t len = len_of(posted_);
    if (posted_ >= slots_) tools::stamp_shard(std::span<uint8_t>(p, len), posted_, opt_.seed);
    slot_hash_[slot] = XXH3_64bits(p, len);
    slot_shard_[slot] = posted_;
    slot_busy_[slot] = true;
    slot_posted_at_[slot] = now_ns();
    ++posted_;
    any = true;
  }
  if (any && started_) {
    for (auto& s : streams_) pump(*s);
  }
}

// Sends the next CHUNK of stream s, if its next shard is posted and no write is outstanding.
void Sender::pump(Stream& s) {
  while (!s.writing && !finished_ && s.next_shard < posted_) {
    const uint64_t i = s.next_shard;
    const Stripe st = stripe_of(len_of(i), opt_.streams, s.index);
    if (st.begin + s.offset >= st.end) {
      ++s.next_shard;
      s.offset = 0;
      continue;
    }
    const uint64_t off = st.begin + s.offset;
    const uint64_t n = std::min(kMaxChunk, st.end - off);
    s.chunk = Frame{.type = FrameType::kChunk, .a = i, .b = off, .c = n, .d = slot_hash_[i % slots_]};
    const std::array<asio::const_buffer, 2> bufs{asio::buffer(&s.chunk, sizeof(Frame)),
                                                 asio::buffer(slot_ptr(i) + off, n)};
    s.writing = true;
    asio::async_write(s.sock, bufs, [this, &s, n](const error_code& ec, size_t) {
      s.writing = false;
      if (finished_) return;
      if (ec) return fail("stream " + std::to_string(s.index) + " to " + opt_.to + ": " + ec.message());
      s.offset += n;
      s.wire_written += sizeof(Frame) + n;
      s.payload_written += n;
      pump(s);
    });
  }
}

void Sender::read_completions() {
  Stream& s0 = *streams_[0];
  asio::async_read(s0.sock, asio::buffer(&s0.in, sizeof(Frame)), [this, &s0](const error_code& ec, size_t) {
    if (finished_) return;
    if (ec) return fail("stream 0 from " + opt_.to + ": " + ec.message() + " before the transfer ended");
    const std::span<const uint8_t> raw(reinterpret_cast<const uint8_t*>(&s0.in), sizeof(Frame));
    if (auto d = parse_frame(raw, FrameType::kShardDone)) {
      on_completion(*d);
      if (!finished_) read_completions();
    } else if (auto r = parse_frame(raw, FrameType::kReport)) {
      result_.summary.server_report = true;
      result_.summary.verified_shards = r->a;
      result_.summary.bad_shards = r->b;
      finish();
    } else {
      fail("stream 0 from " + opt_.to + ": unexpected frame (not SHARD_DONE or REPORT)");
    }
  });
}

void Sender::on_completion(const Frame& f) {
  const uint64_t i = f.a;
  const uint64_t slot = i % slots_;
  if (i >= nshards_ || !slot_busy_[slot] || slot_shard_[slot] != i) {
    return fail("the receiver completed shard " + std::to_string(i) + " twice or before it was sent");
  }
  slot_busy_[slot] = false;
  ++completed_;
  t_last_ = now_ns();
  result_.summary.bytes += len_of(i);
  result_.summary.shard_ns.push_back(t_last_ - slot_posted_at_[slot]);
  post_shards();
}

void Sender::sample_rtt() {
  if (finished_ || completed_ == nshards_) return;
  for (auto& s : streams_) {
    const TcpInfoSample t = read_tcp_info(s->sock.native_handle());
    if (t.rtt_us > 0) result_.summary.rtt_ns.push_back(static_cast<int64_t>(t.rtt_us) * 1000);
  }
  rtt_timer_.expires_after(chrono_of(opt_.rtt_sample_interval));
  rtt_timer_.async_wait([this](const error_code& ec) {
    if (!ec) sample_rtt();
  });
}

void Sender::fail(const std::string& why) {
  if (finished_) return;
  if (result_.error.empty()) result_.error = why;
  finish();
}

// Collects TCP_INFO before the sockets close, then lets every pending handler end.
void Sender::finish() {
  if (finished_) return;
  finished_ = true;
  tools::XferSummary& sum = result_.summary;
  uint64_t acked_payload = 0;
  for (auto& s : streams_) {
    const TcpInfoSample t = read_tcp_info(s->sock.native_handle());
    sum.retransmits += t.total_retrans;
    sum.packets_sent += t.segs_out;
    sum.bytes_sent += t.bytes_sent;
    acked_payload += payload_acked(*s, t.bytes_acked);
  }
  sum.complete = completed_ == nshards_;
  result_.completed_shard_bytes = sum.bytes;
  // An incomplete transfer reports what reached the receiver: the payload its TCP acknowledged (at
  // least the completed shards), so a transfer stopped by the duration limit still measures goodput.
  if (!sum.complete && started_) sum.bytes = std::min(opt_.size, std::max(sum.bytes, acked_payload));
  sum.seconds = static_cast<double>((sum.complete ? t_last_ : now_ns()) - t0_) * 1e-9;
  if (sum.complete && !sum.server_report && result_.error.empty()) result_.error = "the receiver sent no REPORT";
  handshake_timer_.cancel();
  duration_timer_.cancel();
  rtt_timer_.cancel();
  for (auto& s : streams_) {
    error_code ignored;
    s->sock.shutdown(tcp::socket::shutdown_both, ignored);
    s->sock.close(ignored);
  }
}

// Payload bytes among the first `acked` bytes of stream s (tcpi_bytes_acked counts frame headers
// too). Conservative by at most one 56-byte header per chunk still unacknowledged in the socket.
uint64_t Sender::payload_acked(const Stream& s, uint64_t acked) const {
  if (acked >= s.wire_written) {   // a write still in progress: its header, then payload
    const uint64_t beyond = acked - s.wire_written;
    return s.payload_written + (beyond > sizeof(Frame) ? beyond - sizeof(Frame) : 0);
  }
  const uint64_t unacked = s.wire_written - acked;
  return s.payload_written > unacked ? s.payload_written - unacked : 0;
}

TcpSenderResult Sender::run() {
  validate(opt_);
  lh::HostPort hp;
  try {
    hp = lh::parse_host_port(opt_.to);
  } catch (const std::invalid_argument& e) {
    throw TcpError(TcpError::Kind::kConfig, e.what());
  }
  tcp::resolver resolver(io_);
  error_code ec;
  const auto results = resolver.resolve(hp.host, std::to_string(hp.port), tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) throw TcpError(TcpError::Kind::kUnreachable, "cannot resolve " + opt_.to + ": " + ec.message());
  const tcp::endpoint to = *results.begin();

  tools::XferSummary& sum = result_.summary;
  sum.remote = endpoint_text(to);
  sum.cc = opt_.cc;
  sum.total_bytes = opt_.size;
  sum.shards = nshards_;
  sum.shard_bytes = opt_.shard;
  sum.slots = slots_;
  sum.shard_ns.reserve(std::min<uint64_t>(nshards_, 1u << 20));
  result_.streams = opt_.streams;
  std::random_device rd;
  transfer_id_ = (static_cast<uint64_t>(rd()) << 32) | rd();

  // Not zeroed first: fill_shard writes every byte of every slot once, here; later shards only
  // restamp the block headers (as lh-xfer's client does).
  const uint64_t src_bytes = std::min(opt_.size, slots_ * opt_.shard);
  source_.reset(new uint8_t[src_bytes]);
  for (uint64_t k = 0; k < slots_; ++k) tools::fill_shard(std::span<uint8_t>(slot_ptr(k), len_of(k)), k, opt_.seed);
  slot_shard_.assign(slots_, 0);
  slot_hash_.assign(slots_, 0);
  slot_posted_at_.assign(slots_, 0);
  slot_busy_.assign(slots_, false);

  open_streams(to);
  handshake_timer_.expires_after(chrono_of(opt_.connect_timeout));
  handshake_timer_.async_wait([this](const error_code& tec) {
    if (tec || started_) return;
    handshake_error("no answer from " + opt_.to + " within " + format(opt_.connect_timeout) + " (" +
                        std::to_string(ready_) + " of " + std::to_string(opt_.streams) +
                        " streams ready); is `lh-xfer serve --transport tcp` running there?",
                    TcpError::Kind::kUnreachable);
  });
  io_.run();
  if (setup_failed_) throw TcpError(setup_kind_, setup_error_);
  return std::move(result_);
}

}  // namespace

TcpSenderResult run_tcp_sender(const TcpSenderOptions& opt) {
  Sender s(opt);
  return s.run();
}

}  // namespace lh::xport::tcp
