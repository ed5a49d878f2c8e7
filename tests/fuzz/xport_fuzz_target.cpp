// xport_fuzz_target.cpp — random and mutated datagrams against established connections.
//
// The server's registered region sits between two canary regions inside one allocation; after the
// input is consumed the canaries must be intact (no byte placed outside a registered region), and
// every counter must stay consistent. Built as a libFuzzer target with clang and as a plain corpus
// runner (xport_fuzz_main.cpp) with any compiler; CI runs the latter under ASan in suite 'fuzz'.
#include "tests/fuzz/xport_fuzz_target.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "transport/proto/connection.hpp"
#include "tests/fuzz/reseal.hpp"
#include "transport/proto/wire.hpp"

namespace lh::xport::fuzz {
namespace {

constexpr size_t kCanary = 4096;
constexpr size_t kRegion = 64 * 1024;
constexpr uint8_t kCanaryByte = 0xC5;
constexpr ConnectionId kClientCid = 0xA1, kServerCid = 0xB2;

ConnectionConfig fuzz_config() {
  return ConnectionConfig{.cc = CcKind::kFixed, .fixed_rate = BitsPerSecond{1'000'000'000},
                          .initial_window = 256 << 10, .max_window = 1 << 20};
}

struct Harness {
  MemoryRegistry mem_c{1}, mem_s{2};
  CompletionQueue cq_c{1024}, cq_s{1024};
  Nanos now{1'000'000'000};
  std::unique_ptr<Connection> client, server;
  std::vector<uint8_t> arena = std::vector<uint8_t>(kCanary + kRegion + kCanary, kCanaryByte);
  std::vector<uint8_t> recv_buf = std::vector<uint8_t>(kCanary + 8192 + kCanary, kCanaryByte);
  MemoryRegion mr;

  Harness() {
    client = std::make_unique<Connection>(Connection::Role::kClient, fuzz_config(), kClientCid, mem_c, cq_c, now);
    server = std::make_unique<Connection>(Connection::Role::kServer, fuzz_config(), kServerCid, mem_s, cq_s, now);
    mr = mem_s.register_region(std::span(arena).subspan(kCanary, kRegion));
    server->post_recv(1, std::span(recv_buf).subspan(kCanary, 8192));
    for (int i = 0; i < 4; ++i) pump();
  }

  void pump() {
    uint8_t buf[2048];
    for (int k = 0; k < 64; ++k) {
      const size_t n = client->poll_transmit(now, buf);
      if (n == 0) break;
      server->on_datagram({buf, n}, now);
    }
    for (int k = 0; k < 64; ++k) {
      const size_t n = server->poll_transmit(now, buf);
      if (n == 0) break;
      client->on_datagram({buf, n}, now);
    }
    if (client->next_timeout() <= now) client->on_timeout(now);
    if (server->next_timeout() <= now) server->on_timeout(now);
    now += Nanos::from_us(100);
  }

  void check() const {
    for (size_t i = 0; i < kCanary; ++i) {
      if (arena[i] != kCanaryByte || arena[kCanary + kRegion + i] != kCanaryByte ||
          recv_buf[i] != kCanaryByte || recv_buf[kCanary + 8192 + i] != kCanaryByte) {
        std::fprintf(stderr, "xport fuzz: byte outside a registered region was written\n");
        std::abort();
      }
    }
    const auto& st = server->stats();
    if (st.placed_bytes > kRegion * 1024) {
      std::fprintf(stderr, "xport fuzz: implausible placed byte count\n");
      std::abort();
    }
  }
};

}  // namespace

int run_one(const uint8_t* data, size_t size) {
  Harness h;
  size_t pos = 0;
  std::vector<uint8_t> d;
  while (pos + 3 <= size) {
    const uint8_t flags = data[pos];
    const size_t len = std::min<size_t>(data[pos + 1] | (data[pos + 2] << 8), size - pos - 3);
    d.assign(data + pos + 3, data + pos + 3 + len);
    pos += 3 + len;
    h.now += Nanos::from_ms(flags >> 2);
    const bool to_client = flags & kToClient;
    if (flags & kReseal) reseal(d, to_client ? kClientCid : kServerCid);
    (to_client ? h.client : h.server)->on_datagram(d, h.now);
    h.pump();
  }
  for (int i = 0; i < 8; ++i) h.pump();
  h.check();
  return 0;
}

std::vector<std::vector<uint8_t>> seed_datagrams() {
  Harness h;
  std::vector<uint8_t> src(20'000);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 31);
  h.client->post_write({.wr_id = 1, .local = src, .rkey = h.mr.rkey, .remote_offset = 100, .imm = 5});
  h.client->post_send(2, std::span(src).first(3000));
  std::vector<std::vector<uint8_t>> out;
  uint8_t buf[2048];
  for (int k = 0; k < 200; ++k) {
    const size_t n = h.client->poll_transmit(h.now, buf);
    if (n == 0) {
      h.now += Nanos::from_ms(1);
      continue;
    }
    out.emplace_back(buf, buf + n);
    h.server->on_datagram({buf, n}, h.now);
    for (size_t m; (m = h.server->poll_transmit(h.now, buf)) > 0;) {
      out.emplace_back(buf, buf + m);  // server->client datagrams are seeds too
      h.client->on_datagram({buf, m}, h.now);
    }
  }
  return out;
}

}  // namespace lh::xport::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return lh::xport::fuzz::run_one(data, size);
}
