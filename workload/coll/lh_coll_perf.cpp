// lh-coll-perf — the nccl-tests of this project: one process per rank runs a collective over a sweep
// of sizes on the longhaul transport (or the TCP baseline, the same algorithms held fixed) and prints
// nccl-tests' columns — size, count, type, redop, time, algbw, busbw, #wrong — or JSON lines.
//
//   lh-coll-perf --rank 0 --ranks 10.0.0.1:7100,10.0.0.2:7100 --transport longhaul --op allreduce
//   lh-coll-perf --rank 1 --ranks 10.0.0.1:7100,10.0.0.2:7100 --transport longhaul --op allreduce
//
// Rendezvous is static: rank r listens on the r-th address of --ranks and connects to every higher
// rank's (a SEND of its rank number names the channel), like an MPI host list. Every rank runs the
// same sweep; each result is checked (integer-valued inputs, so every sum is exact).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "src/cli_parse.hpp"
#include "src/host_port.hpp"
#include "src/units.hpp"
#include "transport/coll/communicator.hpp"
#include "workload/common/coll_fabric.hpp"
#include "workload/common/live_transport.hpp"
#include "workload/common/psk_file.hpp"

namespace {

using namespace lh;
using workload::Channel;
using workload::ChannelState;

struct Fail : std::runtime_error {  // exit 1: the run failed
  using std::runtime_error::runtime_error;
};
struct Usage : std::runtime_error {  // exit 2: the command line is wrong
  using std::runtime_error::runtime_error;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == ',') {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// nccl-tests' bus bandwidth factor: what each rank's links carry relative to the buffer.
double bus_factor(coll::Collective kind, uint32_t n) {
  switch (kind) {
    case coll::Collective::kAllReduce: return 2.0 * (n - 1) / n;
    case coll::Collective::kReduceScatter:
    case coll::Collective::kAllGather: return static_cast<double>(n - 1) / n;
    case coll::Collective::kBroadcast: return 1.0;
  }
  return 1.0;
}

int32_t input(uint32_t rank, size_t i) { return static_cast<int32_t>((i * 7 + rank * 3) % 64) - 32; }

struct Rank {
  uint32_t rank = 0, size = 0;
  std::unique_ptr<workload::LiveTransport> server;
  std::vector<std::unique_ptr<workload::LiveTransport>> clients;  // one per higher rank
  std::vector<workload::ChannelFabric::Link> links;
  std::vector<std::array<uint8_t, 4>> hello_out, hello_in;
  std::vector<Channel*> pending;  // accepted channels whose hello has not arrived

  // One turn of every transport's loop; the server's may wait up to 20 µs for I/O (the others'
  // waits would delay it), so an idle rank sleeps in io_uring instead of spinning.
  void turn() {
    for (auto& c : clients) c->turn(Nanos{0});
    server->turn(Nanos::from_us(20));
  }
  [[nodiscard]] Nanos now() const { return server->now(); }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"lh-coll-perf — collectives over a sweep of sizes on the longhaul transport or the TCP baseline, "
               "nccl-tests' columns"};
  uint32_t rank = 0, iters = 5, warmup = 1;
  std::string ranks, sites, transport = "longhaul", op_name = "allreduce", type_name = "float", redop_name = "sum",
              min_bytes = "1KiB", max_bytes = "64MiB", timeout = "60s", json, psk;
  double factor = 2;
  bool auth_only = false;
  app.add_option("--rank", rank, "this process's rank")->required();
  app.add_option("--ranks", ranks, "every rank's ADDR:PORT in rank order, comma-separated")->required();
  app.add_option("--sites", sites, "every rank's site number (comma-separated; default: all in one site); all-reduce "
                                   "is site-aware when there are several sites of equal size");
  app.add_option("--transport", transport, std::string("transport: ") + std::string(workload::kTransportForms));
  app.add_option("--psk", psk, "longhaul: protected mode with the pre-shared key in FILE (as lh-xfer --psk)");
  app.add_flag("--auth-only", auth_only, "longhaul, with --psk: authenticate, do not encrypt");
  app.add_option("--op", op_name, "allreduce, reducescatter, allgather or broadcast (root 0)");
  app.add_option("--type", type_name, "float, half, bfloat16, int32 or int64");
  app.add_option("--redop", redop_name, "sum, avg, min or max");
  app.add_option("--min-bytes", min_bytes, "smallest buffer (e.g. 1KiB)");
  app.add_option("--max-bytes", max_bytes, "largest buffer (e.g. 64MiB; each peer link holds 4x this in landing buffers)");
  app.add_option("--factor", factor, "size multiplier between points (> 1)");
  app.add_option("--iters", iters, "timed operations per size")->check(CLI::Range(1u, 100000u));
  app.add_option("--warmup", warmup, "untimed operations per size first")->check(CLI::Range(0u, 1000u));
  app.add_option("--timeout", timeout, "an operation's deadline (its WRITEs' too)");
  app.add_option("--json", json, "write JSON Lines (one object per size) to FILE, or - for stdout instead of the table");
  if (const auto code = parse_command_line(app, argc, argv, "lh-coll-perf")) return *code;

  try {
    const std::vector<std::string> addrs = split(ranks);
    const auto n = static_cast<uint32_t>(addrs.size());
    if (n < 2) throw Usage("--ranks needs at least two addresses");
    if (rank >= n) throw Usage(fmt::format("--rank {} is not below the {} ranks of --ranks", rank, n));
    for (const std::string& a : addrs) {
      try {
        parse_host_port(a);
      } catch (const std::exception& e) {
        throw Usage("--ranks: " + std::string(e.what()));
      }
    }
    std::vector<uint32_t> site_of;
    if (!sites.empty()) {
      for (const std::string& s : split(sites)) {
        uint32_t v = 0;
        const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || ec != std::errc() || p != s.data() + s.size()) throw Usage("--sites: '" + s + "' is not a site number");
        site_of.push_back(v);
      }
      if (site_of.size() != n) throw Usage(fmt::format("--sites has {} entries for {} ranks", site_of.size(), n));
    }
    workload::TransportSpec spec;
    uint64_t lo = 0, hi = 0;
    Nanos deadline_each{0};
    try {
      spec = workload::parse_transport_spec(transport);
      lo = parse_bytes(min_bytes).n;
      hi = parse_bytes(max_bytes).n;
      deadline_each = parse_duration(timeout);
    } catch (const std::exception& e) {
      throw Usage(e.what());
    }
    std::shared_ptr<const std::vector<uint8_t>> key;
    try {
      key = workload::resolve_protection(spec, psk, auth_only);
    } catch (const std::invalid_argument& e) {
      throw Usage(e.what());
    }
    const std::map<std::string, coll::Collective> ops = {{"allreduce", coll::Collective::kAllReduce},
                                                         {"reducescatter", coll::Collective::kReduceScatter},
                                                         {"allgather", coll::Collective::kAllGather},
                                                         {"broadcast", coll::Collective::kBroadcast}};
    if (!ops.contains(op_name)) throw Usage("--op " + op_name + ": allreduce, reducescatter, allgather or broadcast");
    const coll::Collective kind = ops.at(op_name);
    const auto type = coll::parse_data_type(type_name);
    if (!type) throw Usage("--type " + type_name + ": float, half, bfloat16, int32 or int64");
    const auto redop = coll::parse_red_op(redop_name);
    if (!redop) throw Usage("--redop " + redop_name + ": sum, avg, min or max");
    if (lo == 0 || hi < lo) throw Usage("--min-bytes must be above 0 and at most --max-bytes");
    if (!(factor > 1)) throw Usage("--factor must be above 1");
    if (deadline_each.ns <= 0) throw Usage("--timeout must be above 0s");

    // Transports: a server on our address, a client to every higher rank.
    Rank me{.rank = rank, .size = n};
    workload::LiveOptions base{.transport = spec, .max_channels = n, .psk = key, .tool = "lh-coll-perf"};
    workload::LiveOptions so = base;
    so.listen = addrs[rank];
    me.server = workload::open_live_transport(so);
    me.links.resize(n);
    me.hello_out.resize(n);
    me.hello_in.resize(64);
    for (uint32_t q = rank + 1; q < n; ++q) {
      workload::LiveOptions co = base;
      co.peer = addrs[q];
      me.clients.push_back(workload::open_live_transport(co));
      Channel& ch = me.clients.back()->endpoint().connect(me.now());
      me.links[q] = {&me.clients.back()->endpoint(), &ch};
      std::memcpy(me.hello_out[q].data(), &rank, 4);
    }
    // Rendezvous: each client channel says its rank once it is up; accepted channels are named by it.
    std::vector<bool> said(n, false);
    std::vector<Nanos> retry_at(n, Nanos{0});
    std::vector<std::string> last_error(n);
    size_t accepted = 0, named = 0;
    const Nanos setup_deadline = me.now() + Nanos::from_s(30);
    while (named < rank || std::count(said.begin() + rank + 1, said.end(), true) < static_cast<long>(n - rank - 1)) {
      if (me.now() > setup_deadline) {
        std::string why;
        for (uint32_t q = rank + 1; q < n; ++q)
          if (!said[q]) why += fmt::format("; rank {} at {}: {}", q, addrs[q], last_error[q].empty() ? "no answer" : last_error[q]);
        throw Fail("rendezvous: not every rank connected within 30 s" + why);
      }
      me.turn();
      for (uint32_t q = rank + 1; q < n; ++q) {
        Channel& ch = *me.links[q].ch;
        if (ended(ch.state())) {
          // The peer's process may not listen yet (TCP refuses at once): connect again, every 100 ms,
          // until the rendezvous deadline.
          if (said[q]) throw Fail(fmt::format("rank {} at {}: {}", q, addrs[q], ch.error()));
          if (me.now() < retry_at[q]) continue;
          last_error[q] = ch.error();
          workload::TransportEndpoint& ep = *me.links[q].ep;
          ep.forget(ch);
          me.links[q].ch = &ep.connect(me.now());
          retry_at[q] = me.now() + Nanos::from_ms(100);
          continue;
        }
        if (!said[q] && ch.state() == ChannelState::kUp && ch.post_send(1, me.hello_out[q]) == xport::PostResult::kOk)
          said[q] = true;
      }
      while (Channel* ch = me.server->endpoint().poll_accept()) {
        if (accepted >= me.hello_in.size()) throw Fail("rendezvous: more connections than ranks");
        ch->post_recv(2 + accepted, me.hello_in[accepted]);
        me.pending.push_back(ch);
        ++accepted;
      }
      while (auto c = me.server->endpoint().poll_completion()) {
        if (c->kind != xport::OpKind::kRecv || c->status != xport::Status::kSuccess || c->byte_len != 4) continue;
        uint32_t from = 0;
        std::memcpy(&from, me.hello_in[c->wr_id - 2].data(), 4);
        for (Channel* ch : me.pending)
          if (ch->id() == c->conn && from < rank && me.links[from].ch == nullptr) {
            me.links[from] = {&me.server->endpoint(), ch};
            ++named;
          }
      }
      for (auto& cl : me.clients)
        while (cl->endpoint().poll_completion()) {
        }
    }

    workload::ChannelFabric fabric(me.links);
    coll::Communicator comm({.rank = rank, .size = n, .site_of = site_of, .max_bytes = hi, .op_timeout = deadline_each},
                            fabric);
    auto drive = [&](Nanos limit) {
      const Nanos end = me.now() + limit;
      while (me.now() < end) {
        comm.poll(me.now());
        if (comm.state() == coll::Communicator::State::kFailed) throw Fail(comm.error());
        if (comm.ready()) return;
        me.turn();
      }
      throw Fail("no progress within " + format(limit));
    };
    drive(Nanos::from_s(30));

    const size_t elem = coll::size_of(*type);
    std::vector<uint8_t> buf(hi);
    const bool table = json.empty() || json != "-";
    std::FILE* out = stdout;
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> json_file(nullptr, &std::fclose);
    if (!json.empty() && json != "-") {
      json_file.reset(std::fopen(json.c_str(), "w"));
      if (!json_file) throw Fail("--json " + json + ": cannot write");
    }
    if (table && rank == 0) {
      std::printf("# lh-coll-perf: %s, %u ranks, %s, %s %s, algorithm %s\n", spec.name().c_str(), n, op_name.c_str(),
                  std::string(coll::to_string(*type)).c_str(), std::string(coll::to_string(*redop)).c_str(),
                  comm.algorithm() == coll::Algorithm::kHierarchical ? "hierarchical" : "ring");
      std::printf("#%12s %12s %9s %7s %10s %8s %8s %7s\n", "size", "count", "type", "redop", "time", "algbw", "busbw", "#wrong");
      std::printf("#%12s %12s %9s %7s %10s %8s %8s %7s\n", "(B)", "(elements)", "", "", "(us)", "(GB/s)", "(GB/s)", "");
    }
    for (double size = static_cast<double>(lo); size <= static_cast<double>(hi) * 1.0000001; size *= factor) {
      const uint64_t count = std::max<uint64_t>(1, static_cast<uint64_t>(size) / elem);
      const std::span<uint8_t> b(buf.data(), count * elem);
      auto fill = [&] {
        // Integer-valued inputs (every type holds them exactly; sums of n of them too).
        for (uint64_t i = 0; i < count; ++i) {
          const double v = input(rank, i);
          uint8_t* p = b.data() + i * elem;
          switch (*type) {
            case coll::DataType::kF32: { const float f = static_cast<float>(v); std::memcpy(p, &f, 4); break; }
            case coll::DataType::kF16: { const _Float16 h = static_cast<_Float16>(v); std::memcpy(p, &h, 2); break; }
            case coll::DataType::kBF16: { const uint16_t x = coll::float_to_bf16(static_cast<float>(v)); std::memcpy(p, &x, 2); break; }
            case coll::DataType::kI32: { const int32_t x = static_cast<int32_t>(v); std::memcpy(p, &x, 4); break; }
            case coll::DataType::kI64: { const int64_t x = static_cast<int64_t>(v); std::memcpy(p, &x, 8); break; }
          }
        }
      };
      double total_s = 0;
      for (uint32_t it = 0; it < warmup + iters; ++it) {
        fill();
        const Nanos t0 = me.now();
        if (!comm.start(kind, b, *type, *redop, 0)) throw Fail("could not start the operation");
        drive(deadline_each);
        if (it >= warmup) total_s += static_cast<double>((me.now() - t0).ns) * 1e-9;
      }
      // Check the last result (all-reduce / broadcast: every element; reduce-scatter: our chunk;
      // all-gather: every chunk) against what the inputs give.
      uint64_t wrong = 0;
      const coll::Slice mine = coll::chunk(count, elem, n, rank);
      for (uint64_t i = 0; i < count; ++i) {
        double want = 0;
        if (kind == coll::Collective::kBroadcast) {
          want = input(0, i);
        } else if (kind == coll::Collective::kAllGather) {
          uint32_t owner = 0;
          while (owner + 1 < n && coll::chunk(count, elem, n, owner + 1).offset <= i * elem) ++owner;
          want = input(owner, i);
        } else {
          if (kind == coll::Collective::kReduceScatter && (i * elem < mine.offset || i * elem >= mine.offset + mine.bytes)) continue;
          double acc = input(0, i), mn = acc, mx = acc;
          for (uint32_t r = 1; r < n; ++r) acc += input(r, i), mn = std::min<double>(mn, input(r, i)), mx = std::max<double>(mx, input(r, i));
          want = *redop == coll::RedOp::kMin ? mn : *redop == coll::RedOp::kMax ? mx : acc;
          if (*redop == coll::RedOp::kAvg) {
            const bool integer = *type == coll::DataType::kI32 || *type == coll::DataType::kI64;
            want = integer ? std::trunc(acc / n) : acc / n;
          }
        }
        const uint8_t* p = b.data() + i * elem;
        double got = 0;
        switch (*type) {
          case coll::DataType::kF32: { float f; std::memcpy(&f, p, 4); got = f; break; }
          case coll::DataType::kF16: { _Float16 h; std::memcpy(&h, p, 2); got = static_cast<float>(h); break; }
          case coll::DataType::kBF16: { uint16_t x; std::memcpy(&x, p, 2); got = coll::bf16_to_float(x); break; }
          case coll::DataType::kI32: { int32_t x; std::memcpy(&x, p, 4); got = x; break; }
          case coll::DataType::kI64: { int64_t x; std::memcpy(&x, p, 8); got = static_cast<double>(x); break; }
        }
        // Averages of half-precision types round; everything else is exact.
        const bool rounds = *redop == coll::RedOp::kAvg && (*type == coll::DataType::kF16 || *type == coll::DataType::kBF16);
        if (rounds ? std::fabs(got - want) > std::fabs(want) * 1e-2 + 1e-2 : got != want) ++wrong;
      }
      const double t = total_s / iters, bytes = static_cast<double>(count * elem);
      const double algbw = bytes / t / 1e9, busbw = algbw * bus_factor(kind, n);
      if (table && rank == 0) {
        std::printf(" %12llu %12llu %9s %7s %10.1f %8.3f %8.3f %7llu\n", static_cast<unsigned long long>(count * elem),
                    static_cast<unsigned long long>(count), std::string(coll::to_string(*type)).c_str(),
                    std::string(coll::to_string(*redop)).c_str(), t * 1e6, algbw, busbw,
                    static_cast<unsigned long long>(wrong));
        std::fflush(stdout);
      }
      if (!json.empty()) {
        const nlohmann::json j = {{"rank", rank}, {"ranks", n}, {"transport", spec.name()}, {"op", op_name},
                                  {"type", coll::to_string(*type)}, {"redop", coll::to_string(*redop)},
                                  {"bytes", count * elem}, {"count", count}, {"time_us", t * 1e6},
                                  {"algbw_gbps", algbw}, {"busbw_gbps", busbw}, {"wrong", wrong}, {"iters", iters}};
        std::fprintf(json_file ? json_file.get() : out, "%s\n", j.dump().c_str());
      }
      if (wrong != 0) throw Fail(fmt::format("{} wrong elements at {} bytes", wrong, count * elem));
    }
    // Leave together: a barrier, every WRITE acknowledged, then a graceful close of every link (a
    // rank that exited at once would take the acknowledgements its peers still wait for with it).
    if (!comm.start_barrier()) throw Fail("could not start the final barrier");
    drive(deadline_each);
    auto all_ended = [&] {
      for (const auto& l : me.links)
        if (l.ch != nullptr && !ended(l.ch->state())) return false;
      return true;
    };
    const Nanos quiet_by = me.now() + deadline_each;
    while (!comm.quiescent() && !all_ended() && me.now() < quiet_by) {
      comm.poll(me.now());
      if (comm.state() == coll::Communicator::State::kFailed) throw Fail(comm.error());
      me.turn();
    }
    for (const auto& l : me.links)
      if (l.ch != nullptr) l.ch->close(me.now());
    const Nanos closed_by = me.now() + Nanos::from_s(5);
    while (!all_ended() && me.now() < closed_by) me.turn();
    return 0;
  } catch (const Usage& e) {
    std::fprintf(stderr, "lh-coll-perf: %s (see lh-coll-perf --help)\n", e.what());
    return 2;
  } catch (const Fail& e) {
    std::fprintf(stderr, "lh-coll-perf: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lh-coll-perf: %s\n", e.what());
    return 1;
  }
}
