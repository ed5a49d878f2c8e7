// handshake_test.cpp — INIT/ACCEPT with connection ids and negotiated parameters, retransmission of
// INIT, handshake timeout, demultiplexing and accept in the Endpoint, graceful close.
#include <gtest/gtest.h>

#include "tests/unit/xport/xport_harness.hpp"
#include "transport/proto/endpoint.hpp"

namespace lh::xport::test {
namespace {

TEST(Handshake, NegotiatesMtuFeaturesAndIds) {
  Pair p({.max_udp_payload = 1472, .features = 0b111}, {.max_udp_payload = 1200, .features = 0b101}, false);
  // The client's first datagram is a lone INIT addressed to connection id 0.
  auto init = capture(p.client(), p.now);
  ASSERT_EQ(init.size(), 1u);
  wire::Header h;
  auto frames = frames_of(init[0], &h);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].type, wire::FrameType::kInit);
  EXPECT_EQ(h.dest_cid, 0u);
  EXPECT_EQ(frames[0].hs.src_cid, 0xA1u);
  EXPECT_EQ(frames[0].hs.max_udp_payload, 1472);
  // The server answers with ACCEPT to the client's id, proposing min MTU and common features.
  inject(p.server(), init[0], p.now);
  auto accept = capture(p.server(), p.now);
  ASSERT_EQ(accept.size(), 1u);
  frames = frames_of(accept[0], &h);
  ASSERT_EQ(frames[0].type, wire::FrameType::kAccept);
  EXPECT_EQ(h.dest_cid, 0xA1u);
  EXPECT_EQ(frames[0].hs.src_cid, 0xB2u);
  EXPECT_EQ(frames[0].hs.max_udp_payload, 1200);
  EXPECT_EQ(frames[0].hs.features, 0b101u);
  EXPECT_FALSE(p.server().established());  // not until the client shows it got ACCEPT
  p.now += Nanos::from_ms(20);
  inject(p.client(), accept[0], p.now);
  EXPECT_TRUE(p.client().established());
  EXPECT_EQ(p.client().peer_cid(), 0xB2u);
  EXPECT_EQ(p.client().max_udp_payload(), 1200);
  EXPECT_EQ(p.client().features(), 0b101u);
  EXPECT_EQ(p.client().rtt().srtt(), Nanos::from_ms(20));  // INIT -> ACCEPT sample
  // The client's ACK of ACCEPT establishes the server and gives it an RTT sample.
  auto ack = capture(p.client(), p.now);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_TRUE(has_frame(ack[0], wire::FrameType::kAck));
  p.now += Nanos::from_ms(5);
  inject(p.server(), ack[0], p.now);
  EXPECT_TRUE(p.server().established());
  EXPECT_EQ(p.server().peer_cid(), 0xA1u);
  EXPECT_TRUE(p.server().rtt().has_sample());
}

TEST(Handshake, InitIsRetransmittedWithBackoffThenTimesOut) {
  Pair p({.initial_rtt = Nanos::from_ms(100), .max_pto_count = 3}, {}, false);
  std::vector<uint8_t> buf(100, 1);
  ASSERT_EQ(p.client().post_send(7, buf), PostResult::kOk);  // queued before the handshake
  ASSERT_EQ(capture(p.client(), p.now).size(), 1u);
  // Nobody answers: INIT again after 200 ms, then 400 ms, then give up.
  EXPECT_EQ(p.client().next_timeout(), p.now + Nanos::from_ms(200));
  p.now = p.client().next_timeout();
  p.client().on_timeout(p.now);
  ASSERT_EQ(capture(p.client(), p.now).size(), 1u);
  EXPECT_EQ(p.client().next_timeout(), p.now + Nanos::from_ms(400));
  p.now = p.client().next_timeout();
  p.client().on_timeout(p.now);
  ASSERT_EQ(capture(p.client(), p.now).size(), 1u);
  p.now = p.client().next_timeout();
  p.client().on_timeout(p.now);
  EXPECT_EQ(p.client().state(), Connection::State::kLost);
  auto done = p.a.completions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].wr_id, 7u);
  EXPECT_EQ(done[0].status, Status::kTimeout);
}

TEST(Handshake, LostAcceptIsAnsweredAgain) {
  Pair p({}, {}, false);
  auto init = capture(p.client(), p.now);
  inject(p.server(), init[0], p.now);
  ASSERT_EQ(capture(p.server(), p.now).size(), 1u);  // ACCEPT lost on the way
  p.now = p.client().next_timeout();
  p.client().on_timeout(p.now);
  auto init2 = capture(p.client(), p.now);
  ASSERT_EQ(init2.size(), 1u);
  inject(p.server(), init2[0], p.now);
  auto accept2 = capture(p.server(), p.now);
  ASSERT_EQ(accept2.size(), 1u);
  inject(p.client(), accept2[0], p.now);
  EXPECT_TRUE(p.client().established());
}

TEST(Endpoint, AcceptsDemuxesAndDropsUnknownIds) {
  Endpoint client({.seed = 1}), server({.seed = 2});
  PeerAddr addr_c, addr_s;
  addr_c.len = 1;
  addr_c.raw[0] = 'c';
  addr_s.len = 1;
  addr_s.raw[0] = 's';
  Nanos now{1'000'000};
  Connection& c = client.connect(addr_s, now);
  uint8_t buf[2048];
  PeerAddr to;
  // Pump both endpoints until established.
  for (int i = 0; i < 10; ++i) {
    for (size_t n; (n = client.poll_transmit(now, buf, to)) > 0;) {
      EXPECT_EQ(to, addr_s);
      server.on_datagram({buf, n}, addr_c, now);
    }
    for (size_t n; (n = server.poll_transmit(now, buf, to)) > 0;) {
      EXPECT_EQ(to, addr_c);
      client.on_datagram({buf, n}, addr_s, now);
    }
    now += Nanos::from_ms(1);
  }
  Connection* s = server.poll_accept();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(server.poll_accept(), nullptr);
  EXPECT_TRUE(c.established());
  EXPECT_TRUE(s->established());
  EXPECT_EQ(s->peer_cid(), c.local_cid());
  EXPECT_EQ(c.peer_cid(), s->local_cid());
  // A well-formed packet for an id the server does not know is dropped and counted.
  wire::PacketWriter w(buf, wire::Header{.dest_cid = 12345, .pn = 1});
  w.put_ping();
  const size_t n = w.finish();
  server.on_datagram({buf, n}, addr_c, now);
  EXPECT_EQ(server.stats().dropped_unknown_cid, 1u);
  buf[n - 1] ^= 1;
  server.on_datagram({buf, n}, addr_c, now);
  EXPECT_EQ(server.stats().dropped_bad_crc, 1u);
}

TEST(Endpoint, TwoClientsWriteThroughOneServerEndpoint) {
  // Two client endpoints at different addresses open one connection each to a single server endpoint
  // and write 200 kB each into the server's one region; the server demultiplexes by connection id.
  Endpoint server({.seed = 7});
  Endpoint c1({.seed = 8}), c2({.seed = 9});
  PeerAddr a1, a2, as;
  a1.len = a2.len = as.len = 1;
  a1.raw[0] = 1;
  a2.raw[0] = 2;
  as.raw[0] = 9;
  std::vector<uint8_t> region(400'000, 0);
  const auto mr = server.memory().register_region(region);
  const auto s1 = pattern(200'000, 1), s2 = pattern(200'000, 2);
  Nanos now{1'000'000};
  Connection& k1 = c1.connect(as, now);
  Connection& k2 = c2.connect(as, now);
  ASSERT_EQ(k1.post_write({.wr_id = 1, .local = s1, .rkey = mr.rkey, .remote_offset = 0}), PostResult::kOk);
  ASSERT_EQ(k2.post_write({.wr_id = 2, .local = s2, .rkey = mr.rkey, .remote_offset = 200'000, .imm = 2}),
            PostResult::kOk);
  uint8_t buf[2048];
  PeerAddr to;
  std::vector<Completion> done;
  for (int i = 0; i < 2000 && done.size() < 2; ++i) {
    for (auto [ep, addr] : {std::pair{&c1, a1}, std::pair{&c2, a2}}) {
      if (ep->next_timeout() <= now) ep->on_timeout(now);
      for (size_t n; (n = ep->poll_transmit(now, buf, to)) > 0;) server.on_datagram({buf, n}, addr, now);
    }
    if (server.next_timeout() <= now) server.on_timeout(now);
    for (size_t n; (n = server.poll_transmit(now, buf, to)) > 0;) (to == a1 ? c1 : c2).on_datagram({buf, n}, as, now);
    for (Endpoint* ep : {&c1, &c2})
      while (auto c = ep->poll_completion()) done.push_back(*c);
    now += Nanos::from_ms(1);
  }
  ASSERT_EQ(done.size(), 2u);
  for (const auto& c : done) EXPECT_EQ(c.status, Status::kSuccess);
  EXPECT_EQ(server.connection_count(), 2u);
  EXPECT_EQ(server.stats().accepted, 2u);
  EXPECT_TRUE(std::equal(s1.begin(), s1.end(), region.begin()));
  EXPECT_TRUE(std::equal(s2.begin(), s2.end(), region.begin() + 200'000));
  int remote_writes = 0;
  while (auto c = server.poll_completion()) remote_writes += c->kind == OpKind::kRemoteWrite ? 1 : 0;
  EXPECT_EQ(remote_writes, 2);
}

TEST(Close, GracefulCloseWaitsForWorkThenBothSidesClose) {
  Pair p;
  std::vector<uint8_t> region(4096), src(4096, 9);
  auto mr = p.b.mem.register_region(region);
  ASSERT_EQ(p.client().post_write({.wr_id = 1, .local = src, .rkey = mr.rkey}), PostResult::kOk);
  p.client().close(p.now);
  EXPECT_EQ(p.client().post_write({.wr_id = 2, .local = src, .rkey = mr.rkey}), PostResult::kClosed);
  VirtualWire wire(p.client(), p.server(), {}, {}, 1, p.now);
  wire.run(p.now, p.now + Nanos::from_s(5), [&] {
    return p.client().state() == Connection::State::kClosed && p.server().state() == Connection::State::kClosed;
  });
  EXPECT_EQ(p.client().state(), Connection::State::kClosed);
  EXPECT_EQ(p.server().state(), Connection::State::kClosed);
  auto done = p.a.completions();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].status, Status::kSuccess);  // the write finished before CLOSE went out
  EXPECT_EQ(region, src);
}

}  // namespace
}  // namespace lh::xport::test
