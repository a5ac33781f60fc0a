// Parts of tiktoken's API that only the Python package exposes so far: encode_with_unstable,
// _encode_single_piece, decode_with_offsets, and the bytewise-sorted vocabulary index they need.
// They live here, in the core, so the bindings stay a thin skin over one pipeline.
#include <absl/strings/str_cat.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "encoding/encoding_impl.hpp"
#include "pretokenizer/unicode.hpp"

namespace tokcount {
namespace {

using detail::EncodingImpl;

const std::uint8_t* bytes_of(std::string_view s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

// tiktoken's byte_pair_encode: the merge alone, without the whole-piece lookup encode() does
// first. encode_with_unstable uses it where tiktoken does, since the two can differ for a
// piece that is itself a token the merges never reach.
void raw_merge(const vocab::VocabTable& v, std::string_view piece, std::vector<Rank>& out) {
  const std::uint8_t* p = bytes_of(piece);
  const std::size_t n = piece.size();
  if (n == 0) return;
  if (n == 1) {
    out.push_back(merge::byte_token(v, p[0]));
  } else if (n < merge::kHeapThreshold) {
    merge::merge_short(v, p, n, [&](Rank r) { out.push_back(r); });
  } else {
    merge::merge_long(v, p, n, out);
  }
}

// A token made only of ' ', '\n' and '\t' (special tokens never count).
bool all_space(const vocab::VocabTable& v, Rank r) {
  const std::string_view b = v.bytes_of(r);
  return !b.empty() && std::all_of(b.begin(), b.end(), [](char c) { return c == ' ' || c == '\n' || c == '\t'; });
}

// Bytewise comparison (std::string_view compares char, which may be signed).
int compare_bytes(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  const int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

}  // namespace

std::vector<Rank> Encoding::ranks_by_bytes() const {
  const vocab::VocabTable& v = impl_->vocab;
  std::vector<Rank> out;
  out.reserve(v.n_tokens());
  for (Rank r = 0; r < v.rank_limit(); ++r)
    if (v.contains(r)) out.push_back(r);
  std::sort(out.begin(), out.end(),
            [&](Rank a, Rank b) { return compare_bytes(v.bytes_of(a), v.bytes_of(b)) < 0; });
  return out;
}

std::pair<std::vector<Rank>, std::vector<std::vector<Rank>>> Encoding::encode_with_unstable(
    std::string_view input, const EncodeOptions& options, std::span<const Rank> by_bytes) const {
  const EncodingImpl& e = *impl_;
  const vocab::VocabTable& v = e.vocab;
  if (input.size() > kMaxInputBytes)
    throw Error(ErrorCode::kInputTooLarge, "input is larger than the 4 GiB - 1 limit");
  std::string repaired;
  const std::string_view text = detail::checked_utf8(input, options.utf8, repaired);
  detail::check_disallowed(e, text, options, input);
  const detail::AllowedSpecials allowed = detail::allowed_specials(options);

  // encode()'s pipeline, also recording how many tokens the last pre-token piece produced:
  // zero when the text ends in a special token, which has no unstable bytes.
  std::vector<Rank> tokens;
  std::size_t last_piece = 0;
  auto encode_segment = [&](std::string_view seg) {
    const std::uint8_t* s = bytes_of(seg);
    e.for_each_piece(s, seg.size(), [&](std::size_t b, std::size_t en) {
      const std::size_t before = tokens.size();
      merge::encode_piece(v, s + b, en - b, [&](Rank r) { tokens.push_back(r); });
      last_piece = tokens.size() - before;
    });
  };
  std::size_t pos = 0;
  while (true) {
    Rank rank = 0;
    std::size_t length = 0;
    const std::size_t at =
        allowed.any ? e.find_special(text, pos, [&](Rank, const std::string& t) { return allowed.contains(t); },
                                     rank, length)
                    : std::string_view::npos;
    const std::size_t end = at == std::string_view::npos ? text.size() : at;
    encode_segment(text.substr(pos, end - pos));
    if (at == std::string_view::npos) break;
    tokens.push_back(rank);
    last_piece = 0;
    pos = at + length;
  }
  if (last_piece == 0) return {std::move(tokens), {}};

  // Pre-token splits can vanish as text is appended (cl100k's `\s*[\r\n]+` turns "\n" + " "
  // into "\n \n"), so whitespace-only tokens before the last piece are unstable too.
  if (all_space(v, tokens[tokens.size() - last_piece]))
    while (last_piece < tokens.size() && all_space(v, tokens[tokens.size() - last_piece - 1])) ++last_piece;
  std::string unstable;
  for (std::size_t i = tokens.size() - last_piece; i < tokens.size(); ++i) unstable.append(v.bytes_of(tokens[i]));
  tokens.resize(tokens.size() - last_piece);
  if (unstable.empty()) return {std::move(tokens), {}};

  std::set<std::vector<Rank>> completions;
  // Mergeable tokens whose bytes start with `prefix`, in bytewise order.
  auto extensions = [&](std::string_view prefix, auto&& on_token) {
    auto it = std::partition_point(by_bytes.begin(), by_bytes.end(),
                                   [&](Rank r) { return compare_bytes(v.bytes_of(r), prefix) < 0; });
    for (; it != by_bytes.end(); ++it) {
      const std::string_view b = v.bytes_of(*it);
      if (b.size() < prefix.size() || std::memcmp(b.data(), prefix.data(), prefix.size()) != 0) break;
      on_token(*it, b);
    }
  };
  // One token covering all the unstable bytes (and possibly more).
  extensions(unstable, [&](Rank r, std::string_view) { completions.insert({r}); });
  // A token straddling the end: its start lies inside the unstable bytes at offset i. Encode
  // prefix + token as text (splits may appear) or, if that is not UTF-8, as one merge, and
  // keep the tokens up to the one that covers the end of the unstable bytes.
  std::vector<Rank> encoded;
  std::string possibility;
  for (std::size_t i = 1; i < unstable.size(); ++i) {
    const std::string_view prefix = std::string_view(unstable).substr(0, i);
    extensions(std::string_view(unstable).substr(i), [&](Rank, std::string_view token) {
      possibility.assign(prefix);
      possibility.append(token);
      encoded.clear();
      if (find_invalid_utf8(possibility) == kNoOffset) {
        e.encode_ordinary_valid(possibility, [&](Rank r) { encoded.push_back(r); });
      } else {
        raw_merge(v, possibility, encoded);
      }
      std::vector<Rank> seq;
      std::size_t covered = 0;
      for (Rank r : encoded) {
        seq.push_back(r);
        covered += v.bytes_of(r).size();
        if (covered >= unstable.size()) break;
      }
      completions.insert(std::move(seq));
    });
  }
  // `\s+(?!\S)` can split trailing whitespace off once more text follows ("\n\n" then "0" gives
  // "\n" + "\n" + "0"), so the last character may become a token of its own. The unstable bytes
  // are whole pieces of valid UTF-8, so the last character starts at the last non-continuation
  // byte.
  if (unstable.size() > 1) {
    std::size_t last = unstable.size() - 1;
    while (last > 0 && (static_cast<unsigned char>(unstable[last]) & 0xC0) == 0x80) --last;
    const unicode::Char c = unicode::char_at(bytes_of(unstable) + last);
    if (last > 0 && (c.flags & unicode::kSpace) != 0) {
      std::vector<Rank> split;
      raw_merge(v, std::string_view(unstable).substr(0, last), split);
      raw_merge(v, std::string_view(unstable).substr(last), split);
      completions.insert(std::move(split));
    }
  }
  return {std::move(tokens), std::vector<std::vector<Rank>>(completions.begin(), completions.end())};
}

std::vector<Rank> Encoding::encode_single_piece(std::string_view bytes) const {
  std::vector<Rank> out;
  if (bytes.empty()) return out;
  const Rank whole = impl_->vocab.find(bytes);
  if (whole != vocab::kNoRank) {
    out.push_back(whole);
    return out;
  }
  raw_merge(impl_->vocab, bytes, out);
  return out;
}

std::pair<std::string, std::vector<std::size_t>> Encoding::decode_with_offsets(std::span<const Rank> tokens) const {
  std::string text;
  std::vector<std::size_t> offsets;
  offsets.reserve(tokens.size());
  std::size_t chars = 0;  // code points decoded so far = count of non-continuation bytes
  for (Rank t : tokens) {
    const std::string_view b = token_bytes(t);
    const bool continues = !b.empty() && (static_cast<unsigned char>(b[0]) & 0xC0) == 0x80;
    offsets.push_back(continues && chars > 0 ? chars - 1 : chars);
    for (char c : b)
      if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
    text.append(b);
  }
  const std::size_t bad = find_invalid_utf8(text);
  if (bad != kNoOffset)
    throw Error(ErrorCode::kInvalidUtf8, absl::StrCat("decoded bytes are not valid UTF-8 at byte offset ", bad), bad);
  return {std::move(text), std::move(offsets)};
}

}  // namespace tokcount
