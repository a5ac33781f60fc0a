// UTF-8 validation: find_invalid_utf8 (simdjson's validator, then a scalar walk for the
// offset) against an independent reference on random byte strings, biased towards the edges
// of Unicode Table 3-7 (overlongs, surrogates, > U+10FFFF, truncated sequences).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

#include "tokcount/tokcount.hpp"

namespace {

// Reference: decode each sequence by its lead byte's length, then reject what Unicode forbids.
std::size_t reference_first_invalid(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned b = p[i];
    std::size_t len;
    std::uint32_t cp;
    if (b < 0x80) { i += 1; continue; }
    if ((b & 0xE0) == 0xC0) { len = 2; cp = b & 0x1F; }
    else if ((b & 0xF0) == 0xE0) { len = 3; cp = b & 0x0F; }
    else if ((b & 0xF8) == 0xF0) { len = 4; cp = b & 0x07; }
    else return i;
    if (i + len > n) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    const std::uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return tokcount::kNoOffset;
}

TEST(Utf8, ValidatorMatchesReferenceOnRandomBytes) {
  std::mt19937 rng(7u);
  const unsigned char interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                                       0xDF, 0xE0, 0xED, 0xEE, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
  std::size_t invalid = 0, valid = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    std::string s;
    // Long ASCII prefixes put the interesting bytes at every offset of the SIMD blocks.
    s.append(rng() % 70, 'a');
    const std::size_t tail = rng() % 8;
    for (std::size_t k = 0; k < tail; ++k)
      s.push_back(static_cast<char>(interesting[rng() % sizeof(interesting)]));
    if (rng() % 2) s.append("\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80");  // valid multi-byte tail
    const std::size_t want = reference_first_invalid(s);
    ASSERT_EQ(tokcount::find_invalid_utf8(s), want) << "iteration " << iter;
    ++(want == tokcount::kNoOffset ? valid : invalid);
  }
  EXPECT_GT(valid, 10000u);
  EXPECT_GT(invalid, 10000u);
}

}  // namespace
