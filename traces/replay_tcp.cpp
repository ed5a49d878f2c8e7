// replay_tcp.cpp — run_tcp_replay / run_tcp_replay_server (replay_driver.hpp): `lh-trace replay`
// over TCP, one Asio io_context on the calling thread.
//
// The client opens N data connections (tcp-CC-xN) and one control connection to the server; each
// starts with a HELLO naming the session and its stream (replay_tcp_conn.hpp). A transfer is cut into
// one part per data connection (contiguous stripes, GridFTP style). Forward: the client sends the
// parts as DATA; the server answers an ACK per part on the control connection. Reverse: the client
// sends a START per part on the control connection; the server sends that part as DATA on the named
// data connection. A transfer ends at the client when every part's ACK (forward) or last byte
// (reverse) arrived. START and ACK have their own connection so they never queue behind megabytes of
// DATA in a socket buffer (the longhaul replay does the same, replay_messages.hpp). Congestion
// control and buffers per socket through transport/tcp/socket_tuning.hpp (TCP_CONGESTION, 2 × BDP);
// the server's --transport sends the reverse direction.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <list>
#include <map>
#include <random>

#include "src/host_port.hpp"
#include "traces/replay_driver.hpp"
#include "traces/replay_tcp_conn.hpp"
#include "transport/tcp/socket_tuning.hpp"

namespace lh::traces {
namespace {

using namespace tcp_replay;

Nanos clock_now() {
  return Nanos{std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
                   .count()};
}

void tune(tcp::socket& s, const ReplayTransport& t, uint64_t bdp) {
  xport::tcp::set_congestion_control(s.native_handle(), t.cc);
  xport::tcp::size_buffer(s.native_handle(), true, 2 * bdp);
  xport::tcp::size_buffer(s.native_handle(), false, 2 * bdp);
}

bool stopping(const std::atomic<bool>* s) { return s != nullptr && s->load(); }

class Client {
 public:
  Client(ReplaySchedule& sched, const ReplayClientOptions& opt)
      : sched_(sched), opt_(opt), wake_(io_), deadline_(io_), stop_poll_(io_) {}

  ReplayClientResult run() {
    const HostPort hp = parse_host_port(opt_.peer);
    tcp::resolver resolver(io_);
    error_code ec;
    const auto eps = resolver.resolve(hp.host, std::to_string(hp.port), ec);
    if (ec || eps.empty()) return {ReplayClientResult::Outcome::kUnreachable, "resolve " + opt_.peer + ": " + ec.message()};
    const tcp::endpoint to = *eps.begin();
    // Data connections 0..N-1, then the control connection.
    for (int k = 0; k <= opt_.transport.streams; ++k) {
      auto s = std::make_unique<tcp::socket>(io_);
      s->open(to.protocol());
      tune(*s, opt_.transport, opt_.bdp_bytes);  // before connect: the SYN carries the window scale
      s->set_option(tcp::no_delay(true));
      sockets_.push_back(std::move(s));
    }
    for (auto& s : sockets_) {
      s->async_connect(to, [this](const error_code& cec) {
        if (cec) {
          return finish(ReplayClientResult::Outcome::kUnreachable,
                        fmt::format("connect to {}: {}; is `lh-trace replay --serve --transport {}` running there?",
                                    opt_.peer, cec.message(), opt_.transport.name));
        }
        if (++connected_ == sockets_.size()) begin();
      });
    }
    deadline_.expires_after(std::chrono::nanoseconds(opt_.connect_timeout.ns));
    deadline_.async_wait([this](const error_code& tec) {
      if (!tec && !started_) {
        finish(ReplayClientResult::Outcome::kUnreachable,
               fmt::format("connect to {} timed out after {}", opt_.peer, format(opt_.connect_timeout)));
      }
    });
    poll_stop();
    io_.run();
    return result_;
  }

 private:
  void begin() {
    started_ = true;
    std::random_device rd;
    const uint64_t nonce = (static_cast<uint64_t>(rd()) << 32) | rd();
    const auto n = static_cast<uint32_t>(opt_.transport.streams);
    for (uint32_t k = 0; k <= n; ++k) {
      auto c = std::make_shared<FramedConn>(std::move(*sockets_[k]), FramedConn::Handlers{
          .on_frame = [this](FramedConn&, const Frame& f) {
            if (f.type == FrameType::kAck) return part_done(f.id);
            finish(ReplayClientResult::Outcome::kFailed, "unexpected frame from the server");
          },
          .on_part = [this](FramedConn&, uint32_t id) { part_done(id); },
          .on_error = [this](FramedConn&, const std::string& why, bool) {
            finish(ReplayClientResult::Outcome::kFailed, "connection to " + opt_.peer + ": " + why);
          }});
      c->send_frame({.type = FrameType::kHello, .id = k == n ? kControlStream : k, .len = nonce, .total = n});
      c->start();
      (k == n ? ctrl_ : data_.emplace_back()) = std::move(c);
    }
    parts_left_.assign(sched_.transfers().size(), 0);
    deadline_.cancel();
    deadline_.expires_after(std::chrono::nanoseconds(opt_.duration_limit.ns));
    deadline_.async_wait([this](const error_code& tec) {
      if (!tec) finish(ReplayClientResult::Outcome::kTimedOut, fmt::format("duration limit {} reached", format(opt_.duration_limit)));
    });
    sched_.start(clock_now());
    pump();
  }
  void part_done(uint32_t id) {
    if (done_) return;
    if (id >= parts_left_.size() || parts_left_[id] == 0) {
      return finish(ReplayClientResult::Outcome::kFailed, "the server completed an unknown transfer");
    }
    if (--parts_left_[id] == 0) sched_.on_complete(id, clock_now());
    pump();
  }
  void pump() {
    if (done_) return;
    const Nanos now = clock_now();
    while (auto id = sched_.poll_issue(now)) {
      const ReplayTransfer& t = sched_.transfers()[*id];
      const uint64_t n = data_.size(), stripe = (t.bytes + n - 1) / n;
      for (uint64_t k = 0, off = 0; k < n && off < t.bytes; ++k, off += stripe) {
        const uint64_t len = std::min(stripe, t.bytes - off);
        ++parts_left_[t.id];
        if (t.dir == ReplayDirection::kForward) {
          data_[k]->send_part(t.id, len);
        } else {
          ctrl_->send_frame({.type = FrameType::kStart, .id = t.id, .len = k, .total = len});
        }
      }
    }
    if (sched_.done()) return finish(ReplayClientResult::Outcome::kComplete, "");
    const Nanos w = sched_.next_wakeup();
    if (w != Nanos::max()) {
      wake_.expires_after(std::chrono::nanoseconds(std::max<int64_t>(0, (w - now).ns)));
      wake_.async_wait([this](const error_code& ec) {
        if (!ec) pump();
      });
    }
  }
  void poll_stop() {
    stop_poll_.expires_after(std::chrono::milliseconds(50));
    stop_poll_.async_wait([this](const error_code& ec) {
      if (ec || done_) return;
      if (stopping(opt_.stop)) return finish(ReplayClientResult::Outcome::kStopped, "stopped by a signal");
      poll_stop();
    });
  }
  void finish(ReplayClientResult::Outcome o, const std::string& why) {
    if (done_) return;
    done_ = true;
    result_ = {o, why};
    for (auto& c : data_) result_.retransmits += c->retransmits();
    if (ctrl_) result_.retransmits += ctrl_->retransmits();
    for (auto& c : data_) c->close();
    if (ctrl_) ctrl_->close();
    for (auto& s : sockets_) {
      error_code ec;
      if (s->is_open()) s->close(ec);
    }
    wake_.cancel();
    deadline_.cancel();
    stop_poll_.cancel();
  }

  ReplaySchedule& sched_;
  const ReplayClientOptions& opt_;
  asio::io_context io_;
  asio::steady_timer wake_, deadline_, stop_poll_;
  std::vector<std::unique_ptr<tcp::socket>> sockets_;
  std::vector<std::shared_ptr<FramedConn>> data_;
  std::shared_ptr<FramedConn> ctrl_;
  std::vector<uint32_t> parts_left_;  // per transfer id
  size_t connected_ = 0;
  bool started_ = false, done_ = false;
  ReplayClientResult result_;
};

// The server's side of one client: its data connections by stream index and its control
// connection; ACKs and STARTs that arrive before the connection they need said HELLO wait here.
struct Session {
  std::vector<FramedConn*> data;
  FramedConn* ctrl = nullptr;
  std::vector<uint32_t> pending_acks;
  std::vector<Frame> pending_starts;
  size_t open = 0;  // connections of this session not closed yet
};

class Server {
 public:
  explicit Server(const ReplayServerOptions& opt) : opt_(opt), acceptor_(io_), poll_(io_) {}

  int run() {
    const HostPort hp = parse_host_port(opt_.listen);
    error_code ec;
    const tcp::endpoint at(asio::ip::make_address(hp.host, ec), hp.port);
    if (ec) throw std::runtime_error("--listen " + opt_.listen + ": " + ec.message() + " (a numeric address is needed)");
    acceptor_.open(at.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    // Accepted sockets inherit the listener's buffer sizes (set before listen for the window scale).
    xport::tcp::size_buffer(acceptor_.native_handle(), false, 2 * opt_.bdp_bytes);
    xport::tcp::size_buffer(acceptor_.native_handle(), true, 2 * opt_.bdp_bytes);
    acceptor_.bind(at, ec);
    if (ec) throw std::runtime_error("bind " + opt_.listen + ": " + ec.message());
    acceptor_.listen();
    const tcp::endpoint local = acceptor_.local_endpoint();
    if (opt_.on_listening) opt_.on_listening(host_port_text(local.address().to_string(), local.port()));
    accept_next();
    check();
    io_.run();
    std::fprintf(stderr, "lh-trace replay --serve: %llu session(s), %llu connection(s), %llu failed\n",
                 static_cast<unsigned long long>(sessions_seen_), static_cast<unsigned long long>(accepted_),
                 static_cast<unsigned long long>(failures_));
    return opt_.once ? (failures_ == 0 && sessions_seen_ > 0 ? 0 : 1) : 0;
  }

 private:
  void accept_next() {
    acceptor_.async_accept([this](const error_code& ec, tcp::socket s) {
      if (ec) return;
      error_code oec;
      s.set_option(tcp::no_delay(true), oec);
      try {
        xport::tcp::set_congestion_control(s.native_handle(), opt_.transport.cc);  // sends the reverse direction
      } catch (const std::exception& e) {
        std::fprintf(stderr, "lh-trace replay --serve: %s\n", e.what());
        ++failures_;
        return accept_next();
      }
      ++accepted_;
      auto c = std::make_shared<FramedConn>(std::move(s), FramedConn::Handlers{
          .on_frame = [this](FramedConn& fc, const Frame& f) { on_frame(fc, f); },
          .on_part = [this](FramedConn& fc, uint32_t id) { on_part(fc, id); },
          .on_error = [this](FramedConn& fc, const std::string& why, bool eof) { on_closed(fc, why, eof); }});
      conns_.push_back(c);
      c->start();
      accept_next();
    });
  }
  void on_frame(FramedConn& c, const Frame& f) {
    if (f.type == FrameType::kHello) {
      if (c.hello || (f.id != kControlStream && (f.id >= f.total || f.total > 1024))) return c.fail("bad HELLO");
      c.hello = true;
      c.nonce = f.len;
      c.index = f.id;
      auto [it, fresh] = sessions_.try_emplace(c.nonce);
      Session& s = it->second;
      if (fresh) ++sessions_seen_;
      ++s.open;
      if (f.id == kControlStream) {
        s.ctrl = &c;
        for (uint32_t id : s.pending_acks) c.send_frame({.type = FrameType::kAck, .id = id});
        s.pending_acks.clear();
      } else {
        if (s.data.size() < f.total) s.data.resize(f.total, nullptr);
        s.data[f.id] = &c;
      }
      flush_starts(s);
      return;
    }
    if (!c.hello || f.type != FrameType::kStart || c.index != kControlStream || f.total == 0) {
      return c.fail("unexpected frame (START on the control connection only, after HELLO)");
    }
    Session& s = sessions_[c.nonce];
    s.pending_starts.push_back(f);
    flush_starts(s);
  }
  void flush_starts(Session& s) {
    std::vector<Frame> keep;
    for (const Frame& f : s.pending_starts) {
      if (f.len < s.data.size() && s.data[f.len] != nullptr) {
        s.data[f.len]->send_part(f.id, f.total);
      } else {
        keep.push_back(f);
      }
    }
    s.pending_starts = std::move(keep);
  }
  void on_part(FramedConn& c, uint32_t id) {
    if (!c.hello || c.index == kControlStream) return c.fail("DATA before HELLO or on the control connection");
    Session& s = sessions_[c.nonce];
    if (s.ctrl != nullptr) {
      s.ctrl->send_frame({.type = FrameType::kAck, .id = id});
    } else {
      s.pending_acks.push_back(id);
    }
  }
  void on_closed(FramedConn& c, const std::string& why, bool eof) {
    if (!eof) {
      ++failures_;
      std::fprintf(stderr, "lh-trace replay --serve: %s\n", why.c_str());
    }
    if (c.hello) {
      const auto it = sessions_.find(c.nonce);
      if (it != sessions_.end()) {
        Session& s = it->second;
        if (s.ctrl == &c) s.ctrl = nullptr;
        for (FramedConn*& d : s.data) {
          if (d == &c) d = nullptr;
        }
        if (--s.open == 0) sessions_.erase(it);
      }
    }
    conns_.remove_if([&](const std::shared_ptr<FramedConn>& p) { return p.get() == &c; });
  }
  void check() {
    poll_.expires_after(std::chrono::milliseconds(50));
    poll_.async_wait([this](const error_code& ec) {
      if (ec) return;
      if (stopping(opt_.stop) || (opt_.once && sessions_seen_ > 0 && sessions_.empty() && conns_.empty())) {
        for (auto& c : conns_) c->close();
        error_code aec;
        acceptor_.close(aec);
        io_.stop();
        return;
      }
      check();
    });
  }

  const ReplayServerOptions& opt_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer poll_;
  std::list<std::shared_ptr<FramedConn>> conns_;
  std::map<uint64_t, Session> sessions_;
  uint64_t accepted_ = 0, failures_ = 0, sessions_seen_ = 0;
};

}  // namespace

ReplayClientResult run_tcp_replay(ReplaySchedule& schedule, const ReplayClientOptions& opt) {
  return Client(schedule, opt).run();
}

int run_tcp_replay_server(const ReplayServerOptions& opt) { return Server(opt).run(); }

}  // namespace lh::traces
