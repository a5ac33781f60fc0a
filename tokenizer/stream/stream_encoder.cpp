// StreamEncoder: exact incremental encoding.
//
// The stream is cut in three layers, each holding back only what it cannot decide yet:
//
//  1. UTF-8: a valid but incomplete sequence at the end of the input waits for its next bytes
//     (incomplete_utf8_suffix). Everything before it is validated or repaired on its own, with
//     the same result as for the whole input.
//  2. Special tokens: a position is classified (plain text, or the start of an allowed special
//     token, or the start of disallowed special-token text = error) once the longest special
//     token fits in the text seen after it, so the leftmost-longest choice is the one encode()
//     makes. Text is never tokenized past the point the disallowed check has reached, so tokens
//     emitted before an error cover only text before the error's offset.
//  3. Pre-tokenizer pieces, the hard part. A pattern is matched by fancy-regex's leftmost-first
//     search; a piece that is not the last one can still change when more text comes (cl100k:
//     "  \n  " is ["  \n", "  "], "  \n  \n" is one `\s*[\r\n]` piece). The rule used here:
//
//     Let B be the uncommitted text of the current segment and p* the leftmost position such
//     that B[p*..] could have been consumed by a match attempt still in progress at the end of
//     B, i.e. B[p*..] is in the "open-prefix" language of the pattern
//     (pretok::open_prefix_pattern: the prefixes of the strings each path of the pattern can
//     match, with `$` and look-ahead relaxed to the empty string, and possessive/lazy
//     quantifiers to greedy ones). Every piece of B that starts before p* is final.
//
//     Why: matching at a position q depends on the text from q on only (these patterns have no
//     look-behind; patterns with a start anchor get the fallback below). A backtracking matcher
//     started at q < p* can read the character at |B|, or test `$` there, only while standing
//     at |B| on some path, having consumed B[q..] along it; then B[q..] would be an open prefix
//     and q >= p*. So on B + X, for any continuation X, every attempt at q runs exactly as on B:
//     the same match, or the same failure (search positions skipped as gaps are final too).
//     By induction over the pieces, each piece starting before p* is the same in B and in B + X,
//     and so is where the next search starts. A committed piece also ends before |B| (a match
//     ending at |B| consumed an open prefix). So the tokens of those pieces are final, and the
//     text up to max(end of the last committed piece, p*) can be dropped: pieces of B + X after
//     it are the pieces of its remainder, searched from there.
//
//     The uncommitted text is then B[p*..] at most: a string that may still become one piece.
//     That is the memory bound. For the built-in patterns the open-prefix language is, per
//     alternative (L letter, N number, S whitespace, O other, cl100k shown):
//       '(?i:[sdmt]|ll|ve|re)          ' then at most two letters
//       [^\r\n\p{L}\p{N}]?+\p{L}++     an optional non-letter-digit-newline, then letters
//       \p{N}{1,3}+                    up to three digits (so digit runs commit in threes)
//       ' ?[^\s\p{L}\p{N}]++[\r\n]*+'  an optional space, O*, or O+ then CR/LF*
//       \s++$ | \s*[\r\n] | \s+(?!\S) | \s     whitespace only
//     so "hello world" commits "hello" and holds " world"; "  \n  " holds everything until a
//     non-space arrives, which is exactly the cl100k case above. The exhaustive tests in
//     tests/cpp/test_stream_encoder.cpp check every string up to length 6 over a 12-character
//     alphabet, split everywhere, against one-shot encode().
//
//     Checking costs a pass over B; while B is long and nothing can commit (a long whitespace
//     or letter run) the check is repeated only after B has doubled, or at once when a byte
//     arrives that B does not contain yet (what usually ends such a run), so feed() stays
//     linear-ish in the input. This only delays emission; it never changes a token.
//
//  Fallback ("segment" rule): a custom pattern with a start anchor (`^`, `\A`) depends on where
//  the text begins, so nothing is committed inside a segment: the text waits for finish() or
//  for the next allowed special token. Still exact, but memory grows with the segment.
#include <absl/container/flat_hash_map.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <mutex>
#include <string>
#include <utility>

#include "encoding/encoding_impl.hpp"
#include "encoding/piece_access.hpp"
#include "tokcount/stream.hpp"

namespace tokcount {

std::size_t incomplete_utf8_suffix(std::string_view bytes) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  // The lead byte is at most 3 bytes before the end; continuation bytes follow it.
  std::size_t i = n;
  while (i > 0 && n - i < 3 && (p[i - 1] & 0xC0) == 0x80) --i;
  if (i == 0) return 0;
  const unsigned char lead = p[i - 1];
  const std::size_t have = n - (i - 1);
  std::size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed second byte (Unicode Table 3-7)
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (have >= need) return 0;
  if (have >= 2 && (p[i] < lo || p[i] > hi)) return 0;
  return have;
}

namespace detail {
namespace {

// One compiled open-prefix matcher per split pattern, shared by every stream of every encoding
// with that pattern (compiling the spelled-out Unicode classes takes milliseconds).
std::shared_ptr<const re2::RE2> open_prefix_matcher(const Encoding& enc) {
  static std::mutex mu;
  static absl::flat_hash_map<std::string, std::shared_ptr<const re2::RE2>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(enc.pat_str());
  if (it != cache.end()) return it->second;
  std::shared_ptr<const re2::RE2> re;
  if (const std::optional<std::string> pattern = open_prefix_pattern(enc)) {
    RE2::Options options;
    options.set_log_errors(false);
    options.set_max_mem(std::int64_t{256} << 20);
    auto compiled = std::make_shared<re2::RE2>(*pattern, options);
    if (compiled->ok()) re = std::move(compiled);
  }
  cache.emplace(enc.pat_str(), re);
  return re;
}

// Pending text shorter than this is re-checked on every feed; longer pending text only after
// it has doubled (see the cost note at the top).
constexpr std::size_t kAlwaysCheckBelow = 256;

// Special-token strings to look for, longest first (the longest wins at a position).
struct SpecialSet {
  std::vector<std::pair<std::string, Rank>> tokens;
  std::size_t max_len = 0;
  std::array<bool, 256> first_byte{};

  void add(std::string text, Rank rank) {
    if (text.empty()) return;
    first_byte[static_cast<unsigned char>(text[0])] = true;
    max_len = std::max(max_len, text.size());
    tokens.emplace_back(std::move(text), rank);
  }
  void sort() {
    // Longest first; equal lengths cannot both match at one position, so their order is free.
    std::sort(tokens.begin(), tokens.end(), [](const auto& a, const auto& b) {
      return a.first.size() != b.first.size() ? a.first.size() > b.first.size() : a.first < b.first;
    });
  }
  bool empty() const { return tokens.empty(); }
  // What starts at `pos`: the longest token `text` has there (nullptr: none), or `undecided`
  // when a token could still start there once more text arrives (unless `final`). Only
  // positions that are a visible prefix of some token wait, so plain text is not held back.
  struct Match {
    const std::pair<std::string, Rank>* token = nullptr;
    bool undecided = false;
  };
  Match at(std::string_view text, std::size_t pos, bool final) const {
    if (!first_byte[static_cast<unsigned char>(text[pos])]) return {};
    const std::string_view rest = text.substr(pos);
    for (const auto& t : tokens) {  // longest first
      if (rest.size() >= t.first.size()) {
        if (rest.compare(0, t.first.size(), t.first) == 0) return {&t, false};
      } else if (!final && t.first.compare(0, rest.size(), rest) == 0) {
        return {nullptr, true};  // a longer token may still match here
      }
    }
    return {};
  }
};

bool contains(const std::vector<std::string>& names, std::string_view s) {
  return std::find(names.begin(), names.end(), s) != names.end();
}

std::size_t utf8_char_len(unsigned char b) { return b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2; }

}  // namespace

struct StreamState {
  EncodingPtr enc;
  EncodeOptions options;
  EncodeOptions segment_options;  // allowed specials as given, no disallowed check (done here)
  std::shared_ptr<const re2::RE2> open;  // null: the "segment" rule

  SpecialSet allowed;     // split the text here
  SpecialSet disallowed;  // text that is an error, as encode() checks it

  std::string utf8_tail;  // incomplete UTF-8 sequence at the end of the input
  std::size_t bytes_fed = 0;
  std::size_t text_end = 0;  // length of the (validated or repaired) text received
  // Lossy mode: where repaired-text offsets realign with input offsets, in order; anchors at or
  // before dis_pos but the last are dropped (errors are only reported from dis_pos on).
  std::vector<OffsetAnchor> repair_anchors;

  // Disallowed-special check: positions before dis_pos are checked; dis_window holds the text
  // from dis_pos on.
  std::string dis_window;
  std::size_t dis_pos = 0;

  // The current segment's uncommitted text from absolute text offset seg_base: [0, plain) is
  // classified plain text (the B of the rule above), the rest awaits special-token matching.
  std::string seg;
  std::size_t seg_base = 0;
  std::size_t plain = 0;
  std::size_t next_check = 0;
  // While checks are deferred (long pending text), the bytes the pending text is made of: a
  // byte not among them may end the run that keeps it open, so it brings the check forward.
  std::array<bool, 256> pending_bytes_seen{};

  std::vector<PieceSpan> pieces;
  std::vector<Rank> out;
  bool finished = false;
  std::optional<Error> failure;

  StreamState(EncodingPtr e, EncodeOptions o) : enc(std::move(e)), options(std::move(o)) {
    segment_options.allowed_special = options.allowed_special;
    segment_options.disallowed_special = TokenSet::none();
    const TokenSet& allow = options.allowed_special;
    const TokenSet& deny = options.disallowed_special;
    for (const SpecialToken& t : enc->special_tokens()) {
      const bool is_allowed = allow.is_all() || contains(allow.names(), t.text);
      if (is_allowed) allowed.add(t.text, t.rank);
      // tiktoken: disallowed="all" means every special token that is not allowed.
      if (deny.is_all() && !is_allowed && !allow.is_all()) disallowed.add(t.text, 0);
    }
    // An explicit disallowed list is searched as given (any strings), as encode() does.
    if (!deny.is_all() && !deny.is_none())
      for (const std::string& s : deny.names()) disallowed.add(s, 0);
    allowed.sort();
    disallowed.sort();
    open = open_prefix_matcher(*enc);
  }

  void fail(Error e) {
    finished = true;
    failure = e;
    throw e;
  }

  std::size_t seg_abs(std::size_t i) const { return seg_base + i; }

  // Input bytes -> text: validated (strict) or repaired (replace). An incomplete sequence at
  // the end stays in utf8_tail unless `final`.
  std::string to_text(std::string_view bytes, bool final) {
    std::string data = std::move(utf8_tail);
    const std::size_t start = bytes_fed - data.size();  // input offset of data[0]
    data.append(bytes);
    const std::size_t keep = final ? 0 : incomplete_utf8_suffix(data);
    utf8_tail.assign(data, data.size() - keep, keep);
    data.resize(data.size() - keep);
    const std::size_t bad = find_invalid_utf8(data);
    if (bad == kNoOffset) return data;
    if (options.utf8 == Utf8Mode::kStrict) {
      fail(Error(ErrorCode::kInvalidUtf8,
                 "input is not valid UTF-8 at byte offset " + std::to_string(start + bad), start + bad));
    }
    return replace_invalid_utf8_anchored(data, {text_end, start}, repair_anchors);
  }

  // The input offset of an offset into the text (they differ after a lossy repair).
  std::size_t input_offset(std::size_t text_offset) const {
    auto after = std::upper_bound(repair_anchors.begin(), repair_anchors.end(), text_offset,
                                  [](std::size_t t, const OffsetAnchor& a) { return t < a.text; });
    if (after == repair_anchors.begin()) return text_offset;
    --after;
    return after->input + (text_offset - after->text);
  }

  void check_disallowed(std::string_view text, bool final) {
    if (disallowed.empty()) {
      dis_pos += text.size();
      repair_anchors.clear();  // no error will need them
      return;
    }
    dis_window.append(text);
    std::size_t p = 0;
    for (; p < dis_window.size(); ++p) {
      const SpecialSet::Match m = disallowed.at(dis_window, p, final);
      if (m.undecided) break;
      if (m.token) {
        const std::size_t at = input_offset(dis_pos + p);
        fail(Error(ErrorCode::kDisallowedSpecial,
                   "Encountered text corresponding to disallowed special token '" + m.token->first +
                       "' at byte offset " + std::to_string(at) +
                       ". Allow it to encode it as a special token, or disable the check for it to "
                       "encode it as normal text.",
                   at, m.token->first));
      }
    }
    dis_window.erase(0, p);
    dis_pos += p;
    auto first_kept = std::upper_bound(repair_anchors.begin(), repair_anchors.end(), dis_pos,
                                       [](std::size_t t, const OffsetAnchor& a) { return t < a.text; });
    if (first_kept - repair_anchors.begin() > 1) repair_anchors.erase(repair_anchors.begin(), first_kept - 1);
  }

  // Tokens of the whole remaining segment text seg[0, end), as a finished segment.
  void flush_segment(std::size_t end) {
    const std::string_view text(seg.data(), end);
    enc->encode_into(text, segment_options, out);
  }

  void classify(bool final) {
    if (allowed.empty() && disallowed.empty()) {
      plain = seg.size();
      return;
    }
    std::size_t i = plain;
    while (i < seg.size()) {
      const std::size_t len = utf8_char_len(static_cast<unsigned char>(seg[i]));
      if (!allowed.empty()) {
        const SpecialSet::Match m = allowed.at(seg, i, final);
        if (m.undecided) break;
        if (m.token) {
          const std::size_t end = i + m.token->first.size();
          if (seg_abs(end) > dis_pos) break;  // the disallowed check has not passed it yet
          flush_segment(i);
          out.push_back(m.token->second);
          seg.erase(0, end);
          seg_base += end;
          plain = 0;
          i = 0;
          next_check = 0;
          continue;
        }
      }
      if (seg_abs(i) + len > dis_pos) break;
      i += len;
    }
    plain = i;
  }

  void commit() {
    if (!open || plain < next_check || plain == 0) return;
    const std::string_view b(seg.data(), plain);
    re2::StringPiece m;
    if (!open->Match(re2::StringPiece(b.data(), b.size()), 0, b.size(), RE2::UNANCHORED, &m, 1)) {
      throw Error(ErrorCode::kInternal, "stream: the open-prefix pattern did not match");
    }
    const std::size_t open_start = static_cast<std::size_t>(m.data() - b.data());
    std::size_t cut = open_start;
    if (open_start > 0) {
      pieces.clear();
      split_pieces(*enc, b, pieces);
      for (const PieceSpan& p : pieces) {
        if (p.begin >= open_start) break;
        encode_piece(*enc, b.substr(p.begin, p.end - p.begin), out);
        cut = std::max<std::size_t>(cut, p.end);
      }
      seg.erase(0, cut);
      seg_base += cut;
      plain -= cut;
    }
    if (plain >= kAlwaysCheckBelow) {
      next_check = 2 * plain;
      pending_bytes_seen.fill(false);
      for (unsigned char c : std::string_view(seg.data(), plain)) pending_bytes_seen[c] = true;
    } else {
      next_check = plain + 1;
    }
  }

  void note_new_text(std::string_view text) {
    if (next_check <= plain + text.size()) return;  // a check is due anyway
    for (unsigned char c : text) {
      if (!pending_bytes_seen[c]) {
        next_check = 0;
        return;
      }
    }
  }

  void process(std::string_view bytes, bool final) {
    const std::string text = to_text(bytes, final);
    text_end += text.size();
    check_disallowed(text, final);
    note_new_text(text);
    seg.append(text);
    classify(final);
    if (final) {
      flush_segment(seg.size());
      seg.clear();
      plain = 0;
      return;
    }
    commit();
  }
};

}  // namespace detail

StreamEncoder::StreamEncoder(EncodingPtr encoding, EncodeOptions options) : encoding_(std::move(encoding)) {
  if (!encoding_) throw Error(ErrorCode::kInvalidArgument, "stream: encoding is null");
  state_ = std::make_unique<detail::StreamState>(encoding_, std::move(options));
}

StreamEncoder::~StreamEncoder() = default;
StreamEncoder::StreamEncoder(StreamEncoder&&) noexcept = default;
StreamEncoder& StreamEncoder::operator=(StreamEncoder&&) noexcept = default;

std::span<const Rank> StreamEncoder::feed(std::string_view bytes) {
  detail::StreamState& s = *state_;
  if (s.failure) throw *s.failure;
  if (s.finished) throw Error(ErrorCode::kInvalidArgument, "stream: feed() after finish(); call reset() first");
  // A stream may be longer than any one text; only the pending text has encode()'s limit.
  if (bytes.size() > kMaxInputBytes - std::min(s.seg.size() + s.utf8_tail.size(), kMaxInputBytes))
    s.fail(Error(ErrorCode::kInputTooLarge, "stream: pending text would exceed the 4 GiB - 1 limit"));
  s.out.clear();
  s.process(bytes, false);
  s.bytes_fed += bytes.size();
  stable_ += s.out.size();
  check_budget();
  return s.out;
}

std::span<const Rank> StreamEncoder::finish() {
  detail::StreamState& s = *state_;
  if (s.failure) throw *s.failure;
  if (s.finished) throw Error(ErrorCode::kInvalidArgument, "stream: finish() called twice; call reset() first");
  s.out.clear();
  if (!s.utf8_tail.empty() && s.options.utf8 == Utf8Mode::kStrict) {
    const std::size_t at = s.bytes_fed - s.utf8_tail.size();
    s.fail(Error(ErrorCode::kInvalidUtf8, "input is not valid UTF-8 at byte offset " + std::to_string(at), at));
  }
  s.process({}, true);
  s.finished = true;
  stable_ += s.out.size();
  check_budget();
  return s.out;
}

void StreamEncoder::reset() {
  EncodeOptions options = state_->options;
  state_ = std::make_unique<detail::StreamState>(encoding_, std::move(options));
  stable_ = 0;
  over_budget_ = false;
  crossed_at_ = kNoOffset;
}

std::size_t StreamEncoder::count() const {
  const detail::StreamState& s = *state_;
  if (s.finished || s.seg.empty()) return stable_;
  return stable_ + encoding_->count(s.seg, s.segment_options);
}

std::size_t StreamEncoder::pending_bytes() const noexcept {
  const detail::StreamState& s = *state_;
  return s.seg.size() + s.utf8_tail.size();
}

std::size_t StreamEncoder::bytes_fed() const noexcept { return state_->bytes_fed; }

void StreamEncoder::set_budget(std::optional<std::size_t> limit) {
  budget_ = limit;
  over_budget_ = false;
  crossed_at_ = kNoOffset;
  check_budget();
}

void StreamEncoder::check_budget() {
  if (!budget_) return;
  const std::size_t limit = *budget_;
  const detail::StreamState& s = *state_;
  // Cheap bounds first: every pending byte is at most one token.
  if (stable_ > limit) {
    over_budget_ = true;
  } else if (stable_ + s.seg.size() <= limit) {
    over_budget_ = false;
  } else {
    over_budget_ = count() > limit;
  }
  if (over_budget_ && crossed_at_ == kNoOffset) crossed_at_ = s.bytes_fed;
}

const char* StreamEncoder::finality_rule() const noexcept { return state_->open ? "open-prefix" : "segment"; }

// ---- StreamDecoder ---------------------------------------------------------------------------

StreamDecoder::StreamDecoder(EncodingPtr encoding) : encoding_(std::move(encoding)) {
  if (!encoding_) throw Error(ErrorCode::kInvalidArgument, "stream decoder: encoding is null");
}

std::string_view StreamDecoder::feed(std::span<const Rank> tokens) {
  std::string bytes = encoding_->decode_bytes(tokens);  // throws kUnknownToken before any change
  out_.clear();
  std::string data = std::move(held_);
  data.append(bytes);
  const std::size_t keep = incomplete_utf8_suffix(data);
  held_.assign(data, data.size() - keep, keep);
  data.resize(data.size() - keep);
  out_ = find_invalid_utf8(data) == kNoOffset ? std::move(data) : replace_invalid_utf8(data);
  return out_;
}

std::string_view StreamDecoder::finish() {
  out_ = held_.empty() ? std::string() : replace_invalid_utf8(held_);
  held_.clear();
  return out_;
}

}  // namespace tokcount
