// pcap_import.cpp — packets → flows → messages → steps → gradient trace (see pcap_import.hpp).
//
// TCP sequence numbers are unwrapped to 64 bits per flow and the ranges already counted are kept as
// a set of merged intervals, so a retransmission (or a duplicate seen twice by the capture) adds no
// bytes while a hole filled later (capture on the receiver side of a lossy link) still counts once.
#include "traces/pcap_import.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <iterator>

namespace lh::traces {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_u32(std::string_view s, uint32_t& out) {
  if (s.empty()) return false;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

}  // namespace

std::string to_string(const IpAddress& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
  return buf;
}

IpAddress parse_ip_address(std::string_view text) {
  const std::string s(trim(text));
  IpAddress a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) return a;
  a = IpAddress{};
  a.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  throw ParseError("\"" + s + "\" is not an IP address (expected IPv4 like 10.0.0.1 or IPv6 like fd00::1)");
}

std::string to_string(const FlowKey& f) {
  const auto ep = [](const IpAddress& a, uint16_t port) {
    return a.v6 ? "[" + to_string(a) + "]:" + std::to_string(port) : to_string(a) + ":" + std::to_string(port);
  };
  return std::string(f.proto == IpProto::kTcp ? "tcp " : "udp ") + ep(f.src, f.src_port) + " > " +
         ep(f.dst, f.dst_port);
}

MessageAssembler::MessageAssembler(const ImportOptions& options) : options_(options) {}

uint64_t MessageAssembler::new_tcp_bytes(Flow& f, uint32_t seq, uint32_t len) {
  // Unwrap: the nearest 64-bit value congruent to seq mod 2^32 around the flow's last sequence.
  const int64_t abs = f.have_seq ? f.last_seq + static_cast<int32_t>(seq - static_cast<uint32_t>(f.last_seq))
                                 : static_cast<int64_t>(seq);
  f.last_seq = abs;
  f.have_seq = true;
  const int64_t b = abs, e = abs + len;
  int64_t nb = b, ne = e;
  uint64_t covered = 0;
  auto it = f.seen.upper_bound(b);
  if (it != f.seen.begin() && std::prev(it)->second >= b) --it;
  while (it != f.seen.end() && it->first <= e) {
    covered += static_cast<uint64_t>(std::max<int64_t>(0, std::min(e, it->second) - std::max(b, it->first)));
    nb = std::min(nb, it->first);
    ne = std::max(ne, it->second);
    it = f.seen.erase(it);
  }
  f.seen.emplace(nb, ne);
  return len - covered;
}

// Which step-mark interval t falls in (0 = before the first mark); 0 when there are no marks.
size_t MessageAssembler::mark_index(Nanos t) const {
  const std::vector<Nanos>& m = options_.step_marks;
  return static_cast<size_t>(std::upper_bound(m.begin(), m.end(), t) - m.begin());
}

void MessageAssembler::add(const CapturedPacket& p) {
  ++stats_.packets;
  if (p.payload == 0) {
    ++stats_.empty_packets;
    return;
  }
  Flow& f = flows_[p.flow];
  uint64_t fresh = p.payload;
  if (p.tcp_seq) {
    fresh = new_tcp_bytes(f, *p.tcp_seq, p.payload);
    stats_.duplicate_bytes += p.payload - fresh;
    if (fresh == 0) return;
  }
  if (f.open && (p.t - f.open->end > options_.burst_gap || mark_index(p.t) != mark_index(f.open->start))) close(f);
  if (!f.open) f.open = Message{.flow = p.flow, .start = p.t, .end = p.t};
  f.open->end = std::max(f.open->end, p.t);
  f.open->bytes += fresh;
  ++f.open->packets;
}

void MessageAssembler::close(Flow& f) {
  if (!f.open) return;
  if (f.open->bytes < options_.min_message.n) {
    ++stats_.dropped_messages;
  } else {
    done_.push_back(*f.open);
  }
  f.open.reset();
}

std::vector<Message> MessageAssembler::finish() {
  for (auto& [key, f] : flows_) close(f);
  stats_.flows = flows_.size();
  std::vector<Message> out = std::move(done_);
  done_.clear();
  std::sort(out.begin(), out.end(), [](const Message& a, const Message& b) {
    return a.start != b.start ? a.start < b.start : a.flow < b.flow;
  });
  if (!options_.step_marks.empty()) {
    const std::vector<Nanos>& marks = options_.step_marks;
    const auto before = std::find_if(out.begin(), out.end(), [&](const Message& m) { return m.start >= marks.front(); });
    stats_.skipped_messages += static_cast<uint64_t>(before - out.begin());
    out.erase(out.begin(), before);
    for (Message& m : out) {
      const size_t s = static_cast<size_t>(std::upper_bound(marks.begin(), marks.end(), m.start) - marks.begin()) - 1;
      m.step = static_cast<uint32_t>(s);
      m.step_start = marks[s];
    }
  } else {
    uint32_t step = 0;
    Nanos busy_until, step_start;
    for (size_t i = 0; i < out.size(); ++i) {
      if (i == 0) {
        step_start = out[i].start;
      } else if (out[i].start - busy_until > options_.step_gap) {
        ++step;
        step_start = busy_until;
      }
      out[i].step = step;
      out[i].step_start = step_start;
      busy_until = i == 0 ? out[i].end : std::max(busy_until, out[i].end);
    }
  }
  const auto kept = std::find_if(out.begin(), out.end(), [&](const Message& m) { return m.step >= options_.skip_steps; });
  stats_.skipped_messages += static_cast<uint64_t>(kept - out.begin());
  out.erase(out.begin(), kept);
  for (Message& m : out) m.step -= options_.skip_steps;
  return out;
}

SiteMap parse_site_map(std::string_view text) {
  SiteMap map;
  const auto bad = [](std::string_view entry, const std::string& what) {
    return ParseError("--sites: \"" + std::string(entry) + "\": " + what +
                      " (expected ADDRESS=SITE or ADDRESS=SITE:RANK, comma-separated, e.g. 10.0.0.1=0,10.0.0.2=1)");
  };
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view entry = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const size_t eq = entry.rfind('=');
    if (eq == std::string_view::npos) throw bad(entry, "missing '='");
    IpAddress addr;
    try {
      addr = parse_ip_address(entry.substr(0, eq));
    } catch (const ParseError& e) {
      throw bad(entry, e.what());
    }
    const std::string_view value = trim(entry.substr(eq + 1));
    const size_t colon = value.find(':');
    SiteRank sr;
    if (!parse_u32(value.substr(0, colon), sr.site)) throw bad(entry, "site is not a non-negative integer");
    if (colon != std::string_view::npos && !parse_u32(value.substr(colon + 1), sr.rank)) {
      throw bad(entry, "rank is not a non-negative integer");
    }
    if (!map.emplace(addr, sr).second) throw bad(entry, "address given twice");
  }
  if (map.empty()) throw bad(text, "empty map");
  return map;
}

std::vector<Nanos> parse_step_marks(std::string_view text, std::string_view source) {
  std::vector<Nanos> marks;
  size_t line = 0;
  while (!text.empty()) {
    ++line;
    const size_t nl = text.find('\n');
    std::string_view l = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    l = trim(l.substr(0, l.find('#')));
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    if (l.empty()) continue;
    int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(l.data(), l.data() + l.size(), v);
    const auto where = std::string(source) + ":" + std::to_string(line) + ": ";
    if (ec != std::errc{} || ptr != l.data() + l.size() || v < 0) {
      throw ParseError(where + "\"" + std::string(l) + "\" is not a timestamp (expected integer ns since the epoch, "
                       "e.g. 1700000000123456789)");
    }
    if (!marks.empty() && v <= marks.back().ns) throw ParseError(where + "step marks must be strictly increasing");
    marks.push_back(Nanos{v});
  }
  if (marks.empty()) throw ParseError(std::string(source) + ": no step marks (expected one ns timestamp per line)");
  return marks;
}

GradientTrace build_gradient_trace(const std::vector<Message>& messages, const TraceOptions& options) {
  if (messages.empty()) throw ParseError("no messages: no packet with payload matched the selected flows");
  SiteMap sites = options.sites;
  const bool automatic = sites.empty();
  const auto lookup = [&](const IpAddress& a, const FlowKey& flow) {
    auto it = sites.find(a);
    if (it != sites.end()) return it->second;
    if (!automatic) {
      throw ParseError("address " + to_string(a) + " (flow " + to_string(flow) +
                       ") is not in --sites (add it, or narrow --flows)");
    }
    const SiteRank sr{.site = static_cast<uint32_t>(sites.size()), .rank = 0};
    sites.emplace(a, sr);
    return sr;
  };

  GradientTrace t;
  t.events.reserve(messages.size());
  const Nanos t0 = messages.front().step_start;
  uint32_t step = messages.front().step, bucket = 0;
  for (const Message& m : messages) {
    const SiteRank src = lookup(m.flow.src, m.flow);
    const SiteRank dst = lookup(m.flow.dst, m.flow);
    if (src == dst) {
      throw ParseError("flow " + to_string(m.flow) + ": source and destination map to the same site " +
                       std::to_string(src.site) + " rank " + std::to_string(src.rank) +
                       " (give them different sites or ranks in --sites)");
    }
    if (m.step != step) {
      step = m.step;
      bucket = 0;
    }
    t.events.push_back(TraceEvent{.t = m.start - t0, .step = m.step, .src = src, .dst = dst, .bytes = m.bytes,
                                  .op = options.op, .bucket = bucket++, .round = 0,
                                  .after_compute = m.start - m.step_start});
  }

  Provenance& p = t.provenance;
  p = options.provenance;
  if (p.source.empty()) p.source = "pcap";
  p.sites = 0;
  p.ranks_per_site = 0;
  for (const auto& [addr, sr] : sites) {
    p.sites = std::max(p.sites, sr.site + 1);
    p.ranks_per_site = std::max(p.ranks_per_site, sr.rank + 1);
  }
  p.world_size = p.sites * p.ranks_per_site;
  p.steps = messages.back().step + 1;
  for (size_t i = 0; i < t.events.size(); ++i) {
    check_gradient_event(t.events[i], i == 0 ? nullptr : &t.events[i - 1], p, "from-pcap event", i + 2);
  }
  return t;
}

}  // namespace lh::traces
