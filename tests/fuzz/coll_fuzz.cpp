// coll_fuzz.cpp — fuzz target of a collectives Communicator (transport/coll/communicator.hpp) facing
// a hostile peer: everything a peer controls reaches it through its Fabric — the landing-key message
// (bytes of its choosing in the posted receive), the immediate of each WRITE that lands, the
// completion kinds and statuses, and arrivals for operations not started. Rank 0 of 3 (so it has a
// left and a right neighbour), a ring or hierarchical plan, with all-reduces started as the input says.
//
// Input: [config u8] then records [kind u8][peer u8][status u8][a u32][b u32][16 key bytes]. kind % 6:
// 0 a key message (the 16 bytes after the valid magic, or raw when a bit 0 is set), 1 a remote WRITE
// with immediate a, 2 a WRITE completion with wr_id (b << 32 | a), 3 a SEND completion, 4 start an
// all-reduce of (a % 4096) bytes, 5 poll at time b ms. Checks: never a crash (ASan/UBSan), state
// transitions only as documented, bounded memory (early arrivals capped), and a failed communicator
// stays failed with an error that names a rank.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "transport/coll/communicator.hpp"

namespace lh::coll::fuzz {
namespace {

[[noreturn]] void violation(const char* what) {
  std::fprintf(stderr, "coll fuzz: %s\n", what);
  std::abort();
}

class FakeFabric final : public Fabric {
 public:
  xport::MemoryRegion register_for(uint32_t, std::span<uint8_t> bytes) override {
    return xport::MemoryRegion{.rkey = ++rkeys_, .base = bytes.data(), .length = bytes.size()};
  }
  xport::PostResult post_write(uint32_t, const xport::WriteRequest& w) override {
    if (w.local.empty() && w.imm.has_value() == false) violation("an empty WRITE without immediate");
    ++writes;
    return xport::PostResult::kOk;
  }
  xport::PostResult post_send(uint32_t, uint64_t, std::span<const uint8_t>) override { return xport::PostResult::kOk; }
  xport::PostResult post_recv(uint32_t peer, uint64_t wr_id, std::span<uint8_t> buffer) override {
    recvs.push_back({peer, wr_id, buffer});
    return xport::PostResult::kOk;
  }
  std::optional<Event> poll() override {
    if (events.empty()) return std::nullopt;
    Event e = events.front();
    events.erase(events.begin());
    return e;
  }
  std::string link_error(uint32_t) const override { return ""; }

  struct Recv {
    uint32_t peer;
    uint64_t wr_id;
    std::span<uint8_t> buffer;
  };
  std::vector<Recv> recvs;
  std::vector<Event> events;
  uint64_t writes = 0;

 private:
  uint64_t rkeys_ = 0;
};

}  // namespace
}  // namespace lh::coll::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lh::coll;
  using namespace lh::coll::fuzz;
  if (size == 0) return 0;
  FakeFabric fabric;
  CommConfig cfg{.rank = 0, .size = 3, .max_bytes = 4096, .op_timeout = lh::Nanos::from_ms(500)};
  if (data[0] & 1) cfg.site_of = {0, 1, 0}, cfg.size = 3;        // unequal sites: the ring
  if (data[0] & 2) cfg.size = 4, cfg.site_of = {0, 1, 0, 1};    // hierarchical
  Communicator comm(cfg, fabric);
  std::vector<uint8_t> buf(4096);
  lh::Nanos now{0};
  size_t pos = 1;
  while (pos + 27 <= size) {
    const uint8_t* r = data + pos;
    pos += 27;
    uint32_t a = 0, b = 0;
    std::memcpy(&a, r + 3, 4);
    std::memcpy(&b, r + 7, 4);
    const uint32_t peer = r[1] % (cfg.size + 1);  // sometimes out of range
    const auto status = static_cast<lh::xport::Status>(r[2] % 8);
    switch (r[0] % 6) {
      case 0:
        for (const auto& rv : fabric.recvs) {
          if (rv.peer != peer || rv.buffer.size() < 24) continue;
          if (!(a & 1)) {  // a well-formed header, the rest the peer's
            const uint64_t magic = uint64_t{1} << 32 | 0x4B43484C;
            std::memcpy(rv.buffer.data(), &magic, 8);
            std::memcpy(rv.buffer.data() + 8, r + 11, 16);
          } else {
            std::memcpy(rv.buffer.data(), r + 11, 16);
          }
          fabric.events.push_back({peer, {.wr_id = rv.wr_id, .kind = lh::xport::OpKind::kRecv, .status = status,
                                          .byte_len = b % 2 ? 24u : b % 64}});
        }
        break;
      case 1:
        fabric.events.push_back({peer, {.kind = lh::xport::OpKind::kRemoteWrite, .status = status, .has_imm = true,
                                        .imm = a, .byte_len = b}});
        break;
      case 2:
        fabric.events.push_back({peer, {.wr_id = uint64_t{b} << 32 | a, .kind = lh::xport::OpKind::kWrite, .status = status}});
        break;
      case 3:
        fabric.events.push_back({peer, {.wr_id = uint64_t{b} << 32 | a, .kind = lh::xport::OpKind::kSend, .status = status}});
        break;
      case 4: {
        const size_t bytes = (a % 1024) * 4;
        const Communicator::State before = comm.state();
        const bool started = comm.start_all_reduce(std::span(buf).first(bytes), DataType::kI32, RedOp::kSum);
        if (started && before != Communicator::State::kReady) violation("started while not ready");
        break;
      }
      case 5:
        now += lh::Nanos::from_ms(b % 1000);
        break;
    }
    const bool was_failed = comm.state() == Communicator::State::kFailed;
    comm.poll(now);
    if (was_failed && comm.state() != Communicator::State::kFailed) violation("a failed communicator recovered");
    if (comm.state() == Communicator::State::kFailed && comm.error().rfind("rank ", 0) != 0) violation("error names no rank");
    if (fabric.events.size() > 100'000) violation("events pile up");
  }
  if (std::getenv("LH_FUZZ_VERBOSE"))
    std::fprintf(stderr, "state %d completed %llu writes %llu error '%s'\n", static_cast<int>(comm.state()),
                 static_cast<unsigned long long>(comm.completed()), static_cast<unsigned long long>(fabric.writes),
                 comm.error().c_str());
  return 0;
}
