// tcp_endpoint.cpp — see tcp_endpoint.hpp. Per channel: every stream runs a read loop (frames both
// ways: replays WRITE in both directions) and a writer that sends control frames (HELLO, SEND,
// STATUS) ahead of queued WRITE chunks.
#include "transport/tcp/tcp_endpoint.hpp"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <deque>
#include <map>
#include <unordered_map>
#include <vector>

#include "src/host_port.hpp"
#include "src/random_source.hpp"
#include "transport/proto/completion_queue.hpp"
#include "transport/proto/stream_hash.hpp"
#include "transport/tcp/tcp_frame.hpp"

namespace lh::xport::tcp {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

constexpr uint32_t kMaxPendingSockets = 256;  // accepted sockets that have not sent their HELLO yet

std::string endpoint_text(const tcp::endpoint& ep) { return lh::host_port_text(ep.address().to_string(), ep.port()); }

tcp::endpoint resolve(asio::io_context& io, const std::string& text, bool passive) {
  lh::HostPort hp;
  try {
    hp = lh::parse_host_port(text);
  } catch (const std::invalid_argument& e) {
    throw TcpError(TcpError::Kind::kConfig, e.what());
  }
  tcp::resolver resolver(io);
  error_code ec;
  auto flags = tcp::resolver::numeric_service;
  if (passive) flags = flags | tcp::resolver::passive;
  const auto results = resolver.resolve(hp.host, std::to_string(hp.port), flags, ec);
  if (ec || results.empty()) throw TcpError(TcpError::Kind::kConfig, "cannot resolve " + text + ": " + ec.message());
  return *results.begin();
}

struct OutItem {
  Frame hdr;
  const uint8_t* payload = nullptr;
  uint64_t len = 0;
  bool write_chunk = false;
};

struct Stream {
  explicit Stream(asio::io_context& io) : sock(io) {}
  tcp::socket sock;
  uint32_t index = 0;
  Frame in{};
  std::deque<OutItem> ctrl, bulk;  // control frames go first
  OutItem cur;
  bool writing = false, connected = false, reading = false, eof = false, shut = false, greeted = false;
  uint64_t wire_written = 0, payload_written = 0;  // bytes handed to the kernel (payload: WRITE chunks)
};

}  // namespace

class Channel;

struct TcpEndpoint::Impl {
  explicit Impl(const TcpEndpointConfig& c)
      : cfg(c),
        random(c.seed != 0 ? std::shared_ptr<RandomSource>(std::make_shared<SeededRandom>(c.seed))
                           : std::make_shared<SystemRandom>()),
        work(asio::make_work_guard(io)),
        acceptor(io),
        memory(random) {}

  void accept();
  void on_hello(const std::shared_ptr<Stream>& s);
  void flush();
  Channel* find_assembling(uint64_t nonce);

  TcpEndpointConfig cfg;
  std::shared_ptr<RandomSource> random;  // memory keys and channel nonces
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  tcp::acceptor acceptor;
  MemoryRegistry memory;
  CompletionQueue cq;
  std::vector<std::unique_ptr<Channel>> channels;
  std::deque<Channel*> accepted;
  std::vector<std::shared_ptr<Stream>> pending;  // accepted sockets before their HELLO
  BufferGrant rcv, snd;
  uint64_t next_id = 1;
};

namespace {

// Payload bytes among the first `acked` bytes of a stream (tcpi_bytes_acked counts frame headers
// too). Conservative by at most one header per chunk still unacknowledged in the socket.
uint64_t payload_acked(const Stream& s, uint64_t acked) {
  if (acked >= s.wire_written) {
    const uint64_t beyond = acked - s.wire_written;
    return s.payload_written + (beyond > sizeof(Frame) ? beyond - sizeof(Frame) : 0);
  }
  const uint64_t unacked = s.wire_written - acked;
  return s.payload_written > unacked ? s.payload_written - unacked : 0;
}

}  // namespace

class Channel final : public TcpChannel {
 public:
  Channel(TcpEndpoint::Impl& ep, uint64_t id, uint64_t nonce, uint32_t streams)
      : ep_(ep), id_(id), nonce_(nonce), expected_(streams), hello_timer_(ep.io) {
    streams_.resize(streams);
  }

  uint64_t id() const override { return id_; }
  State state() const override { return state_; }
  std::string peer() const override { return peer_; }
  const std::string& error() const override { return error_; }
  uint32_t streams() const override { return expected_; }
  uint64_t nonce() const { return nonce_; }
  ProtectionDomain protection_domain() const override { return pd_; }
  void set_protection_domain(ProtectionDomain pd) override { pd_ = pd; }
  bool assembling() const { return state_ == State::kConnecting && accepted_side_; }

  PostResult post_write(const WriteRequest& w) override;
  PostResult post_send(uint64_t wr_id, std::span<const uint8_t> message) override;
  PostResult post_recv(uint64_t wr_id, std::span<uint8_t> buffer) override;
  void close() override;
  TcpChannelCounters counters() const override;

  // Setup.
  void start_connect(const tcp::endpoint& to);
  bool attach(const std::shared_ptr<Stream>& s);  // an accepted stream; true when the channel is complete
  void arm_hello_deadline();
  // A driver turn: statuses of polled completions go out; a requested close may shut down.
  void flush();
  void lose(const std::string& why);

 private:
  struct OutOp {
    uint64_t wr_id = 0;
    bool send = false;
    uint64_t len = 0, rkey = 0, base_off = 0;
  };
  struct InOp {
    uint64_t rkey = 0, base_off = 0, total = 0, received = 0, checksum = 0;
    uint32_t imm = 0;
    bool has_imm = false;
    Status status = Status::kSuccess;
  };
  struct PostedRecv {
    uint64_t wr_id = 0;
    std::span<uint8_t> buf;
  };
  struct EarlySend {
    uint32_t op = 0;
    std::vector<uint8_t> bytes;
  };

  void on_connected(Stream& s);
  void read_header(Stream& s);
  void on_header(Stream& s);
  void on_write_chunk(Stream& s, const Frame& f);
  void on_send(Stream& s, const Frame& f);
  void on_status(const Frame& f);
  void finish_in(uint32_t op, InOp& in);
  void deliver_send(uint32_t op, std::span<const uint8_t> bytes, const PostedRecv& r);
  void queue_status(uint32_t op, Status st, bool send);
  void read_error(Stream& s, const error_code& ec);
  void kick(Stream& s);
  void maybe_shutdown();
  void fail_all(Status why);
  void protocol_error(const std::string& what) { lose("protocol error from " + peer_ + ": " + what); }
  std::span<uint8_t> scratch(uint64_t len) {
    if (scratch_.size() < len) scratch_.resize(len);
    return {scratch_.data(), len};
  }

  TcpEndpoint::Impl& ep_;
  uint64_t id_, nonce_;
  ProtectionDomain pd_ = kSharedDomain;
  uint32_t expected_, joined_ = 0, connected_ = 0, eofs_ = 0;
  bool accepted_side_ = false, close_requested_ = false;
  State state_ = State::kConnecting;
  std::string peer_ = "?", error_;
  std::vector<std::shared_ptr<Stream>> streams_;
  asio::steady_timer hello_timer_;
  std::unordered_map<uint32_t, OutOp> out_ops_;
  std::unordered_map<uint32_t, InOp> in_ops_;
  uint32_t next_op_ = 1;
  std::deque<PostedRecv> recvs_;
  std::deque<EarlySend> early_;
  std::deque<Frame> statuses_;
  std::vector<uint8_t> scratch_;
};

// ---- setup ------------------------------------------------------------------------------------------

void Channel::start_connect(const tcp::endpoint& to) {
  peer_ = endpoint_text(to);
  for (uint32_t k = 0; k < expected_; ++k) {
    auto s = std::make_shared<Stream>(ep_.io);
    s->index = k;
    s->sock.open(to.protocol());
    // Before connect: the SYN carries the window scale chosen for these buffers, and the first
    // segments go out under the chosen congestion control.
    set_congestion_control(s->sock.native_handle(), ep_.cfg.cc);
    ep_.snd = size_buffer(s->sock.native_handle(), true, ep_.cfg.buffer_bytes);
    ep_.rcv = size_buffer(s->sock.native_handle(), false, ep_.cfg.buffer_bytes);
    s->sock.set_option(tcp::no_delay(true));
    streams_[k] = s;
    s->sock.async_connect(to, [this, s](const error_code& ec) {
      if (state_ == State::kLost || state_ == State::kClosed) return;
      if (ec) return lose("connect to " + peer_ + ": " + ec.message());
      on_connected(*s);
    });
  }
}

void Channel::on_connected(Stream& s) {
  s.connected = true;
  // HELLO first, ahead of whatever was posted while connecting.
  s.ctrl.push_front(OutItem{.hdr = Frame{.type = FrameType::kHello, .stream = static_cast<uint16_t>(s.index),
                                         .rkey = nonce_, .total = expected_}});
  read_header(s);  // the acceptor answers with the same HELLO once every stream of the channel arrived
  kick(s);
}

bool Channel::attach(const std::shared_ptr<Stream>& s) {
  accepted_side_ = true;
  const uint32_t k = s->in.stream;
  if (k >= expected_ || streams_[k] != nullptr) {
    error_code ignored;
    s->sock.close(ignored);
    return false;
  }
  s->index = k;
  s->connected = true;
  streams_[k] = s;
  if (k == 0) {
    error_code ec;
    const tcp::endpoint peer = s->sock.remote_endpoint(ec);
    if (!ec) peer_ = endpoint_text(peer);
  }
  if (++joined_ < expected_) return false;
  hello_timer_.cancel();
  state_ = State::kUp;
  for (auto& st : streams_) {
    st->ctrl.push_back(OutItem{.hdr = Frame{.type = FrameType::kHello, .stream = static_cast<uint16_t>(st->index),
                                            .rkey = nonce_, .total = expected_}});
    read_header(*st);
    kick(*st);
  }
  return true;
}

void Channel::arm_hello_deadline() {
  hello_timer_.expires_after(std::chrono::nanoseconds(ep_.cfg.hello_timeout.ns));
  hello_timer_.async_wait([this](const error_code& ec) {
    if (!ec && state_ == State::kConnecting) {
      lose("only " + std::to_string(joined_) + " of " + std::to_string(expected_) + " streams arrived in time");
    }
  });
}

// ---- posting --------------------------------------------------------------------------------------

PostResult Channel::post_write(const WriteRequest& w) {
  if (state_ != State::kConnecting && state_ != State::kUp) return PostResult::kClosed;
  if (close_requested_) return PostResult::kClosed;
  if (w.local.empty() || w.remote_offset > UINT64_MAX - w.local.size()) return PostResult::kInvalid;
  if (out_ops_.size() >= TcpEndpoint::kMaxOps) return PostResult::kQueueFull;
  const uint32_t op = next_op_++;
  const uint64_t len = w.local.size();
  const uint64_t sum = w.checksum ? *w.checksum : xxh3_64(w.local.data(), len);
  out_ops_[op] = OutOp{.wr_id = w.wr_id, .send = false, .len = len, .rkey = w.rkey, .base_off = w.remote_offset};
  for (uint32_t k = 0; k < expected_; ++k) {
    const Stripe st = stripe_of(len, expected_, k);
    for (uint64_t off = st.begin; off < st.end; off += kMaxChunk) {
      const uint64_t n = std::min(kMaxChunk, st.end - off);
      streams_[k]->bulk.push_back(OutItem{
          .hdr = Frame{.type = FrameType::kWrite, .flags = static_cast<uint8_t>(w.imm ? kFlagImm : 0),
                       .stream = static_cast<uint16_t>(k), .op = op, .len = static_cast<uint32_t>(n), .rkey = w.rkey,
                       .base_off = w.remote_offset, .total = len, .chunk_off = off, .checksum = sum,
                       .imm = w.imm.value_or(0)},
          .payload = w.local.data() + off, .len = n, .write_chunk = true});
    }
    if (streams_[k]) kick(*streams_[k]);
  }
  return PostResult::kOk;
}

PostResult Channel::post_send(uint64_t wr_id, std::span<const uint8_t> message) {
  if (state_ != State::kConnecting && state_ != State::kUp) return PostResult::kClosed;
  if (close_requested_) return PostResult::kClosed;
  if (message.empty() || message.size() > UINT32_MAX) return PostResult::kInvalid;
  if (out_ops_.size() >= TcpEndpoint::kMaxOps) return PostResult::kQueueFull;
  const uint32_t op = next_op_++;
  out_ops_[op] = OutOp{.wr_id = wr_id, .send = true, .len = message.size()};
  streams_[0]->ctrl.push_back(OutItem{.hdr = Frame{.type = FrameType::kSend, .op = op,
                                                   .len = static_cast<uint32_t>(message.size())},
                                      .payload = message.data(), .len = message.size()});
  kick(*streams_[0]);
  return PostResult::kOk;
}

PostResult Channel::post_recv(uint64_t wr_id, std::span<uint8_t> buffer) {
  if (state_ != State::kConnecting && state_ != State::kUp) return PostResult::kClosed;
  if (buffer.empty()) return PostResult::kInvalid;
  if (recvs_.size() >= TcpEndpoint::kMaxOps) return PostResult::kQueueFull;
  const PostedRecv r{wr_id, buffer};
  if (!early_.empty()) {
    const EarlySend e = std::move(early_.front());
    early_.pop_front();
    deliver_send(e.op, e.bytes, r);
    return PostResult::kOk;
  }
  recvs_.push_back(r);
  return PostResult::kOk;
}

void Channel::close() {
  if (close_requested_ || state_ == State::kLost || state_ == State::kClosed) return;
  close_requested_ = true;
  if (state_ == State::kUp) state_ = State::kClosing;
  maybe_shutdown();
}

// ---- the wire -------------------------------------------------------------------------------------

void Channel::kick(Stream& s) {
  if (s.writing || !s.connected || s.shut || state_ == State::kLost || state_ == State::kClosed) return;
  if (s.ctrl.empty() && s.bulk.empty()) return maybe_shutdown();
  std::deque<OutItem>& q = s.ctrl.empty() ? s.bulk : s.ctrl;
  s.cur = q.front();
  q.pop_front();
  s.writing = true;
  const std::array<asio::const_buffer, 2> bufs{asio::buffer(&s.cur.hdr, sizeof(Frame)),
                                               asio::buffer(s.cur.payload, s.cur.len)};
  auto keep = streams_[s.index];
  asio::async_write(s.sock, bufs, [this, keep](const error_code& ec, size_t) {
    Stream& st = *keep;
    st.writing = false;
    if (state_ == State::kLost || state_ == State::kClosed) return;
    if (ec) return lose("stream " + std::to_string(st.index) + " to " + peer_ + ": " + ec.message());
    st.wire_written += sizeof(Frame) + st.cur.len;
    if (st.cur.write_chunk) st.payload_written += st.cur.len;
    kick(st);
  });
}

void Channel::read_header(Stream& s) {
  if (s.reading) return;
  s.reading = true;
  auto keep = streams_[s.index];
  asio::async_read(s.sock, asio::buffer(&s.in, sizeof(Frame)), [this, keep](const error_code& ec, size_t) {
    Stream& st = *keep;
    st.reading = false;
    if (state_ == State::kLost || state_ == State::kClosed) return;
    if (ec) return read_error(st, ec);
    on_header(st);
  });
}

void Channel::on_header(Stream& s) {
  const auto f = parse_frame(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&s.in), sizeof(Frame)));
  if (!f) return protocol_error("stream " + std::to_string(s.index) + ": not a frame");
  switch (f->type) {
    case FrameType::kWrite: return on_write_chunk(s, *f);
    case FrameType::kSend:
      if (s.index != 0) return protocol_error("a SEND on stream " + std::to_string(s.index));
      return on_send(s, *f);
    case FrameType::kStatus:
      on_status(*f);
      if (state_ != State::kLost) read_header(s);
      return;
    case FrameType::kHello:
      // The acceptor's answer on a stream we opened: once every stream has it, the channel is up.
      if (accepted_side_ || s.greeted || f->rkey != nonce_ || f->stream != s.index || f->total != expected_) {
        return protocol_error("an unexpected HELLO");
      }
      s.greeted = true;
      if (++connected_ == expected_ && state_ == State::kConnecting) state_ = State::kUp;
      read_header(s);
      return;
  }
}

void Channel::on_write_chunk(Stream& s, const Frame& f) {
  if (f.len == 0 || f.len > kMaxChunk || f.total == 0 || f.chunk_off >= f.total || f.len > f.total - f.chunk_off ||
      f.base_off > UINT64_MAX - f.total) {
    return protocol_error("a WRITE chunk outside its operation");
  }
  auto it = in_ops_.find(f.op);
  if (it == in_ops_.end()) {
    if (in_ops_.size() >= TcpEndpoint::kMaxOps) return protocol_error("more than 256 WRITEs in flight");
    it = in_ops_.emplace(f.op, InOp{.rkey = f.rkey, .base_off = f.base_off, .total = f.total, .checksum = f.checksum,
                                    .imm = f.imm, .has_imm = (f.flags & kFlagImm) != 0}).first;
  } else if (it->second.rkey != f.rkey || it->second.base_off != f.base_off || it->second.total != f.total ||
             it->second.checksum != f.checksum) {
    return protocol_error("WRITE chunks of one operation disagree");
  }
  InOp& in = it->second;
  if (in.received + f.len > in.total) return protocol_error("a WRITE longer than announced");
  uint8_t* dst = nullptr;
  std::span<uint8_t> into;
  if (in.status == Status::kSuccess &&
      ep_.memory.resolve(in.rkey, in.base_off + f.chunk_off, f.len, dst, pd_) == MemoryRegistry::Access::kOk) {
    into = {dst, f.len};
  } else {
    in.status = Status::kRemoteAccessError;  // read and drop the bytes; the initiator gets the status
    into = scratch(f.len);
  }
  const uint32_t op = f.op, len = f.len;
  auto keep = streams_[s.index];
  s.reading = true;
  asio::async_read(s.sock, asio::buffer(into.data(), into.size()), [this, keep, op, len](const error_code& ec, size_t) {
    Stream& st = *keep;
    st.reading = false;
    if (state_ == State::kLost || state_ == State::kClosed) return;
    if (ec) return read_error(st, ec);
    auto jt = in_ops_.find(op);
    if (jt != in_ops_.end()) {
      jt->second.received += len;
      if (jt->second.received == jt->second.total) {
        finish_in(op, jt->second);
        in_ops_.erase(jt);
      }
    }
    read_header(st);
  });
}

void Channel::finish_in(uint32_t op, InOp& in) {
  if (in.status == Status::kSuccess) {
    uint8_t* p = nullptr;
    if (ep_.memory.resolve(in.rkey, in.base_off, in.total, p, pd_) != MemoryRegistry::Access::kOk) {
      in.status = Status::kRemoteAccessError;  // deregistered meanwhile
    } else if (xxh3_64(p, in.total) != in.checksum) {
      in.status = Status::kIntegrityError;
    }
  }
  ep_.cq.push(Completion{.wr_id = 0, .conn = id_, .kind = OpKind::kRemoteWrite, .status = in.status,
                         .has_imm = in.has_imm, .imm = in.imm,
                         .byte_len = in.status == Status::kSuccess ? in.total : 0, .rkey = in.rkey,
                         .remote_offset = in.base_off});
  queue_status(op, in.status, false);
}

void Channel::on_send(Stream& s, const Frame& f) {
  if (f.len == 0 || f.len > ep_.cfg.max_send) return protocol_error("a SEND of " + std::to_string(f.len) + " bytes");
  const uint32_t op = f.op, len = f.len;
  auto keep = streams_[s.index];
  s.reading = true;
  if (!recvs_.empty() && recvs_.front().buf.size() >= len) {  // straight into the posted buffer
    const PostedRecv r = recvs_.front();
    recvs_.pop_front();
    asio::async_read(s.sock, asio::buffer(r.buf.data(), len), [this, keep, op, len, r](const error_code& ec, size_t) {
      Stream& st = *keep;
      st.reading = false;
      if (state_ == State::kLost || state_ == State::kClosed) return;
      if (ec) return read_error(st, ec);
      ep_.cq.push(Completion{.wr_id = r.wr_id, .conn = id_, .kind = OpKind::kRecv, .byte_len = len});
      queue_status(op, Status::kSuccess, true);
      read_header(st);
    });
    return;
  }
  if (recvs_.empty() && early_.size() >= TcpEndpoint::kMaxEarlySends) {
    return protocol_error("more than 64 SENDs without a posted RECV");
  }
  auto buf = std::make_shared<std::vector<uint8_t>>(len);
  asio::async_read(s.sock, asio::buffer(buf->data(), len), [this, keep, op, buf](const error_code& ec, size_t) {
    Stream& st = *keep;
    st.reading = false;
    if (state_ == State::kLost || state_ == State::kClosed) return;
    if (ec) return read_error(st, ec);
    if (!recvs_.empty()) {  // a posted buffer too small for it
      const PostedRecv r = recvs_.front();
      recvs_.pop_front();
      deliver_send(op, *buf, r);
    } else {
      early_.push_back(EarlySend{op, std::move(*buf)});
    }
    read_header(st);
  });
}

void Channel::deliver_send(uint32_t op, std::span<const uint8_t> bytes, const PostedRecv& r) {
  if (bytes.size() > r.buf.size()) {
    ep_.cq.push(Completion{.wr_id = r.wr_id, .conn = id_, .kind = OpKind::kRecv, .status = Status::kLengthError});
    queue_status(op, Status::kLengthError, true);
    return;
  }
  std::copy(bytes.begin(), bytes.end(), r.buf.begin());
  ep_.cq.push(Completion{.wr_id = r.wr_id, .conn = id_, .kind = OpKind::kRecv, .byte_len = bytes.size()});
  queue_status(op, Status::kSuccess, true);
}

void Channel::on_status(const Frame& f) {
  const auto it = out_ops_.find(f.op);
  const bool send = (f.flags & kFlagSend) != 0;
  if (it == out_ops_.end() || it->second.send != send || f.status > static_cast<uint32_t>(Status::kClosed)) {
    return protocol_error("a STATUS for an operation not in flight");
  }
  const OutOp o = it->second;
  out_ops_.erase(it);
  const auto st = static_cast<Status>(f.status);
  ep_.cq.push(Completion{.wr_id = o.wr_id, .conn = id_, .kind = o.send ? OpKind::kSend : OpKind::kWrite, .status = st,
                         .byte_len = st == Status::kSuccess ? o.len : 0, .rkey = o.rkey, .remote_offset = o.base_off});
  maybe_shutdown();
}

void Channel::queue_status(uint32_t op, Status st, bool send) {
  statuses_.push_back(Frame{.type = FrameType::kStatus, .flags = static_cast<uint8_t>(send ? kFlagSend : 0), .op = op,
                            .status = static_cast<uint32_t>(st)});
}

void Channel::flush() {
  if (state_ == State::kLost || state_ == State::kClosed || statuses_.empty() || !streams_[0]) return;
  for (const Frame& f : statuses_) streams_[0]->ctrl.push_back(OutItem{.hdr = f});
  statuses_.clear();
  kick(*streams_[0]);
}

// ---- the end ---------------------------------------------------------------------------------------

// After close(): once nothing is in flight either way and nothing is queued, every stream is shut
// down for sending; the channel is closed when the peer has shut down too (EOF on every stream).
void Channel::maybe_shutdown() {
  if (!close_requested_ || state_ == State::kLost || state_ == State::kClosed) return;
  if (!out_ops_.empty() || !statuses_.empty()) return;
  for (auto& s : streams_) {
    if (!s || s->writing || !s->ctrl.empty() || !s->bulk.empty()) return;
  }
  for (auto& s : streams_) {
    if (s->shut) continue;
    s->shut = true;
    error_code ignored;
    s->sock.shutdown(tcp::socket::shutdown_send, ignored);
  }
  if (eofs_ == expected_) state_ = State::kClosed;
}

void Channel::read_error(Stream& s, const error_code& ec) {
  if (ec != asio::error::eof) return lose("stream " + std::to_string(s.index) + " from " + peer_ + ": " + ec.message());
  if (s.eof) return;
  s.eof = true;
  if (++eofs_ < expected_) return;
  // The peer closed every stream. If we did not ask to close, that is its close: flush our pending
  // work as closed (as the engine does on CLOSE) and shut our side down too.
  if (!close_requested_) {
    fail_all(Status::kClosed);
    close_requested_ = true;
  }
  maybe_shutdown();
}

void Channel::fail_all(Status why) {
  for (const auto& [op, o] : out_ops_) {
    ep_.cq.push(Completion{.wr_id = o.wr_id, .conn = id_, .kind = o.send ? OpKind::kSend : OpKind::kWrite, .status = why,
                           .rkey = o.rkey, .remote_offset = o.base_off});
  }
  out_ops_.clear();
  for (const PostedRecv& r : recvs_) ep_.cq.push(Completion{.wr_id = r.wr_id, .conn = id_, .kind = OpKind::kRecv, .status = why});
  recvs_.clear();
  statuses_.clear();
  for (auto& s : streams_) {
    if (s) s->bulk.clear(), s->ctrl.clear();
  }
}

void Channel::lose(const std::string& why) {
  if (state_ == State::kLost || state_ == State::kClosed) return;
  if (error_.empty()) error_ = why;
  fail_all(Status::kConnectionLost);
  state_ = State::kLost;
  hello_timer_.cancel();
  for (auto& s : streams_) {
    if (!s) continue;
    error_code ignored;
    s->sock.close(ignored);
  }
}

TcpChannelCounters Channel::counters() const {
  TcpChannelCounters c;
  for (const auto& s : streams_) {
    if (!s || !s->sock.is_open()) continue;
    const TcpInfoSample t = read_tcp_info(const_cast<tcp::socket&>(s->sock).native_handle());
    c.segments_sent += t.segs_out;
    c.retransmits += t.total_retrans;
    c.bytes_sent += t.bytes_sent;
    c.write_bytes_acked += payload_acked(*s, t.bytes_acked);
    if (s->index == 0) c.smoothed_rtt = Nanos::from_us(t.rtt_us);
  }
  return c;
}

// ---- the endpoint -----------------------------------------------------------------------------------

void TcpEndpoint::Impl::accept() {
  acceptor.async_accept([this](const error_code& ec, tcp::socket sock) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      if (pending.size() >= kMaxPendingSockets) {
        error_code ignored;
        sock.close(ignored);
      } else {
        auto s = std::make_shared<Stream>(io);
        s->sock = std::move(sock);
        error_code ignored;
        s->sock.set_option(tcp::no_delay(true), ignored);  // statuses must not wait for Nagle
        pending.push_back(s);
        auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::nanoseconds(cfg.hello_timeout.ns));
        timer->async_wait([s](const error_code& tec) {
          if (!tec && !s->connected) {
            error_code ig;
            s->sock.close(ig);
          }
        });
        asio::async_read(s->sock, asio::buffer(&s->in, sizeof(Frame)), [this, s, timer](const error_code& rec, size_t) {
          timer->cancel();
          std::erase(pending, s);
          if (!rec) on_hello(s);
        });
      }
    }
    accept();
  });
}

Channel* TcpEndpoint::Impl::find_assembling(uint64_t nonce) {
  for (auto& c : channels) {
    if (c->assembling() && c->nonce() == nonce) return c.get();
  }
  return nullptr;
}

void TcpEndpoint::Impl::on_hello(const std::shared_ptr<Stream>& s) {
  const auto f = parse_frame(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&s->in), sizeof(Frame)));
  error_code ignored;
  if (!f || f->type != FrameType::kHello || f->total == 0 || f->total > kMaxStreams || f->stream >= f->total) {
    s->sock.close(ignored);
    return;
  }
  Channel* c = find_assembling(f->rkey);
  if (c == nullptr) {
    if (channels.size() >= cfg.max_channels) {
      s->sock.close(ignored);
      return;
    }
    channels.push_back(std::make_unique<Channel>(*this, next_id++, f->rkey, static_cast<uint32_t>(f->total)));
    c = channels.back().get();
    c->arm_hello_deadline();
  } else if (c->streams() != f->total) {
    s->sock.close(ignored);
    return;
  }
  if (c->attach(s)) accepted.push_back(c);
}

void TcpEndpoint::Impl::flush() {
  for (auto& c : channels) c->flush();
}

TcpEndpoint::TcpEndpoint(const TcpEndpointConfig& cfg) : impl_(std::make_unique<Impl>(cfg)) {
  if (cfg.streams == 0 || cfg.streams > kMaxStreams) {
    throw TcpError(TcpError::Kind::kConfig, "streams must be from 1 to " + std::to_string(kMaxStreams));
  }
  // A channel holds at most kMaxOps completions of each kind — its own operations, the peer's WRITEs
  // (their STATUS goes back only once the application polled the completion, so the peer can have no
  // more in flight) and its posted receives — so the shared queue never overflows when every
  // channel's three kMaxOps fit in it.
  const size_t most = impl_->cq.capacity() / (3 * kMaxOps);
  if (cfg.max_channels == 0 || cfg.max_channels > most) {
    throw TcpError(TcpError::Kind::kConfig, "max_channels must be from 1 to " + std::to_string(most) + " (each channel may hold " +
                                                std::to_string(3 * kMaxOps) + " of the " +
                                                std::to_string(impl_->cq.capacity()) + " completion records)");
  }
}

TcpEndpoint::~TcpEndpoint() {
  error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& c : impl_->channels) c->lose("endpoint closed");
  for (auto& s : impl_->pending) s->sock.close(ignored);
  impl_->work.reset();
  impl_->io.restart();
  impl_->io.poll();  // let the aborted handlers run while every object they touch is alive
}

uint16_t TcpEndpoint::listen(const std::string& addr) {
  Impl& m = *impl_;
  const tcp::endpoint ep = resolve(m.io, addr, true);
  error_code ec;
  auto check = [&](const char* what) {
    if (ec) throw TcpError(TcpError::Kind::kConfig, std::string(what) + " " + addr + ": " + ec.message());
  };
  m.acceptor.open(ep.protocol(), ec);
  check("socket for");
  m.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  check("SO_REUSEADDR on");
  // Accepted sockets inherit the listener's buffers and congestion control: set them before listen()
  // so the window scale offered in the SYN-ACK fits.
  set_congestion_control(m.acceptor.native_handle(), m.cfg.cc);
  m.rcv = size_buffer(m.acceptor.native_handle(), false, m.cfg.buffer_bytes);
  m.snd = size_buffer(m.acceptor.native_handle(), true, m.cfg.buffer_bytes);
  m.acceptor.bind(ep, ec);
  check("bind");
  m.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  check("listen on");
  m.accept();
  return m.acceptor.local_endpoint().port();
}

std::string TcpEndpoint::local() const {
  error_code ec;
  const tcp::endpoint ep = impl_->acceptor.local_endpoint(ec);
  return ec ? std::string("?") : endpoint_text(ep);
}

TcpChannel& TcpEndpoint::connect(const std::string& to) {
  Impl& m = *impl_;
  if (m.channels.size() >= m.cfg.max_channels) {
    throw TcpError(TcpError::Kind::kRefused, "already " + std::to_string(m.cfg.max_channels) + " channels open");
  }
  const tcp::endpoint ep = resolve(m.io, to, false);
  m.channels.push_back(std::make_unique<Channel>(m, m.next_id++, m.random->next_u64(), m.cfg.streams));
  Channel& c = *m.channels.back();
  c.start_connect(ep);
  return c;
}

TcpChannel* TcpEndpoint::poll_accept() {
  if (impl_->accepted.empty()) return nullptr;
  Channel* c = impl_->accepted.front();
  impl_->accepted.pop_front();
  return c;
}

void TcpEndpoint::remove(TcpChannel& ch) {
  auto& v = impl_->channels;
  const auto it = std::find_if(v.begin(), v.end(), [&](const auto& p) { return p.get() == &ch; });
  if (it == v.end()) return;
  (*it)->lose("removed");
  std::erase(impl_->accepted, it->get());
  // Handlers still queued for this channel's sockets must not find it gone: run them first.
  impl_->io.restart();
  impl_->io.poll();
  v.erase(std::find_if(v.begin(), v.end(), [&](const auto& p) { return p.get() == &ch; }));
}

MemoryRegistry& TcpEndpoint::memory() { return impl_->memory; }

std::optional<Completion> TcpEndpoint::poll_completion() { return impl_->cq.poll(); }

void TcpEndpoint::run_for(Nanos max_wait) {
  Impl& m = *impl_;
  m.flush();
  m.io.restart();
  if (m.io.poll() == 0 && max_wait.ns > 0) {
    m.io.run_one_for(std::chrono::nanoseconds(max_wait.ns));
    m.io.poll();
  }
}

BufferGrant TcpEndpoint::rcvbuf() const { return impl_->rcv; }
BufferGrant TcpEndpoint::sndbuf() const { return impl_->snd; }

}  // namespace lh::xport::tcp
