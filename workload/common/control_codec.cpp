// control_codec.cpp — see control_codec.hpp.
#include "workload/common/control_codec.hpp"

#include <fmt/format.h>

#include <cstring>
#include <type_traits>

namespace lh::workload {
namespace {

constexpr uint8_t kMagic[3] = {'L', 'H', 'W'};

// Each message type's wire number and its fields, in order: one table drives both directions.
template <typename T>
struct Wire;
template <> struct Wire<XferHello> {
  static constexpr uint8_t kType = 1;
  static constexpr const char* kName = "XferHello";
  using T = XferHello;
  template <typename F> static void fields(T& m, F&& f) { f(m.total_bytes), f(m.shard_bytes), f(m.seed), f(m.slots); }
};
template <> struct Wire<XferReady> {
  static constexpr uint8_t kType = 2;
  static constexpr const char* kName = "XferReady";
  using T = XferReady;
  template <typename F> static void fields(T& m, F&& f) { f(m.status), f(m.slots), f(m.rkey), f(m.region_bytes); }
};
template <> struct Wire<XferDone> {
  static constexpr uint8_t kType = 3;
  static constexpr const char* kName = "XferDone";
  using T = XferDone;
  template <typename F> static void fields(T& m, F&& f) { f(m.shards); }
};
template <> struct Wire<XferReport> {
  static constexpr uint8_t kType = 4;
  static constexpr const char* kName = "XferReport";
  using T = XferReport;
  template <typename F> static void fields(T& m, F&& f) { f(m.verified_shards), f(m.bad_shards), f(m.verified_bytes); }
};
template <> struct Wire<ReplayHelloData> {
  static constexpr uint8_t kType = 16;
  static constexpr const char* kName = "ReplayHelloData";
  using T = ReplayHelloData;
  template <typename F> static void fields(T& m, F&& f) {
    f(m.nonce), f(m.client_rkey), f(m.client_region_bytes), f(m.forward_chunk_bytes);
  }
};
template <> struct Wire<ReplayHelloCtrl> {
  static constexpr uint8_t kType = 17;
  static constexpr const char* kName = "ReplayHelloCtrl";
  using T = ReplayHelloCtrl;
  template <typename F> static void fields(T& m, F&& f) { f(m.nonce); }
};
template <> struct Wire<ReplayReady> {
  static constexpr uint8_t kType = 18;
  static constexpr const char* kName = "ReplayReady";
  using T = ReplayReady;
  template <typename F> static void fields(T& m, F&& f) { f(m.status), f(m.server_rkey), f(m.region_bytes); }
};
template <> struct Wire<ReplayStart> {
  static constexpr uint8_t kType = 19;
  static constexpr const char* kName = "ReplayStart";
  using T = ReplayStart;
  template <typename F> static void fields(T& m, F&& f) { f(m.transfer), f(m.bytes); }
};

template <typename V>
constexpr size_t width() {
  if constexpr (std::is_enum_v<V>) return sizeof(std::underlying_type_t<V>);
  else return sizeof(V);
}

template <typename T>
size_t body_size() {
  size_t n = 0;
  T m{};
  Wire<T>::fields(m, [&](auto& v) { n += width<std::remove_reference_t<decltype(v)>>(); });
  return n;
}

template <typename V>
void put(uint8_t*& p, V v) {
  if constexpr (std::is_enum_v<V>) {
    put(p, static_cast<std::underlying_type_t<V>>(v));
  } else {
    for (size_t i = 0; i < sizeof(V); ++i) *p++ = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i));
  }
}

template <typename V>
V get(const uint8_t*& p) {
  uint64_t v = 0;
  for (size_t i = 0; i < sizeof(V); ++i) v |= static_cast<uint64_t>(*p++) << (8 * i);
  return static_cast<V>(v);
}

template <typename T>
DecodeResult decode_body(std::span<const uint8_t> body) {
  const size_t want = body_size<T>();
  if (body.size() != want) {
    return {.error = fmt::format("control message: {} body of {} bytes, expected {}", Wire<T>::kName, body.size(), want)};
  }
  T m{};
  const uint8_t* p = body.data();
  std::string error;
  Wire<T>::fields(m, [&](auto& v) {
    using V = std::remove_reference_t<decltype(v)>;
    if constexpr (std::is_enum_v<V>) {
      const auto raw = get<std::underlying_type_t<V>>(p);
      if (raw > static_cast<std::underlying_type_t<V>>(ReadyStatus::kBusy) && error.empty()) {
        error = fmt::format("control message: {} has an unknown status {}", Wire<T>::kName, raw);
      }
      v = static_cast<V>(raw);
    } else {
      v = get<V>(p);
    }
  });
  if (!error.empty()) return {.error = error};
  return {.ok = true, .message = m};
}

}  // namespace

const char* message_name(const ControlMessage& m) {
  return std::visit([](const auto& v) { return Wire<std::decay_t<decltype(v)>>::kName; }, m);
}

EncodedMessage encode(const ControlMessage& m) {
  EncodedMessage out;
  std::visit(
      [&](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        uint8_t* p = out.bytes.data();
        std::memcpy(p, kMagic, 3);
        p += 3;
        *p++ = kControlVersion;
        *p++ = Wire<T>::kType;
        *p++ = 0;  // flags
        put(p, static_cast<uint16_t>(body_size<T>()));
        T copy = msg;
        Wire<T>::fields(copy, [&](auto& v) { put(p, v); });
        out.size = static_cast<size_t>(p - out.bytes.data());
      },
      m);
  return out;
}

DecodeResult decode(std::span<const uint8_t> bytes) {
  if (bytes.size() < kControlHeader) {
    return {.error = fmt::format("control message: {} bytes, shorter than its {}-byte header", bytes.size(), kControlHeader)};
  }
  if (std::memcmp(bytes.data(), kMagic, 3) != 0) return {.error = "control message: bad magic (not an lh workload peer?)"};
  if (bytes[3] != kControlVersion) {
    return {.error = fmt::format("control message: version {} is unknown (this build speaks {})", bytes[3], kControlVersion)};
  }
  if (bytes[5] != 0) return {.error = fmt::format("control message: flags {:#x} must be 0", bytes[5])};
  const size_t len = bytes[6] | (static_cast<size_t>(bytes[7]) << 8);
  const std::span<const uint8_t> body = bytes.subspan(kControlHeader);
  if (body.size() != len) {
    return {.error = fmt::format("control message: header says {} body bytes, {} arrived", len, body.size())};
  }
  switch (bytes[4]) {
    case Wire<XferHello>::kType: return decode_body<XferHello>(body);
    case Wire<XferReady>::kType: return decode_body<XferReady>(body);
    case Wire<XferDone>::kType: return decode_body<XferDone>(body);
    case Wire<XferReport>::kType: return decode_body<XferReport>(body);
    case Wire<ReplayHelloData>::kType: return decode_body<ReplayHelloData>(body);
    case Wire<ReplayHelloCtrl>::kType: return decode_body<ReplayHelloCtrl>(body);
    case Wire<ReplayReady>::kType: return decode_body<ReplayReady>(body);
    case Wire<ReplayStart>::kType: return decode_body<ReplayStart>(body);
    default: return {.error = fmt::format("control message: type {} is unknown", bytes[4])};
  }
}

}  // namespace lh::workload
