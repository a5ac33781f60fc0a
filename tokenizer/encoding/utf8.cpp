// UTF-8 validation and U+FFFD replacement (Unicode's "maximal subpart" policy, which is what
// Python's bytes.decode("utf-8", "replace") does, so lossy encoding matches tiktoken on the
// text Python would hand it).
#include <simdjson.h>

#include <cstring>
#include <vector>

#include "encoding/encoding_impl.hpp"
#include "tokcount/tokcount.hpp"

namespace tokcount {
namespace {

// Length of the well-formed sequence at p (Unicode Table 3-7), or 0 when ill-formed;
// `prefix` receives the length of the maximal well-formed prefix of an ill-formed one.
std::size_t sequence_length(const unsigned char* p, std::size_t avail, std::size_t& prefix) {
  const unsigned char b0 = p[0];
  prefix = 0;
  std::size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  std::size_t i = 1;
  for (; i < need; ++i) {
    if (i >= avail) break;
    const unsigned char b = p[i];
    const unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xBF;
    if (b < l || b > h) break;
  }
  if (i == need) return need;
  prefix = i;
  return 0;
}

}  // namespace

std::size_t find_invalid_utf8(std::string_view text) noexcept {
  // Valid text is the rule: simdjson's SIMD validator (~0.1 ns/byte) says so; only invalid
  // text pays for the scalar walk that finds the offset of the first bad sequence.
  if (simdjson::validate_utf8(text.data(), text.size())) return kNoOffset;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    // ASCII fast path, 8 bytes at a time.
    while (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      if (w & 0x8080808080808080ull) break;
      i += 8;
    }
    if (i >= n) break;
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    std::size_t prefix;
    const std::size_t len = sequence_length(p + i, n - i, prefix);
    if (len == 0) return i;
    i += len;
  }
  return kNoOffset;
}

namespace {

// The replacement walk; on_replaced(out_end, in_end) after each U+FFFD written, with the
// output and input offsets just past it (the stream encoder maps error offsets with them).
template <class OnReplaced>
std::string replace_walk(std::string_view text, OnReplaced&& on_replaced) {
  std::string out;
  out.reserve(text.size() + 8);
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t prefix;
    const std::size_t len = sequence_length(p + i, n - i, prefix);
    if (len > 0) {
      out.append(text.data() + i, len);
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      i += prefix > 0 ? prefix : 1;
      on_replaced(out.size(), i);
    }
  }
  return out;
}

}  // namespace

std::string replace_invalid_utf8(std::string_view text) {
  return replace_walk(text, [](std::size_t, std::size_t) {});
}

namespace detail {

std::size_t input_offset_of_repaired(std::string_view input, std::size_t repaired_offset) noexcept {
  // The same walk as replace_invalid_utf8, counting output bytes until the offset is reached.
  const auto* p = reinterpret_cast<const unsigned char*>(input.data());
  const std::size_t n = input.size();
  std::size_t i = 0, out = 0;
  while (i < n && out < repaired_offset) {
    std::size_t prefix;
    const std::size_t len = sequence_length(p + i, n - i, prefix);
    if (len > 0) {
      out += len;
      i += len;
    } else {
      out += 3;
      i += prefix > 0 ? prefix : 1;
    }
  }
  return i;
}

std::string replace_invalid_utf8_anchored(std::string_view input, OffsetAnchor base,
                                          std::vector<OffsetAnchor>& anchors) {
  return replace_walk(input, [&](std::size_t out_end, std::size_t in_end) {
    anchors.push_back({base.text + out_end, base.input + in_end});
  });
}

}  // namespace detail
}  // namespace tokcount
