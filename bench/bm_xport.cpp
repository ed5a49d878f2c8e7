// bm_xport.cpp — micro-benchmarks of the longhaul protocol engine's per-packet work.
//
// Encode/decode of a full data packet (CRC32C included), CRC32C of a 1400-byte payload (ISA-L), SACK
// generation (32 ranges) and the receive path with placement (decode, rkey/bounds check, copy into
// the region, per-operation XXH3 verification). Compare against BM_Memcpy1400 in the same run.
#include <benchmark/benchmark.h>
#include <xxhash.h>

#include <cstring>
#include <memory>
#include <vector>

#include "transport/proto/connection.hpp"
#include "transport/proto/range_set.hpp"
#include "transport/proto/wire.hpp"

namespace {

using namespace lh;
using namespace lh::xport;

constexpr size_t kPayload = 1398;

void BM_Memcpy1400(benchmark::State& state) {
  std::vector<uint8_t> a(1400, 1), b(1400);
  for (auto _ : state) {
    std::memcpy(b.data(), a.data(), a.size());
    benchmark::DoNotOptimize(b.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1400);
}
BENCHMARK(BM_Memcpy1400);

void BM_Crc32c1400(benchmark::State& state) {
  std::vector<uint8_t> a(1400, 7);
  for (auto _ : state) benchmark::DoNotOptimize(wire::crc32c(a));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 1400);
}
BENCHMARK(BM_Crc32c1400);

wire::DataFrame sample_frame() {
  return wire::DataFrame{.flags = 0, .op_id = 3, .key = 0x1234, .base_off = 0, .total_len = 1 << 30,
                         .frag_off = 1 << 20};
}

void BM_EncodeDataPacket(benchmark::State& state) {
  std::vector<uint8_t> payload(kPayload, 3), buf(1472);
  uint64_t pn = 0;
  for (auto _ : state) {
    wire::PacketWriter w(buf, wire::Header{.dest_cid = 9, .pn = pn++});
    w.put_data(sample_frame(), payload);
    benchmark::DoNotOptimize(w.finish());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_EncodeDataPacket);

void BM_DecodeDataPacket(benchmark::State& state) {
  std::vector<uint8_t> payload(kPayload, 3), buf(1472);
  wire::PacketWriter w(buf, wire::Header{.dest_cid = 9, .pn = 1});
  w.put_data(sample_frame(), payload);
  buf.resize(w.finish());
  for (auto _ : state) {
    wire::Header h;
    std::span<const uint8_t> frames;
    wire::Frame f;
    benchmark::DoNotOptimize(wire::decode_packet(buf, h, frames));
    wire::FrameReader r(frames);
    benchmark::DoNotOptimize(r.next(f));
    benchmark::DoNotOptimize(f.data.payload.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DecodeDataPacket);

// Receiver side of SACK: record a packet number in a set with 32 holes, build and encode the ACK.
void BM_SackGenerate(benchmark::State& state) {
  RangeSet<256> received;
  for (uint64_t i = 0; i < 32; ++i) received.insert(i * 100, i * 100 + 90);
  std::vector<uint8_t> buf(1472);
  uint64_t pn = 32 * 100;
  for (auto _ : state) {
    received.insert_evicting(pn, pn + 1);
    ++pn;
    wire::AckFrame ack;
    ack.range_count = 0;
    for (size_t i = received.size(); i > 0 && ack.range_count < wire::kMaxAckRanges; --i)
      ack.ranges[ack.range_count++] = wire::PnRange{received[i - 1].lo, received[i - 1].hi - 1};
    wire::PacketWriter w(buf, wire::Header{.dest_cid = 1, .pn = pn});
    w.put_ack(ack);
    benchmark::DoNotOptimize(w.finish());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SackGenerate);

// Sender side of SACK: decode an ACK frame with 32 ranges.
void BM_SackDecode(benchmark::State& state) {
  wire::AckFrame ack;
  ack.range_count = 32;
  for (uint64_t i = 0; i < 32; ++i) ack.ranges[i] = wire::PnRange{10'000 - i * 100 - 90, 10'000 - i * 100};
  std::vector<uint8_t> buf(1472);
  wire::PacketWriter w(buf, wire::Header{.dest_cid = 1, .pn = 1});
  w.put_ack(ack);
  buf.resize(w.finish());
  for (auto _ : state) {
    wire::Header h;
    std::span<const uint8_t> frames;
    wire::Frame f;
    wire::decode_packet(buf, h, frames);
    wire::FrameReader r(frames);
    benchmark::DoNotOptimize(r.next(f));
    benchmark::DoNotOptimize(f.ack.ranges[31].lo);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_SackDecode);

// Full receive path of one single-fragment WRITE: CRC, decode, rkey/bounds check, copy into the
// region, coverage, XXH3 verification, completion. Every iteration is a new packet and operation.
void BM_ReceivePlacement(benchmark::State& state) {
  MemoryRegistry mem_c(1), mem_s(2);
  CompletionQueue cq_c, cq_s;
  Nanos now{1'000'000'000};
  const ConnectionConfig cfg{.max_window = 1 << 20};
  Connection client(Connection::Role::kClient, cfg, 0xA1, mem_c, cq_c, now);
  Connection server(Connection::Role::kServer, cfg, 0xB2, mem_s, cq_s, now);
  uint8_t buf[2048];
  for (int i = 0; i < 4; ++i) {  // handshake
    for (size_t n; (n = client.poll_transmit(now, buf)) > 0;) server.on_datagram({buf, n}, now);
    for (size_t n; (n = server.poll_transmit(now, buf)) > 0;) client.on_datagram({buf, n}, now);
    now += Nanos::from_ms(3);
  }
  std::vector<uint8_t> region(64 << 20);
  const MemoryRegion mr = mem_s.register_region(region);
  std::vector<uint8_t> payload(kPayload, 5);
  const uint64_t checksum = XXH3_64bits(payload.data(), payload.size());
  constexpr size_t kBatch = 1024;
  std::vector<std::vector<uint8_t>> batch(kBatch, std::vector<uint8_t>(1472));
  std::vector<size_t> lens(kBatch);
  uint64_t pn = 1000;
  uint32_t op = 1;
  size_t next = kBatch;
  for (auto _ : state) {
    if (next == kBatch) {  // pre-encode the next batch of fresh packets outside the timed region
      state.PauseTiming();
      for (size_t i = 0; i < kBatch; ++i, ++pn) {
        wire::PacketWriter w(batch[i], wire::Header{.dest_cid = 0xB2, .pn = pn});
        w.put_data(wire::DataFrame{.flags = wire::kDataFlagLast, .op_id = op++, .key = mr.rkey,
                                   .base_off = (pn % 40'000) * kPayload, .total_len = kPayload, .frag_off = 0,
                                   .checksum = checksum},
                   payload);
        lens[i] = w.finish();
      }
      next = 0;
      state.ResumeTiming();
    }
    server.on_datagram({batch[next].data(), lens[next]}, now);
    ++next;
    benchmark::DoNotOptimize(cq_s.poll());
  }
  if (server.stats().placed_bytes != state.iterations() * kPayload) state.SkipWithError("not every packet was placed");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kPayload));
}
BENCHMARK(BM_ReceivePlacement);

}  // namespace

BENCHMARK_MAIN();
