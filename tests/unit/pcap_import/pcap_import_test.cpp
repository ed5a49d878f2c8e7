// pcap_import_test.cpp — lh-trace from-pcap: packets → messages → steps → gradient trace.
//
// The pure assembler is fed hand-made packets (bursts, pure ACKs, retransmissions, sequence
// wrap-around); the file path writes synthetic captures with libpcap itself (pcap_open_dead +
// pcap_dump) in Ethernet, VLAN and Linux-cooked-v2 framing, imports them and checks that every
// message (count, bytes, start time, src/dst) comes back exactly. Bad files give clear errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "traces/from_pcap_command.hpp"
#include "traces/pcap_import.hpp"
#include "traces/pcap_reader.hpp"

namespace lh::traces {
namespace {

using ::testing::HasSubstr;

const IpAddress kA = parse_ip_address("10.77.0.1");
const IpAddress kB = parse_ip_address("10.77.0.2");
const FlowKey kAB{.src = kA, .dst = kB, .src_port = 40000, .dst_port = 5201, .proto = IpProto::kTcp};
const FlowKey kBA{.src = kB, .dst = kA, .src_port = 5201, .dst_port = 40000, .proto = IpProto::kTcp};

Nanos us(int64_t v) { return Nanos::from_us(v); }

CapturedPacket tcp(Nanos t, const FlowKey& f, uint32_t seq, uint32_t len) {
  return CapturedPacket{.t = t, .flow = f, .payload = len, .tcp_seq = seq};
}

TEST(MessageAssembler, BurstsRetransmissionsAndAcksBecomeExactMessages) {
  MessageAssembler a({.burst_gap = Nanos::from_ms(1), .step_gap = Nanos::from_ms(50)});
  a.add(tcp(us(0), kAB, 1000, 1448));
  a.add(tcp(us(10), kBA, 7, 0));              // pure ACK: ignored
  a.add(tcp(us(20), kAB, 2448, 1448));
  a.add(tcp(us(30), kAB, 2448, 1448));        // retransmission of the same range: no bytes
  a.add(tcp(us(40), kAB, 3000, 1448));        // partial overlap: 2448+1448-3000 = 896 old bytes
  a.add(tcp(us(1500), kAB, 4448, 100));       // 1.46 ms after the last: a new message
  a.add(tcp(us(1600), kBA, 7, 500));          // the other direction, same step
  a.add(tcp(us(80'000), kAB, 4548, 1000));    // 78 ms of silence > step gap: step 1
  const std::vector<Message> m = a.finish();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].flow, kAB);
  EXPECT_EQ(m[0].bytes, 1448u + 1448u + (1448u - 896u));
  EXPECT_EQ(m[0].start, us(0));
  EXPECT_EQ(m[0].end, us(40));
  EXPECT_EQ(m[0].packets, 3u);
  EXPECT_EQ(m[1].bytes, 100u);
  EXPECT_EQ(m[1].start, us(1500));
  EXPECT_EQ(m[2].flow, kBA);
  EXPECT_EQ(m[2].bytes, 500u);
  EXPECT_EQ(m[3].bytes, 1000u);
  EXPECT_EQ((std::vector<uint32_t>{m[0].step, m[1].step, m[2].step, m[3].step}), (std::vector<uint32_t>{0, 0, 0, 1}));
  EXPECT_EQ(a.stats().empty_packets, 1u);
  EXPECT_EQ(a.stats().duplicate_bytes, 1448u + 896u);
  EXPECT_EQ(a.stats().flows, 2u);
}

TEST(MessageAssembler, SequenceWrapAndLateHoleFillCountOnce) {
  MessageAssembler a({});
  a.add(tcp(us(0), kAB, 0xFFFFFF00u, 0x100));  // up to 2^32: wraps to 0
  a.add(tcp(us(1), kAB, 0x200, 0x100));        // a hole [0, 0x200) (lost before the capture point)
  a.add(tcp(us(2), kAB, 0x0, 0x200));          // the hole filled later: new bytes
  a.add(tcp(us(3), kAB, 0xFFFFFF80u, 0x380));  // everything again: nothing new
  const std::vector<Message> m = a.finish();
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].bytes, 0x400u);
  EXPECT_EQ(a.stats().duplicate_bytes, 0x380u);
}

TEST(MessageAssembler, SmallMessagesBelowMinimumAreDroppedBeforeStepDetection) {
  MessageAssembler a({.step_gap = Nanos::from_ms(10), .min_message = Bytes{100}});
  a.add(tcp(us(0), kAB, 0, 1000));
  a.add(tcp(us(20'000), kBA, 0, 40));  // chatter in the idle period: must not end the silence
  a.add(tcp(us(40'000), kAB, 1000, 1000));
  const std::vector<Message> m = a.finish();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[1].step, 1u);
  EXPECT_EQ(a.stats().dropped_messages, 1u);
}

TEST(MessageAssembler, SkippedStepsAreDroppedAndTheRestRenumbered) {
  MessageAssembler a({.step_gap = Nanos::from_ms(10), .skip_steps = 1});
  a.add(tcp(us(0), kAB, 0, 1000));        // step 0: set-up (e.g. DDP's parameter broadcast)
  a.add(tcp(us(20'000), kAB, 1000, 10));  // step 1 → 0
  a.add(tcp(us(40'000), kBA, 0, 20));     // step 2 → 1
  const std::vector<Message> m = a.finish();
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].bytes, 10u);
  EXPECT_EQ(m[0].step, 0u);
  EXPECT_EQ(m[1].step, 1u);
  EXPECT_EQ(a.stats().skipped_messages, 1u);
}

TEST(MessageAssembler, StepMarksReplaceSilencesAndSetTheStepStart) {
  const std::vector<Nanos> marks = parse_step_marks("# iteration starts\n1000000\n3000000  # second\n", "marks.txt");
  ASSERT_EQ(marks.size(), 2u);
  MessageAssembler a({.step_gap = Nanos::from_ms(10), .step_marks = marks});
  a.add(tcp(us(500), kAB, 0, 100));    // before the first mark: set-up traffic, dropped
  a.add(tcp(us(1'600), kAB, 100, 10));  // step 0, 0.6 ms after its mark (a new burst: 1.1 ms of silence)
  a.add(tcp(us(2'500), kBA, 0, 20));    // step 0 (no silence needed)
  a.add(tcp(us(2'900), kAB, 110, 30));  // step 0, still 2.9 ms...
  a.add(tcp(us(3'100), kAB, 140, 40));  // ...but a mark lies between: step 1, a new message
  const std::vector<Message> m = a.finish();
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ((std::vector<uint32_t>{m[0].step, m[1].step, m[2].step, m[3].step}), (std::vector<uint32_t>{0, 0, 0, 1}));
  EXPECT_EQ(m[3].bytes, 40u);
  EXPECT_EQ(a.stats().skipped_messages, 1u);
  TraceOptions o;
  o.provenance.tool = "test";
  const GradientTrace t = build_gradient_trace(m, o);
  EXPECT_EQ(t.events[0].t, us(600));  // time zero is the first mark
  EXPECT_EQ(t.events[0].after_compute, us(600));
  EXPECT_EQ(t.events[3].t, us(2'100));
  EXPECT_EQ(t.events[3].after_compute, us(100));
  EXPECT_THROW(parse_step_marks("5\n5\n", "m"), ParseError);
  EXPECT_THROW(parse_step_marks("5ms\n", "m"), ParseError);
  EXPECT_THROW(parse_step_marks("# nothing\n", "m"), ParseError);
}

TEST(BuildTrace, TimesStepsSitesAndComputeOffsets) {
  MessageAssembler a({.step_gap = Nanos::from_ms(10)});
  a.add(tcp(us(5'000), kAB, 0, 1000));      // step 0 starts here (t = 0)
  a.add(tcp(us(5'100), kBA, 0, 1000));      // ends at 5.1 ms: step 0 busy until 5.1 ms
  a.add(tcp(us(25'100), kAB, 1000, 2000));  // step 1: 20 ms after the network went idle
  TraceOptions o;
  o.op = CollectiveOp::kAllReduce;
  o.provenance.tool = "test";
  const GradientTrace t = build_gradient_trace(a.finish(), o);
  ASSERT_EQ(t.events.size(), 3u);
  EXPECT_EQ(t.provenance.source, "pcap");
  EXPECT_EQ(t.provenance.sites, 2u);
  EXPECT_EQ(t.provenance.ranks_per_site, 1u);
  EXPECT_EQ(t.provenance.world_size, 2u);
  EXPECT_EQ(t.provenance.steps, 2u);
  const SiteRank s0{0, 0}, s1{1, 0};  // first appearance: 10.77.0.1, then 10.77.0.2
  EXPECT_EQ(t.events[0], (TraceEvent{.t = us(0), .step = 0, .src = s0, .dst = s1, .bytes = 1000,
                                     .op = CollectiveOp::kAllReduce, .bucket = 0, .after_compute = us(0)}));
  EXPECT_EQ(t.events[1], (TraceEvent{.t = us(100), .step = 0, .src = s1, .dst = s0, .bytes = 1000,
                                     .op = CollectiveOp::kAllReduce, .bucket = 1, .after_compute = us(100)}));
  EXPECT_EQ(t.events[2], (TraceEvent{.t = us(20'100), .step = 1, .src = s0, .dst = s1, .bytes = 2000,
                                     .op = CollectiveOp::kAllReduce, .bucket = 0, .after_compute = us(20'000)}));
  // Written and parsed back unchanged: the trace is valid format v1.
  std::ostringstream out;
  write_gradient_trace(out, t);
  EXPECT_EQ(parse_gradient_trace(out.str(), "round-trip"), t);
}

TEST(BuildTrace, SiteMapErrorsNameTheAddress) {
  EXPECT_EQ(parse_site_map("10.77.0.1=0,10.77.0.2=1:3").at(kB), (SiteRank{1, 3}));
  EXPECT_THROW(parse_site_map("10.77.0.1"), ParseError);
  EXPECT_THROW(parse_site_map("10.77.0.1=x"), ParseError);
  EXPECT_THROW(parse_site_map("10.77.0.1=0,10.77.0.1=1"), ParseError);
  EXPECT_THROW(parse_site_map("10.77.0.999=0"), ParseError);
  MessageAssembler a({});
  a.add(tcp(us(0), kAB, 0, 10));
  const std::vector<Message> m = a.finish();
  TraceOptions o;
  o.sites = parse_site_map("10.77.0.1=0");
  try {
    build_gradient_trace(m, o);
    FAIL() << "expected a ParseError";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("address 10.77.0.2"));
  }
  o.sites = parse_site_map("10.77.0.1=0,10.77.0.2=0");
  EXPECT_THROW(build_gradient_trace(m, o), ParseError);  // same site and rank
  EXPECT_THROW(build_gradient_trace({}, TraceOptions{}), ParseError);
}

// ---- synthetic capture files -------------------------------------------------------------------

struct Pkt {
  Nanos t;
  FlowKey flow;
  uint32_t seq = 0;
  uint32_t payload = 0;
};

void put16(std::vector<uint8_t>& b, size_t off, uint16_t v) { b[off] = v >> 8, b[off + 1] = v & 0xFF; }
void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) { put16(b, off, v >> 16), put16(b, off + 2, v & 0xFFFF); }

// An IPv4 frame with `link` bytes of link header before it (Ethernet: 14, +4 with a VLAN tag; SLL2: 20).
std::vector<uint8_t> frame(int dlt, bool vlan, const Pkt& p) {
  const bool is_tcp = p.flow.proto == IpProto::kTcp;
  const size_t l4h = is_tcp ? 20 : 8;
  const size_t link = dlt == DLT_LINUX_SLL2 ? 20 : vlan ? 18 : 14;
  std::vector<uint8_t> b(link + 20 + l4h + p.payload, 0);
  if (dlt == DLT_LINUX_SLL2) {
    put16(b, 0, 0x0800);
  } else if (vlan) {
    put16(b, 12, 0x8100), put16(b, 14, 7), put16(b, 16, 0x0800);
  } else {
    put16(b, 12, 0x0800);
  }
  const size_t ip = link;
  b[ip] = 0x45;
  put16(b, ip + 2, static_cast<uint16_t>(20 + l4h + p.payload));
  b[ip + 8] = 64;
  b[ip + 9] = is_tcp ? 6 : 17;
  std::copy_n(p.flow.src.bytes.begin(), 4, b.begin() + static_cast<long>(ip + 12));
  std::copy_n(p.flow.dst.bytes.begin(), 4, b.begin() + static_cast<long>(ip + 16));
  const size_t l4 = ip + 20;
  put16(b, l4, p.flow.src_port);
  put16(b, l4 + 2, p.flow.dst_port);
  if (is_tcp) {
    put32(b, l4 + 4, p.seq);
    b[l4 + 12] = 5 << 4;
    b[l4 + 13] = 0x10;  // ACK
  } else {
    put16(b, l4 + 4, static_cast<uint16_t>(8 + p.payload));
  }
  return b;
}

class TempDir {
 public:
  TempDir() : dir_(std::filesystem::temp_directory_path() / ("lh_pcap_test_" + std::to_string(getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~TempDir() { std::filesystem::remove_all(dir_); }
  std::filesystem::path operator/(const std::string& name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
};

void write_capture(const std::filesystem::path& file, int dlt, bool vlan, const std::vector<Pkt>& pkts,
                   uint32_t snaplen = 65535) {
  pcap_t* dead = pcap_open_dead_with_tstamp_precision(dlt, static_cast<int>(snaplen), PCAP_TSTAMP_PRECISION_NANO);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t* d = pcap_dump_open(dead, file.c_str());
  ASSERT_NE(d, nullptr) << pcap_geterr(dead);
  const auto dump = [&](Nanos t, const std::vector<uint8_t>& b) {
    pcap_pkthdr h{};
    h.ts.tv_sec = t.ns / 1'000'000'000;
    h.ts.tv_usec = t.ns % 1'000'000'000;  // nanoseconds: the dumper was opened with NANO precision
    h.len = static_cast<uint32_t>(b.size());
    h.caplen = std::min(h.len, snaplen);
    pcap_dump(reinterpret_cast<u_char*>(d), &h, b.data());
  };
  std::vector<uint8_t> arp(42, 0);
  if (dlt == DLT_EN10MB) arp[12] = 0x08, arp[13] = 0x06;  // ARP: not IP, skipped
  dump(Nanos::from_s(1'700'000'000), arp);
  for (const Pkt& p : pkts) dump(p.t, frame(dlt, vlan, p));
  pcap_dump_close(d);
  pcap_close(dead);
}

// Three gradient messages per step (A→B, B→A, and a second bucket A→B), two steps, with MSS-sized
// segments 10 µs apart, pure ACKs interleaved, one retransmitted segment, and UDP chatter on 29500.
struct Synthetic {
  std::vector<Pkt> pkts;
  std::vector<TraceEvent> expected;
};

Synthetic synthetic() {
  Synthetic s;
  const Nanos base = Nanos::from_s(1'700'000'000) + Nanos{123};
  const FlowKey udp{.src = kA, .dst = kB, .src_port = 29500, .dst_port = 29500, .proto = IpProto::kUdp};
  uint32_t seq_ab = 1'000'000, seq_ba = 5;
  const auto burst = [&](Nanos start, const FlowKey& f, uint32_t& seq, uint32_t bytes) {
    Nanos t = start;
    for (uint32_t left = bytes; left > 0;) {
      const uint32_t n = std::min<uint32_t>(left, 1448);
      s.pkts.push_back({t, f, seq, n});
      s.pkts.push_back({t + Nanos{3'000}, f == kAB ? kBA : kAB, 0, 0});  // pure ACK back
      seq += n, left -= n, t += us(10);
    }
    return t - us(10);  // the last segment's time
  };
  const SiteRank a{0, 0}, b{1, 0};
  Nanos previous_end;  // the last segment of the previous step: compute of this step starts there
  for (uint32_t step = 0; step < 2; ++step) {
    const Nanos s0 = base + Nanos::from_ms(300) * step;
    const Nanos compute = step == 0 ? Nanos{} : s0 - previous_end;
    burst(s0, kAB, seq_ab, 100'000);
    s.pkts.push_back({s0 + us(150), kAB, seq_ab - 2'000, 1'448});  // a retransmission inside the burst
    burst(s0 + us(200), kBA, seq_ba, 100'000);
    const Nanos last = burst(s0 + us(3'000), kAB, seq_ab, 5'000);
    s.pkts.push_back({s0 + us(1'000), udp, 0, 64});  // store chatter, filtered out by --flows
    s.expected.push_back({.t = s0 - base, .step = step, .src = a, .dst = b, .bytes = 100'000,
                          .op = CollectiveOp::kAllReduce, .bucket = 0, .after_compute = compute});
    s.expected.push_back({.t = s0 - base + us(200), .step = step, .src = b, .dst = a, .bytes = 100'000,
                          .op = CollectiveOp::kAllReduce, .bucket = 1, .after_compute = compute + us(200)});
    s.expected.push_back({.t = s0 - base + us(3'000), .step = step, .src = a, .dst = b, .bytes = 5'000,
                          .op = CollectiveOp::kAllReduce, .bucket = 2, .after_compute = compute + us(3'000)});
    previous_end = last;
  }
  std::stable_sort(s.pkts.begin(), s.pkts.end(), [](const Pkt& x, const Pkt& y) { return x.t < y.t; });
  return s;
}

GradientTrace import(const std::filesystem::path& file, const std::string& flows) {
  const PcapCapture cap = read_pcap(file, flows);
  MessageAssembler a({.burst_gap = Nanos::from_ms(1), .step_gap = Nanos::from_ms(100)});
  for (const CapturedPacket& p : cap.packets) a.add(p);
  TraceOptions o;
  o.op = CollectiveOp::kAllReduce;
  o.provenance.tool = "test";
  return build_gradient_trace(a.finish(), o);
}

TEST(PcapFile, EthernetCaptureRecoversEveryMessageExactly) {
  TempDir tmp;
  const Synthetic s = synthetic();
  for (const bool vlan : {false, true}) {
    write_capture(tmp / "eth.pcap", DLT_EN10MB, vlan, s.pkts);
    const GradientTrace t = import(tmp / "eth.pcap", vlan ? "vlan and tcp" : "tcp");
    EXPECT_EQ(t.events, s.expected) << (vlan ? "with VLAN tag" : "untagged");
    EXPECT_EQ(t.provenance.steps, 2u);
  }
}

TEST(PcapFile, CookedV2CaptureWithShortSnaplenCountsPayloadFromIpHeader) {
  TempDir tmp;
  const Synthetic s = synthetic();
  write_capture(tmp / "sll2.pcap", DLT_LINUX_SLL2, false, s.pkts, 96);  // tcpdump -i any -s 96
  const PcapCapture cap = read_pcap(tmp / "sll2.pcap", "");
  EXPECT_EQ(cap.link_type, "LINUX_SLL2");
  EXPECT_EQ(cap.stats.frames, s.pkts.size() + 1);
  EXPECT_EQ(cap.stats.not_ip, 1u);
  EXPECT_EQ(import(tmp / "sll2.pcap", "not udp port 29500").events, s.expected);
}

TEST(PcapFile, BadFilesAndFiltersGiveClearErrors) {
  TempDir tmp;
  const auto error_of = [](const std::filesystem::path& f, const std::string& filter) -> std::string {
    try {
      read_pcap(f, filter);
    } catch (const ParseError& e) {
      return e.what();
    }
    return "no error";
  };
  std::ofstream(tmp / "notes.txt") << "this is not a capture\n";
  EXPECT_THAT(error_of(tmp / "notes.txt", ""), HasSubstr("notes.txt: not a readable pcap or pcapng capture"));
  EXPECT_THAT(error_of(tmp / "missing.pcap", ""), HasSubstr("missing.pcap: cannot open: no such file"));

  write_capture(tmp / "eth.pcap", DLT_EN10MB, false, synthetic().pkts);
  EXPECT_THAT(error_of(tmp / "eth.pcap", "tcp port banana"), HasSubstr("--flows \"tcp port banana\""));
  const auto size = std::filesystem::file_size(tmp / "eth.pcap");
  std::filesystem::resize_file(tmp / "eth.pcap", size - 7);  // cut in the middle of the last frame
  EXPECT_THAT(error_of(tmp / "eth.pcap", ""), HasSubstr("eth.pcap: bad capture after"));

  pcap_t* dead = pcap_open_dead(DLT_IEEE802_11, 65535);
  pcap_dumper_t* d = pcap_dump_open(dead, (tmp / "wifi.pcap").c_str());
  pcap_dump_close(d);
  pcap_close(dead);
  EXPECT_THAT(error_of(tmp / "wifi.pcap", ""), HasSubstr("wifi.pcap: unsupported link type IEEE802_11"));
}

// Linux cooked v1 (16-byte header, protocol at 14) carrying IPv6 with a hop-by-hop header, then UDP;
// and one IPv6 fragment (skipped). decode_frame on hand-made bytes, no file needed.
TEST(PcapFile, CookedV1Ipv6UdpThroughAnExtensionHeader) {
  std::vector<uint8_t> f(16 + 40 + 8 + 8 + 100, 0);
  put16(f, 14, 0x86DD);
  const size_t ip = 16;
  f[ip] = 0x60;
  put16(f, ip + 4, 8 + 8 + 100);  // payload length: extension header + UDP header + data
  f[ip + 6] = 0;                  // next: hop-by-hop
  const IpAddress a6 = parse_ip_address("fd00::1"), b6 = parse_ip_address("fd00::2");
  std::copy(a6.bytes.begin(), a6.bytes.end(), f.begin() + ip + 8);
  std::copy(b6.bytes.begin(), b6.bytes.end(), f.begin() + ip + 24);
  f[ip + 40] = 17;  // hop-by-hop → UDP, 8 bytes long
  const size_t udp = ip + 48;
  put16(f, udp, 4791), put16(f, udp + 2, 4792), put16(f, udp + 4, 108);
  PcapReadStats stats;
  const auto p = decode_frame(DLT_LINUX_SLL, f, Nanos{7}, stats);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(to_string(p->flow), "udp [fd00::1]:4791 > [fd00::2]:4792");
  EXPECT_EQ(p->payload, 100u);
  EXPECT_FALSE(p->tcp_seq.has_value());
  f[ip + 40] = 44;  // now a fragment header: skipped and counted
  EXPECT_FALSE(decode_frame(DLT_LINUX_SLL, f, Nanos{7}, stats).has_value());
  EXPECT_EQ(stats.fragments, 1u);
  EXPECT_FALSE(decode_frame(DLT_LINUX_SLL, std::span(f).first(30), Nanos{7}, stats).has_value());
  EXPECT_EQ(stats.truncated, 1u);
}

// The subcommand end to end: flags → file → trace that validates; no match → error naming the file.
TEST(FromPcapCommand, WritesAValidTraceAndRejectsEmptySelections) {
  TempDir tmp;
  write_capture(tmp / "eth.pcap", DLT_EN10MB, false, synthetic().pkts);
  const auto run = [](std::vector<std::string> args) {
    CLI::App app;
    add_from_pcap_command(app);
    args.insert(args.begin(), "from-pcap");
    std::reverse(args.begin(), args.end());
    app.parse(args);
  };
  const std::string out = (tmp / "t.jsonl").string();
  run({(tmp / "eth.pcap").string(), "--flows", "tcp", "--sites", "10.77.0.1=1,10.77.0.2=0", "--op", "all-reduce",
       "--source", "recorded", "--params", "4200000", "--out", out});
  const GradientTrace t = load_gradient_trace(out);
  EXPECT_EQ(t.provenance.source, "recorded");
  EXPECT_EQ(t.provenance.params, 4'200'000u);
  EXPECT_THAT(t.provenance.tool, HasSubstr("lh-trace from-pcap "));
  EXPECT_THAT(t.provenance.tool, HasSubstr("--flows tcp --sites 10.77.0.1=1,10.77.0.2=0"));
  ASSERT_EQ(t.events.size(), 6u);
  EXPECT_EQ(t.events[0].src, (SiteRank{1, 0}));  // --sites, not first appearance
  try {
    run({(tmp / "eth.pcap").string(), "--flows", "icmp", "--out", out});
    FAIL() << "expected an error";
  } catch (const ParseError& e) {
    EXPECT_THAT(e.what(), HasSubstr("eth.pcap: no packets matched"));
  }
  EXPECT_THROW(run({(tmp / "eth.pcap").string(), "--burst-gap", "5", "--out", out}), ParseError);
  EXPECT_THROW(run({(tmp / "eth.pcap").string(), "--burst-gap", "1s", "--out", out}), ParseError);
}

}  // namespace
}  // namespace lh::traces
