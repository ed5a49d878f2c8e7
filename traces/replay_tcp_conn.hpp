// replay_tcp_conn.hpp — one framed TCP connection of `lh-trace replay` over TCP (replay_tcp.cpp);
// internal to that file and included only there (it pulls in Asio).
//
// Frames: a fixed 32-byte little-endian header, then `len` payload bytes for DATA:
//   HELLO  id stream index (kControlStream for the control connection), len session nonce, total data streams
//   DATA   id transfer, len ≤ 1 MiB payload follows, total bytes of this part (data connections)
//   ACK    id transfer: its part on data stream `len` landed       (control, server → client)
//   START  id transfer, total part bytes, len data stream index     (control, client → server)
// HELLO goes first on every connection. Small frames go before queued DATA, and DATA of concurrent
// parts is interleaved 1 MiB at a time (round robin), as the longhaul engine serves concurrent
// operations. Handlers run on the io_context's thread; the connection keeps itself alive while an
// operation is pending (shared_from_this).
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it
#include <boost/asio.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "transport/tcp/socket_tuning.hpp"

namespace lh::traces::tcp_replay {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

inline constexpr uint32_t kMagic = 0x3254484c;  // "LHT2"
inline constexpr uint64_t kMaxChunk = 1ull << 20;  // bytes of payload per DATA frame
inline constexpr uint32_t kControlStream = 0xffffffffu;
enum class FrameType : uint32_t { kHello = 1, kData = 2, kAck = 3, kStart = 4 };

struct Frame {
  uint32_t magic = kMagic;
  FrameType type = FrameType::kData;
  uint32_t id = 0, reserved = 0;
  uint64_t len = 0, total = 0;
};
static_assert(sizeof(Frame) == 32);

class FramedConn : public std::enable_shared_from_this<FramedConn> {
 public:
  struct Handlers {
    std::function<void(FramedConn&, const Frame&)> on_frame;    // HELLO, ACK, START
    std::function<void(FramedConn&, uint32_t id)> on_part;      // a DATA part fully arrived
    // Socket error, bad frame, or the peer closed (`eof`). Called once.
    std::function<void(FramedConn&, const std::string& why, bool eof)> on_error;
  };
  FramedConn(tcp::socket s, Handlers h) : sock_(std::move(s)), h_(std::move(h)), scratch_(kMaxChunk) {}

  void start() { read_header(); }
  void send_frame(const Frame& f) {
    control_.push_back(f);
    pump();
  }
  void send_part(uint32_t id, uint64_t total) {
    parts_.push_back({id, total, 0});
    pump();
  }
  void close() {
    error_code ec;
    sock_.shutdown(tcp::socket::shutdown_both, ec);
    sock_.close(ec);
    closed_ = true;
  }
  bool closed() const { return closed_; }
  // Segments the kernel retransmitted on this connection so far (0 once closed).
  uint64_t retransmits() { return closed_ ? 0 : xport::tcp::read_tcp_info(sock_.native_handle()).total_retrans; }

  uint64_t nonce = 0;      // server: the session from HELLO
  uint32_t index = 0;      // server: the stream index from HELLO
  bool hello = false;

 private:
  struct Part {
    uint32_t id = 0;
    uint64_t total = 0, sent = 0;
  };

  static const std::vector<uint8_t>& zeros() {
    static const std::vector<uint8_t> z(kMaxChunk, 0);
    return z;
  }
  void pump() {
    if (writing_ || closed_) return;
    if (!control_.empty()) {
      out_ = control_.front();
      control_.pop_front();
      return write({asio::buffer(&out_, sizeof out_)});
    }
    if (parts_.empty()) return;
    Part p = parts_.front();
    parts_.pop_front();
    const uint64_t len = std::min(kMaxChunk, p.total - p.sent);
    out_ = Frame{.type = FrameType::kData, .id = p.id, .len = len, .total = p.total};
    p.sent += len;
    if (p.sent < p.total) parts_.push_back(p);  // round robin across concurrent parts
    write({asio::buffer(&out_, sizeof out_), asio::buffer(zeros().data(), len)});
  }
  void write(std::vector<asio::const_buffer> bufs) {
    writing_ = true;
    bufs_ = std::move(bufs);
    asio::async_write(sock_, bufs_, [self = shared_from_this()](const error_code& ec, size_t) {
      self->writing_ = false;
      if (ec) return self->fail("write: " + ec.message());
      self->pump();
    });
  }
  void read_header() {
    asio::async_read(sock_, asio::buffer(&in_, sizeof in_), [self = shared_from_this()](const error_code& ec, size_t) {
      if (ec) return self->fail(ec == asio::error::eof ? "closed by the peer" : "read: " + ec.message(), ec == asio::error::eof);
      self->on_header();
    });
  }
  void on_header() {
    if (in_.magic != kMagic) return fail("bad frame (not an lh-trace replay peer?)");
    if (in_.type == FrameType::kData) {
      if (in_.len == 0 || in_.len > kMaxChunk) return fail("DATA frame of a bad length");
      asio::async_read(sock_, asio::buffer(scratch_.data(), in_.len), [self = shared_from_this()](const error_code& ec, size_t) {
        if (ec) return self->fail("read: " + ec.message());
        self->on_payload();
      });
      return;
    }
    if (in_.type != FrameType::kHello && in_.type != FrameType::kAck && in_.type != FrameType::kStart) {
      return fail("unknown frame type");
    }
    if (h_.on_frame) h_.on_frame(*this, in_);
    if (!closed_) read_header();
  }
  void on_payload() {
    uint64_t& got = received_[in_.id];
    got += in_.len;
    if (got > in_.total) return fail("DATA beyond its part's length");
    if (got == in_.total) {
      received_.erase(in_.id);
      if (h_.on_part) h_.on_part(*this, in_.id);
    }
    if (!closed_) read_header();
  }

 public:
  void fail(const std::string& why, bool eof = false) {
    if (closed_) return;
    close();
    if (h_.on_error) h_.on_error(*this, why, eof);
  }

 private:
  tcp::socket sock_;
  Handlers h_;
  std::vector<uint8_t> scratch_;
  std::deque<Frame> control_;
  std::deque<Part> parts_;
  std::vector<asio::const_buffer> bufs_;
  std::unordered_map<uint32_t, uint64_t> received_;  // per part id: payload bytes in
  Frame out_{}, in_{};
  bool writing_ = false, closed_ = false;
};

}  // namespace lh::traces::tcp_replay
