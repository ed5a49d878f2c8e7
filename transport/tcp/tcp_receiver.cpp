// tcp_receiver.cpp — run_tcp_receiver (see tcp_xfer.hpp): accepts transfers of N TCP streams and
// verifies every shard in its ring slot. One Asio io_context on the calling thread.
//
// A connection first sends HELLO naming its transfer id and stream index; streams with the same id
// form one transfer. Once all N arrived (within hello_timeout), the ring (min(size, slots × shard)
// bytes, refused above max_region) is allocated and READY goes out on every stream. CHUNK payloads
// are read straight into their slot; when a shard's bytes are all in, its XXH3-64 and lh-xfer's
// pattern are checked and SHARD_DONE goes out on stream 0 (which frees the slot at the sender).
// After the last shard: REPORT on stream 0; the transfer ends when the sender closes every stream.
#include <xxhash.h>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
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

constexpr auto kStopPoll = std::chrono::milliseconds(50);

std::span<const uint8_t> raw(const Frame& f) { return {reinterpret_cast<const uint8_t*>(&f), sizeof(Frame)}; }

struct Conn {
  Conn(asio::io_context& io, tcp::socket s) : sock(std::move(s)), hello_timer(io) {}
  tcp::socket sock;
  asio::steady_timer hello_timer;
  std::string peer;
  Frame hello{}, ready{}, in{};
  uint32_t index = 0;
};

struct Transfer {
  explicit Transfer(asio::io_context& io) : timer(io) {}
  uint64_t id = 0, size = 0, shard = 0, slots = 0, seed = 0, nshards = 0;
  uint32_t streams = 0, joined = 0, ended = 0;
  std::vector<std::shared_ptr<Conn>> conns;  // by stream index
  asio::steady_timer timer;                  // assembly deadline
  std::unique_ptr<uint8_t[]> region;
  std::vector<uint64_t> slot_expect, slot_received, slot_hash;  // per slot: shard expected, bytes in, XXH3
  uint64_t completed = 0, verified = 0, bad = 0, verified_bytes = 0;
  std::deque<Frame> out;                     // SHARD_DONE / REPORT queued for stream 0
  bool writing = false, started = false, reported = false, failed = false, finished = false;
  std::string error;
};

class Receiver {
 public:
  explicit Receiver(const TcpReceiverOptions& opt) : opt_(opt), acceptor_(io_), stop_timer_(io_) {}
  TcpReceiverResult run();

 private:
  void listen();
  void accept();
  void read_hello(const std::shared_ptr<Conn>& c);
  void join(const std::shared_ptr<Conn>& c);
  void start(const std::shared_ptr<Transfer>& t);
  void read_chunk(const std::shared_ptr<Transfer>& t, const std::shared_ptr<Conn>& c);
  void on_payload(const std::shared_ptr<Transfer>& t, const Frame& f);
  void send(const std::shared_ptr<Transfer>& t, const Frame& f);
  void write_next(const std::shared_ptr<Transfer>& t);
  void abort(const std::shared_ptr<Transfer>& t, const std::string& why);
  void stream_ended(const std::shared_ptr<Transfer>& t, const error_code& ec);
  void finish(const std::shared_ptr<Transfer>& t);
  void poll_stop();
  void shutdown();

  const TcpReceiverOptions& opt_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer stop_timer_;
  std::map<uint64_t, std::shared_ptr<Transfer>> transfers_;
  std::vector<std::shared_ptr<Conn>> pending_;
  TcpReceiverResult result_;
  bool stopping_ = false;
};

void Receiver::listen() {
  lh::HostPort hp;
  try {
    hp = lh::parse_host_port(opt_.listen);
  } catch (const std::invalid_argument& e) {
    throw TcpError(TcpError::Kind::kConfig, e.what());
  }
  tcp::resolver resolver(io_);
  error_code ec;
  const auto results = resolver.resolve(hp.host, std::to_string(hp.port),
                                        tcp::resolver::numeric_service | tcp::resolver::passive, ec);
  if (ec || results.empty()) throw TcpError(TcpError::Kind::kConfig, "cannot resolve " + opt_.listen + ": " + ec.message());
  const tcp::endpoint ep = *results.begin();
  auto check = [&](const char* what) {
    if (ec) throw TcpError(TcpError::Kind::kConfig, std::string(what) + " " + opt_.listen + ": " + ec.message());
  };
  acceptor_.open(ep.protocol(), ec);
  check("socket for");
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  check("SO_REUSEADDR on");
  // Accepted sockets inherit the listener's SO_RCVBUF; it must be set before listen() so the
  // window scale offered in the SYN-ACK fits it.
  result_.rcvbuf = size_buffer(acceptor_.native_handle(), false, opt_.buffer_bytes);
  acceptor_.bind(ep, ec);
  check("bind");
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  check("listen on");
  result_.port = acceptor_.local_endpoint().port();
  if (!opt_.quiet) {
    std::printf("lh-xfer: listening on %s (tcp, rcvbuf %s)\n",
                lh::host_port_text(acceptor_.local_endpoint().address().to_string(), result_.port).c_str(),
                opt_.buffer_bytes == 0 ? "autotuned"
                                       : (std::to_string(result_.rcvbuf.granted) + " B of " +
                                          std::to_string(result_.rcvbuf.requested) + " B requested" +
                                          (result_.rcvbuf.capped() ? ", capped by net.core.rmem_max" : ""))
                                             .c_str());
    std::fflush(stdout);
  }
  if (opt_.on_listening) opt_.on_listening(result_.port, result_.rcvbuf);
}

void Receiver::accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket s) {
    if (stopping_) return;
    if (!ec) {
      auto c = std::make_shared<Conn>(io_, std::move(s));
      error_code pec;
      const tcp::endpoint peer = c->sock.remote_endpoint(pec);
      c->peer = pec ? std::string("?") : lh::host_port_text(peer.address().to_string(), peer.port());
      c->sock.set_option(tcp::no_delay(true), pec);  // SHARD_DONE frames must not wait for Nagle
      pending_.push_back(c);
      read_hello(c);
    }
    accept();
  });
}

void Receiver::read_hello(const std::shared_ptr<Conn>& c) {
  c->hello_timer.expires_after(std::chrono::nanoseconds(opt_.hello_timeout.ns));
  c->hello_timer.async_wait([c](const error_code& ec) {
    if (!ec) {
      error_code ignored;
      c->sock.close(ignored);
    }
  });
  asio::async_read(c->sock, asio::buffer(&c->hello, sizeof(Frame)), [this, c](const error_code& ec, size_t) {
    c->hello_timer.cancel();
    std::erase(pending_, c);
    if (ec || stopping_) return;
    join(c);
  });
}

// Adds a stream to its transfer (creating it on the first stream); refuses inconsistent HELLOs.
void Receiver::join(const std::shared_ptr<Conn>& c) {
  auto h = parse_frame(raw(c->hello), FrameType::kHello);
  const bool sane = h && h->y >= 1 && h->y <= kMaxStreams && h->x < h->y && h->a > 0 && h->b > 0 && h->z > 0 &&
                    (h->a + h->b - 1) / h->b <= UINT32_MAX;
  std::shared_ptr<Transfer> t;
  if (sane) {
    auto it = transfers_.find(h->d);
    if (it == transfers_.end()) {
      t = std::make_shared<Transfer>(io_);
      t->id = h->d;
      t->size = h->a;
      t->shard = h->b;
      t->seed = h->c;
      t->streams = h->y;
      t->nshards = (h->a + h->b - 1) / h->b;
      t->slots = std::min<uint64_t>(h->z, t->nshards);
      t->conns.resize(t->streams);
      transfers_.emplace(t->id, t);
      t->timer.expires_after(std::chrono::nanoseconds(opt_.hello_timeout.ns));
      t->timer.async_wait([this, t](const error_code& ec) {
        if (!ec && !t->started) abort(t, "only " + std::to_string(t->joined) + " of " + std::to_string(t->streams) + " streams arrived");
      });
    } else {
      t = it->second;
    }
  }
  if (!t || t->started || t->failed || t->size != h->a || t->shard != h->b || t->seed != h->c || t->streams != h->y ||
      t->conns[h->x] != nullptr) {
    c->ready = Frame{.type = FrameType::kReady, .x = static_cast<uint32_t>(ReadyStatus::kBadRequest)};
    asio::async_write(c->sock, asio::buffer(&c->ready, sizeof(Frame)), [c](const error_code&, size_t) {
      error_code ignored;
      c->sock.close(ignored);
    });
    return;
  }
  c->index = h->x;
  t->conns[c->index] = c;
  if (++t->joined == t->streams) start(t);
}

void Receiver::start(const std::shared_ptr<Transfer>& t) {
  t->started = true;
  t->timer.cancel();
  const uint64_t len = std::min(t->size, t->slots * t->shard);
  ReadyStatus status = ReadyStatus::kOk;
  if (len > opt_.max_region) {
    status = ReadyStatus::kTooLarge;
    t->failed = true;
    t->error = "refused: the region (" + std::to_string(len) + " B) exceeds --max-region";
  } else {
    // Default-initialised (not zeroed): pages fault in as the first chunks land.
    t->region.reset(new uint8_t[len]);
    for (uint64_t k = 0; k < t->slots; ++k) t->slot_expect.push_back(k);
    t->slot_received.assign(t->slots, 0);
    t->slot_hash.assign(t->slots, 0);
  }
  for (auto& c : t->conns) {
    c->ready = Frame{.type = FrameType::kReady, .x = static_cast<uint32_t>(status),
                     .z = static_cast<uint32_t>(t->slots), .a = len};
    asio::async_write(c->sock, asio::buffer(&c->ready, sizeof(Frame)), [this, t, c](const error_code& ec, size_t) {
      if (ec) return stream_ended(t, ec);
      read_chunk(t, c);  // after a refusal this only waits for the sender to close
    });
  }
}

void Receiver::read_chunk(const std::shared_ptr<Transfer>& t, const std::shared_ptr<Conn>& c) {
  asio::async_read(c->sock, asio::buffer(&c->in, sizeof(Frame)), [this, t, c](const error_code& ec, size_t) {
    if (ec) return stream_ended(t, ec);
    if (t->failed) {
      abort(t, t->error);
      return stream_ended(t, asio::error::operation_aborted);
    }
    auto f = parse_frame(raw(c->in), FrameType::kChunk);
    std::string bad;
    if (!f) {
      bad = "stream " + std::to_string(c->index) + ": a frame that is not a CHUNK";
    } else if (f->a >= t->nshards) {
      bad = "CHUNK for shard " + std::to_string(f->a) + " of " + std::to_string(t->nshards);
    } else {
      const uint64_t slot = f->a % t->slots;
      const uint64_t len = shard_len(t->size, t->shard, f->a);
      if (t->slot_expect[slot] != f->a) {
        bad = "CHUNK for shard " + std::to_string(f->a) + " before its slot was freed";
      } else if (f->c == 0 || f->c > kMaxChunk || f->b > len || f->c > len - f->b || t->slot_received[slot] + f->c > len) {
        bad = "CHUNK [" + std::to_string(f->b) + ", +" + std::to_string(f->c) + ") outside shard " + std::to_string(f->a);
      } else if (t->slot_received[slot] != 0 && t->slot_hash[slot] != f->d) {
        bad = "CHUNKs of shard " + std::to_string(f->a) + " disagree on its checksum";
      }
    }
    if (!bad.empty()) {
      abort(t, "protocol error from " + c->peer + ": " + bad);
      return stream_ended(t, asio::error::operation_aborted);
    }
    const uint64_t slot = f->a % t->slots;
    t->slot_hash[slot] = f->d;
    uint8_t* dst = t->region.get() + slot * t->shard + f->b;
    asio::async_read(c->sock, asio::buffer(dst, f->c), [this, t, c, f = *f](const error_code& rec, size_t) {
      if (rec) return stream_ended(t, rec);
      on_payload(t, f);
      read_chunk(t, c);
    });
  });
}

void Receiver::on_payload(const std::shared_ptr<Transfer>& t, const Frame& f) {
  const uint64_t slot = f.a % t->slots;
  const uint64_t len = shard_len(t->size, t->shard, f.a);
  t->slot_received[slot] += f.c;
  if (t->slot_received[slot] < len) return;
  const std::span<const uint8_t> bytes(t->region.get() + slot * t->shard, len);
  ShardStatus st = ShardStatus::kVerified;
  if (XXH3_64bits(bytes.data(), bytes.size()) != t->slot_hash[slot]) {
    st = ShardStatus::kChecksumMismatch;
  } else if (!tools::check_shard(bytes, f.a, t->seed)) {
    st = ShardStatus::kPatternMismatch;
  }
  if (st == ShardStatus::kVerified) {
    ++t->verified;
    t->verified_bytes += len;
  } else {
    ++t->bad;
  }
  t->slot_expect[slot] += t->slots;
  t->slot_received[slot] = 0;
  ++t->completed;
  send(t, Frame{.type = FrameType::kShardDone, .x = static_cast<uint32_t>(st), .a = f.a});
  if (t->completed == t->nshards) {
    t->reported = true;
    send(t, Frame{.type = FrameType::kReport, .a = t->verified, .b = t->bad, .c = t->verified_bytes});
  }
}

void Receiver::send(const std::shared_ptr<Transfer>& t, const Frame& f) {
  t->out.push_back(f);
  if (!t->writing) write_next(t);
}

void Receiver::write_next(const std::shared_ptr<Transfer>& t) {
  if (t->out.empty()) return;
  t->writing = true;
  asio::async_write(t->conns[0]->sock, asio::buffer(&t->out.front(), sizeof(Frame)), [this, t](const error_code& ec, size_t) {
    t->writing = false;
    if (ec) return;  // the read side of stream 0 reports the failure
    t->out.pop_front();
    write_next(t);
  });
}

void Receiver::abort(const std::shared_ptr<Transfer>& t, const std::string& why) {
  if (!t->failed) t->error = why;
  t->failed = true;
  for (auto& c : t->conns) {
    if (c) {
      error_code ignored;
      c->sock.close(ignored);
    }
  }
  if (!t->started) finish(t);  // joined streams have no read pending yet
}

// Every started stream's read chain ends here exactly once (EOF after the sender closed, or an
// error). The transfer ends with its last stream.
void Receiver::stream_ended(const std::shared_ptr<Transfer>& t, const error_code& ec) {
  if (!t->reported && !t->failed) {
    abort(t, "connection lost (" + ec.message() + ") after " + std::to_string(t->completed) + " of " +
                 std::to_string(t->nshards) + " shards");
  }
  if (++t->ended == t->streams) finish(t);
}

void Receiver::finish(const std::shared_ptr<Transfer>& t) {
  if (t->finished) return;
  t->finished = true;
  t->timer.cancel();
  const bool ok = !t->failed && t->reported && t->bad == 0 && t->verified == t->nshards;
  ++result_.transfers;
  if (ok) ++result_.transfers_ok;
  result_.verified_shards = t->verified;
  result_.bad_shards = t->bad;
  result_.verified_bytes = t->verified_bytes;
  if (!opt_.quiet) {
    std::string peer = "?";
    for (auto& c : t->conns)
      if (c && peer == "?") peer = c->peer;
    std::printf("lh-xfer: %s %s: %llu of %llu shards verified (%llu bytes), %llu bad, %u streams%s%s\n",
                peer.c_str(), ok ? "closed" : "failed", static_cast<unsigned long long>(t->verified),
                static_cast<unsigned long long>(t->nshards), static_cast<unsigned long long>(t->verified_bytes),
                static_cast<unsigned long long>(t->bad), t->streams, ok ? "" : "  (INCOMPLETE): ",
                ok ? "" : t->error.c_str());
    std::fflush(stdout);
  }
  transfers_.erase(t->id);
  if (opt_.once) shutdown();
}

void Receiver::poll_stop() {
  if (opt_.stop == nullptr) return;
  stop_timer_.expires_after(kStopPoll);
  stop_timer_.async_wait([this](const error_code& ec) {
    if (ec || stopping_) return;
    if (opt_.stop->load()) return shutdown();
    poll_stop();
  });
}

void Receiver::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  stop_timer_.cancel();
  for (auto& c : pending_) c->sock.close(ignored);
  for (auto& [id, t] : transfers_) {
    t->failed = true;
    for (auto& c : t->conns)
      if (c) c->sock.close(ignored);
  }
  io_.stop();
}

TcpReceiverResult Receiver::run() {
  if (opt_.max_region == 0) throw TcpError(TcpError::Kind::kConfig, "max region must be above 0B");
  if (opt_.hello_timeout.ns <= 0) throw TcpError(TcpError::Kind::kConfig, "hello timeout must be above 0s");
  listen();
  accept();
  poll_stop();
  io_.run();
  return result_;
}

}  // namespace

TcpReceiverResult run_tcp_receiver(const TcpReceiverOptions& opt) {
  Receiver r(opt);
  return r.run();
}

}  // namespace lh::xport::tcp
