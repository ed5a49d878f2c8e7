// endpoint_fuzz.cpp — fuzz target of a longhaul server Endpoint facing many peers at once: two real
// clients moving WRITEs into it (one in the shared protection domain, one in a domain of its own)
// while the input injects datagrams from up to eight addresses — raw bytes, or a real client's last
// datagram with a byte changed — optionally resealed (a live connection's id or 0, valid CRC) so the
// frames are parsed, handshakes included, with virtual time advancing between records.
//
// Input: [mode u8] then records [flags u8][a u8][b u8][len u8][len bytes]. mode % 4: 1 protected
// mode AES-256-GCM, 2 GMAC (every endpoint with the same key), else plaintext; (mode >> 2) % 3: the
// server's address tokens: 0 never, 1 under load, 2 always (the real clients then go through retries). flags bits 0-2: source
// address (1 and 2 are the real clients'); bit 3: reseal; bit 4: the datagram is client 1's latest
// with byte `a` XORed by `b` (the record's bytes unused); bit 5: the reseal's destination is
// connection `a` % n of the server (else 0: an INIT's); bits 6-7: milliseconds to advance first.
// In protected mode a reseal makes the bytes reach the frame decoder as a key holder would send
// them: to a connection, sealed under its current keys (a fresh packet number); as an INIT, with
// the AUTH frame's MAC made valid when the bytes end in one.
//
// Checks after every record: no byte outside a registered region changed; connections, half-open
// ones and their rings within the endpoint's limits; the completion queue never overflowed.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "transport/proto/endpoint.hpp"
#include "tests/fuzz/reseal.hpp"
#include "transport/proto/packet_protection.hpp"
#include "transport/proto/wire.hpp"

namespace lh::xport::fuzz {
namespace {

constexpr size_t kCanary = 64, kRegion = 16 << 10;
constexpr uint8_t kCanaryByte = 0xC5;
constexpr size_t kMaxConnections = 6, kMaxHalfOpen = 3;
// Small rings (1 MiB window) keep one input cheap; the ring logic is the same at any size.
const ConnectionConfig kPlainConn{.initial_window = 1 << 20, .max_window = 1 << 20};
const auto kPsk = std::make_shared<const std::vector<uint8_t>>(32, 0x4B);

ConnectionConfig conn_config(Protection p) {
  ConnectionConfig c = kPlainConn;
  c.protection = p;
  if (p != Protection::kNone) c.psk = kPsk;
  return c;
}

PeerAddr addr(uint8_t tag) {
  PeerAddr a;
  a.raw[0] = tag;
  a.len = 1;
  return a;
}

[[noreturn]] void violation(const char* what) {
  std::fprintf(stderr, "endpoint fuzz: %s\n", what);
  std::abort();
}

struct Harness {
  Harness(Protection p, AddressTokens tokens)
      : mode(p),
        server({.seed = 7, .max_connections = kMaxConnections, .max_half_open = kMaxHalfOpen,
                .address_tokens = tokens, .conn = conn_config(p), .cq_capacity = kMaxConnections * kMinCompletionShare}),
        arena(2 * kCanary + 2 * kRegion, kCanaryByte),
        src(6000) {
    for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 7);
    shared = server.memory().register_region(std::span(arena).subspan(kCanary, kRegion / 2));
    pd = server.memory().alloc_domain();
    owned = server.memory().register_region(std::span(arena).subspan(kCanary + kRegion, kRegion / 2), pd);
    for (uint8_t i = 0; i < 2; ++i) {
      clients.push_back(std::make_unique<Endpoint>(
          EndpointConfig{.seed = 11u + i, .max_connections = 1, .accept = false, .conn = conn_config(p)}));
      conns.push_back(&clients.back()->connect(addr(9), now));
    }
    for (int i = 0; i < 30; ++i) pump();
  }

  // One step of the real traffic: clients <-> server, timers, posts, the server's application.
  void pump() {
    uint8_t buf[2048];
    PeerAddr to;
    for (size_t i = 0; i < clients.size(); ++i) {
      Endpoint& c = *clients[i];
      if (c.next_timeout() <= now) c.on_timeout(now);
      for (size_t n; (n = c.poll_transmit(now, buf, to)) > 0;) {
        if (i == 0) last.assign(buf, buf + n);
        server.on_datagram({buf, n}, addr(static_cast<uint8_t>(i + 1)), now);
      }
      if (conns[i]->established() && conns[i]->outstanding_ops() < 4) {
        const MemoryRegion& mr = i == 0 ? shared : owned;
        const auto t = static_cast<uint64_t>(now.ns);
        conns[i]->post_write({.wr_id = 1, .local = std::span(src).first(1 + (t / 1000) % src.size()),
                              .rkey = mr.rkey, .remote_offset = (t / 7) % 64});
      }
      while (c.poll_completion()) {
      }
    }
    if (server.next_timeout() <= now) server.on_timeout(now);
    for (size_t n; (n = server.poll_transmit(now, buf, to)) > 0;) {
      for (size_t i = 0; i < clients.size(); ++i)
        if (to == addr(static_cast<uint8_t>(i + 1))) clients[i]->on_datagram({buf, n}, addr(9), now);
    }
    // The application: binds accepted connections of client 2 to its domain, polls, reaps the dead.
    while (Connection* a = server.poll_accept())
      if (a->peer_addr() == addr(2)) a->set_protection_domain(pd);
    for (int k = 0; k < 64 && server.poll_completion(); ++k) {
    }
    std::vector<ConnectionId> dead;
    server.for_each_connection([&](const Connection& c) {
      if (c.state() == Connection::State::kLost || c.state() == Connection::State::kClosed) dead.push_back(c.local_cid());
    });
    for (ConnectionId id : dead) server.remove(id);
    now += Nanos::from_us(300);
  }

  ConnectionId nth_connection(size_t k) const {
    std::vector<ConnectionId> ids;
    server.for_each_connection([&](const Connection& c) { ids.push_back(c.local_cid()); });
    return ids.empty() ? 0 : ids[k % ids.size()];
  }

  void check() const {
    for (size_t i = 0; i < kCanary; ++i) {
      if (arena[i] != kCanaryByte || arena[arena.size() - 1 - i] != kCanaryByte) violation("canary overwritten");
    }
    // Between the two regions' halves and the second canary: unregistered bytes.
    for (size_t i = kCanary + kRegion / 2; i < kCanary + kRegion; ++i)
      if (arena[i] != kCanaryByte) violation("byte between regions written");
    for (size_t i = kCanary + kRegion + kRegion / 2; i < arena.size() - kCanary; ++i)
      if (arena[i] != kCanaryByte) violation("byte after the owned region written");
    if (server.connection_count() > kMaxConnections) violation("more connections than max_connections");
    size_t half_open = 0;
    server.for_each_connection([&](const Connection& c) {
      if (c.role() == Connection::Role::kServer && c.state() == Connection::State::kHandshaking) {
        ++half_open;
        if (c.ring_bytes() != 0) violation("a half-open connection holds rings");
      }
    });
    if (half_open > kMaxHalfOpen) violation("more half-open connections than max_half_open");
    if (const_cast<Endpoint&>(server).completions().overflows() != 0) violation("completion queue overflowed");
  }

  // Protected mode: `d` (frames) as a key holder would send them (see the header comment).
  void seal_for(std::vector<uint8_t>& d, ConnectionId dest) {
    if (dest == 0) {  // an INIT: make a trailing AUTH frame's MAC valid, then a valid CRC
      if (d.size() >= wire::kHeaderSize + wire::kCrcSize + wire::kMacSize) {
        const std::span<uint8_t> frames(d.data() + wire::kHeaderSize, d.size() - wire::kHeaderSize - wire::kCrcSize);
        const auto mac = psp::handshake_mac(psp::handshake_key(*kPsk), psp::kInitLabel, 0,
                                            frames.first(frames.size() - wire::kMacSize));
        std::copy(mac.begin(), mac.end(), frames.end() - wire::kMacSize);
      }
      reseal(d, 0);
      return;
    }
    const Connection* c = server.find(dest);
    if (c == nullptr || c->packet_protection() == nullptr || !c->packet_protection()->keyed() || d.empty()) return;
    const psp::ConnectionProtection& target = *c->packet_protection();
    psp::ConnectionProtection peer(target.mode(), kPsk, true, target.peer_nonce(), psp::kDefaultRekeyPackets);
    peer.start(target.local_nonce());
    std::vector<uint8_t> pkt(wire::kProtectedHeaderSize + d.size() + wire::kTagSize);
    const uint64_t pn = next_pn++;
    wire::PacketWriter w(pkt, wire::Header{.dest_cid = dest, .pn = pn, .is_protected = true, .spi = 0});
    std::copy(d.begin(), d.end(), pkt.begin() + wire::kProtectedHeaderSize);
    peer.seal(pn, pkt);
    d = std::move(pkt);
  }

  Protection mode;
  uint64_t next_pn = uint64_t{1} << 20;
  Nanos now{1'000'000'000};
  Endpoint server;
  std::vector<uint8_t> arena, src, last;
  MemoryRegion shared{}, owned{};
  ProtectionDomain pd = kSharedDomain;
  std::vector<std::unique_ptr<Endpoint>> clients;
  std::vector<Connection*> conns;
};

}  // namespace
}  // namespace lh::xport::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lh::xport::fuzz;
  if (size == 0) return 0;
  const lh::xport::Protection mode = data[0] % 4 == 1   ? lh::xport::Protection::kAesGcm
                                     : data[0] % 4 == 2 ? lh::xport::Protection::kGmac
                                                        : lh::xport::Protection::kNone;
  const lh::xport::AddressTokens tokens = (data[0] >> 2) % 3 == 1   ? lh::xport::AddressTokens::kUnderLoad
                                          : (data[0] >> 2) % 3 == 2 ? lh::xport::AddressTokens::kAlways
                                                                    : lh::xport::AddressTokens::kNever;
  Harness h(mode, tokens);
  std::vector<uint8_t> d;
  size_t pos = 1;
  while (pos + 4 <= size) {
    const uint8_t flags = data[pos], a = data[pos + 1], b = data[pos + 2];
    const size_t len = std::min<size_t>(data[pos + 3], size - pos - 4);
    if (flags & 0x10) {
      d = h.last;
      if (!d.empty()) d[a % d.size()] ^= b;
    } else {
      d.assign(data + pos + 4, data + pos + 4 + len);
    }
    pos += 4 + len;
    h.now += lh::Nanos::from_ms(flags >> 6);
    if (flags & 0x08) {
      const lh::xport::ConnectionId dest = (flags & 0x20) ? h.nth_connection(a) : 0;
      if (mode == lh::xport::Protection::kNone) {
        reseal(d, dest);
      } else {
        h.seal_for(d, dest);
      }
    }
    h.server.on_datagram(d, addr(flags & 0x07), h.now);
    h.pump();
    h.check();
  }
  for (int i = 0; i < 20; ++i) h.pump();
  h.check();
  if (std::getenv("LH_FUZZ_VERBOSE"))
    std::fprintf(stderr, "mode %d tokens %d retries %llu accepted %llu refused_auth %llu refused_half_open %llu wrong_addr %llu placed %llu/%llu conns %zu\n",
                 static_cast<int>(mode), static_cast<int>(tokens), (unsigned long long)h.server.stats().retries_sent,
                 (unsigned long long)h.server.stats().accepted,
                 (unsigned long long)h.server.stats().refused_auth, (unsigned long long)h.server.stats().refused_half_open,
                 (unsigned long long)h.server.stats().dropped_wrong_addr,
                 (unsigned long long)h.conns[0]->stats().write_bytes_acked, (unsigned long long)h.conns[1]->stats().write_bytes_acked,
                 h.server.connection_count());
  return 0;
}
