// Image input tokens: the tile and patch methods of OpenAI's vision docs, in integer
// arithmetic, and image sizes read from file headers without decoding pixels.
#include <algorithm>
#include <cstdint>
#include <string>

#include "tokcount/chat.hpp"

namespace tokcount::chat {
namespace {

using u64 = std::uint64_t;

// a * b / c rounded to nearest, ties to even (Python's round(), which the measured
// 1024x1025 -> 512 case needs: 512.5 went down). Exact: a, b, c < 2^32.
u64 mul_div_round_even(u64 a, u64 b, u64 c) {
  const u64 num = a * b;
  const u64 q = num / c, r = num % c;
  if (2 * r > c) return q + 1;
  if (2 * r < c) return q;
  return (q % 2 == 0) ? q : q + 1;
}

u64 ceil_div(u64 a, u64 b) { return (a + b - 1) / b; }

// Largest k with k*k*den <= num.
u64 isqrt_ratio(u64 num, u64 den) {
  u64 lo = 0, hi = 1;
  while (hi * hi * den <= num) hi *= 2;
  while (lo + 1 < hi) {
    const u64 mid = (lo + hi) / 2;
    if (mid * mid * den <= num) lo = mid;
    else hi = mid;
  }
  return lo;
}

int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;  // '-' / '_': the URL-safe alphabet
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Decodes up to `limit` bytes of base64 (whitespace skipped, decoding stops at '=').
// Returns false on a character outside the alphabet.
bool b64_decode_prefix(std::string_view in, std::size_t limit, std::string& out) {
  out.clear();
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    if (out.size() >= limit) break;
    if (c == '=') break;
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    const int v = b64_value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

std::uint32_t be16(std::string_view b, std::size_t i) {
  return (static_cast<std::uint32_t>(static_cast<unsigned char>(b[i])) << 8) | static_cast<unsigned char>(b[i + 1]);
}
std::uint32_t be32(std::string_view b, std::size_t i) { return (be16(b, i) << 16) | be16(b, i + 2); }
std::uint32_t le16(std::string_view b, std::size_t i) {
  return static_cast<unsigned char>(b[i]) | (static_cast<std::uint32_t>(static_cast<unsigned char>(b[i + 1])) << 8);
}
std::uint32_t le24(std::string_view b, std::size_t i) {
  return le16(b, i) | (static_cast<std::uint32_t>(static_cast<unsigned char>(b[i + 2])) << 16);
}

enum class Probe { kSize, kNeedMore, kNotImage };

// One attempt on a prefix of the file. kNeedMore: the prefix ends before the size.
Probe probe(std::string_view b, ImageSize& size, std::string& format) {
  if (b.size() >= 8 && b.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) {
    format = "png";
    if (b.size() < 24) return Probe::kNeedMore;
    if (b.substr(12, 4) != "IHDR") return Probe::kNotImage;
    size = {be32(b, 16), be32(b, 20)};
    return Probe::kSize;
  }
  if (b.size() >= 6 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) {
    format = "gif";
    if (b.size() < 10) return Probe::kNeedMore;
    size = {le16(b, 6), le16(b, 8)};
    return Probe::kSize;
  }
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") {
    format = "webp";
    if (b.size() < 16) return Probe::kNeedMore;
    const std::string_view chunk = b.substr(12, 4);
    if (chunk == "VP8 ") {  // lossy: frame tag (3), start code 9d 01 2a, 14-bit sizes
      if (b.size() < 30) return Probe::kNeedMore;
      size = {le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF};
      return Probe::kSize;
    }
    if (chunk == "VP8L") {  // lossless: signature 0x2f, then (width-1, height-1) in 14 bits each
      if (b.size() < 25) return Probe::kNeedMore;
      const std::uint32_t bits = le16(b, 21) | (le16(b, 23) << 16);
      size = {(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
      return Probe::kSize;
    }
    if (chunk == "VP8X") {  // extended: canvas (width-1, height-1) in 24 bits each
      if (b.size() < 30) return Probe::kNeedMore;
      size = {le24(b, 24) + 1, le24(b, 27) + 1};
      return Probe::kSize;
    }
    return Probe::kNotImage;
  }
  if (b.size() >= 2 && static_cast<unsigned char>(b[0]) == 0xFF && static_cast<unsigned char>(b[1]) == 0xD8) {
    format = "jpeg";
    std::size_t i = 2;
    for (;;) {
      // Markers may be padded with extra 0xFF bytes.
      while (i < b.size() && static_cast<unsigned char>(b[i]) == 0xFF && i + 1 < b.size() &&
             static_cast<unsigned char>(b[i + 1]) == 0xFF)
        ++i;
      if (i + 4 > b.size()) return Probe::kNeedMore;
      if (static_cast<unsigned char>(b[i]) != 0xFF) return Probe::kNotImage;
      const unsigned marker = static_cast<unsigned char>(b[i + 1]);
      if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {  // no length
        i += 2;
        continue;
      }
      if (marker == 0xD9 || marker == 0xDA) return Probe::kNotImage;  // end / scan before a frame header
      const std::uint32_t len = be16(b, i + 2);
      if (len < 2) return Probe::kNotImage;
      const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
      if (sof) {
        if (i + 9 > b.size()) return Probe::kNeedMore;
        size = {be16(b, i + 7), be16(b, i + 5)};  // precision, height, width
        return Probe::kSize;
      }
      i += 2 + len;
    }
  }
  return Probe::kNotImage;
}

}  // namespace

ImageTokens tile_image_tokens(std::uint32_t width, std::uint32_t height, std::uint32_t base, std::uint32_t tile,
                              std::uint32_t short_side) {
  u64 w = width, h = height;
  if (w == 0 || h == 0) return {0, base};
  // 1. Fit in 2048 x 2048 (the long side becomes 2048, the other rounds to nearest).
  if (std::max(w, h) > 2048) {
    const u64 m = std::max(w, h);
    if (w >= h) {
      h = std::max<u64>(1, mul_div_round_even(h, 2048, m));
      w = 2048;
    } else {
      w = std::max<u64>(1, mul_div_round_even(w, 2048, m));
      h = 2048;
    }
  }
  // 2. Shortest side down to `short_side` (never up: measured, small images are not upscaled).
  if (std::min(w, h) > short_side) {
    const u64 m = std::min(w, h);
    if (w <= h) {
      h = mul_div_round_even(h, short_side, m);
      w = short_side;
    } else {
      w = mul_div_round_even(w, short_side, m);
      h = short_side;
    }
  }
  const u64 tiles = ceil_div(w, 512) * ceil_div(h, 512);
  return {static_cast<std::uint32_t>(tiles), static_cast<std::size_t>(base + tile * tiles)};
}

ImageTokens patch_image_tokens(std::uint32_t width, std::uint32_t height, std::uint32_t multiplier_milli) {
  constexpr u64 kPatch = 32, kBudget = 1536;
  const u64 w = width, h = height;
  u64 patches = 0;
  if (w == 0 || h == 0) {
    patches = 0;
  } else if (ceil_div(w, kPatch) * ceil_div(h, kPatch) <= kBudget) {
    patches = ceil_div(w, kPatch) * ceil_div(h, kPatch);
  } else {
    // Scaled by r = sqrt(32^2 * 1536 / (w h)), then shrunk so the limiting side is a whole
    // number of patches: with a = w r / 32 = sqrt(1536 w / h) and b = sqrt(1536 h / w), the
    // limiting side has floor(a) (or floor(b)) patches exactly and the other side
    // ceil(h floor(a) / w). Comparing floor(a)/a with floor(b)/b is comparing ka h with kb w.
    const u64 ka = isqrt_ratio(kBudget * w, h);
    const u64 kb = isqrt_ratio(kBudget * h, w);
    if (ka * h <= kb * w)
      patches = ka * ceil_div(h * ka, w);
    else
      patches = kb * ceil_div(w * kb, h);
    patches = std::min(patches, kBudget);
  }
  // tokens = patches x multiplier, rounded to nearest (undocumented; 1536 x 1.2 = 1843 and
  // 1536 x 1.62 = 2488 were billed).
  const u64 tokens = (patches * multiplier_milli + 500) / 1000;
  return {static_cast<std::uint32_t>(patches), static_cast<std::size_t>(tokens)};
}

std::optional<ImageSize> image_size_from_bytes(std::string_view bytes, std::string* format) {
  ImageSize size;
  std::string fmt;
  if (probe(bytes, size, fmt) != Probe::kSize) return std::nullopt;
  if (format) *format = fmt;
  return size;
}

std::optional<ImageSize> image_size_from_data_url(std::string_view url, std::string* format) {
  if (url.substr(0, 5) != "data:") return std::nullopt;
  const std::size_t comma = url.find(',');
  if (comma == std::string_view::npos)
    throw Error(ErrorCode::kInvalidArgument, "data URL has no ',' before its data");
  const std::string_view meta = url.substr(5, comma - 5);
  if (meta.size() < 7 || meta.substr(meta.size() - 7) != ";base64")
    throw Error(ErrorCode::kInvalidArgument, "data URL is not base64-encoded");
  const std::string_view data = url.substr(comma + 1);
  // Most headers are in the first 64 bytes; a JPEG's frame header can follow large metadata
  // segments, so grow the decoded prefix until the size is found or the data ends.
  std::string decoded;
  for (std::size_t limit = 64;; limit *= 4) {
    if (!b64_decode_prefix(data, limit, decoded))
      throw Error(ErrorCode::kInvalidArgument, "data URL has a character outside base64");
    ImageSize size;
    std::string fmt;
    const Probe p = probe(decoded, size, fmt);
    if (p == Probe::kSize) {
      if (format) *format = fmt;
      return size;
    }
    if (p == Probe::kNotImage || decoded.size() < limit) return std::nullopt;
  }
}

}  // namespace tokcount::chat
