// tokcount streaming: exact incremental encoding and decoding.
//
// StreamEncoder takes text in chunks split anywhere (inside UTF-8 sequences too) and emits each
// token as soon as no later text can change it. The tokens of all feed() calls plus finish()
// are exactly encode() of the concatenated text with the same options, always. It keeps only
// what can still change (the text that could still become part of one pre-token piece, a few
// bytes for special-token matching and an incomplete UTF-8 sequence), so memory is bounded by
// the longest unfinished piece, not by the stream.
//
// StreamDecoder turns token ids into text chunks that are always complete UTF-8: a character
// split across tokens is held back until its last byte arrives. The concatenated chunks equal
// decode() of all the ids.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokcount/tokcount.hpp"

namespace tokcount {

namespace detail {
struct StreamState;
}

class StreamEncoder {
 public:
  // `options` as for Encoding::encode(): special-token handling and the UTF-8 policy.
  explicit StreamEncoder(EncodingPtr encoding, EncodeOptions options = {});
  ~StreamEncoder();
  StreamEncoder(StreamEncoder&&) noexcept;
  StreamEncoder& operator=(StreamEncoder&&) noexcept;

  // Appends `bytes` to the stream. Returns the tokens that became final with it; the span is
  // valid until the next call on this object. Errors are the ones encode() reports (invalid
  // UTF-8 in strict mode, disallowed special-token text), as soon as they are certain, with the
  // byte offset in the whole stream; after an error the stream is finished and stays failed.
  // One difference from encode() is inherent: encode() checks the whole text for invalid UTF-8
  // before it looks for disallowed special tokens, a stream reports whichever comes first.
  // The stream as a whole has no length limit; the pending text has encode()'s (kInputTooLarge).
  std::span<const Rank> feed(std::string_view bytes);
  // Ends the stream: the remaining tokens. Further feed()/finish() calls are kInvalidArgument
  // until reset().
  std::span<const Rank> finish();
  // Starts a new stream with the same encoding, options and budget.
  void reset();

  // Tokens emitted so far (final: later text cannot change them).
  std::size_t stable_count() const noexcept { return stable_; }
  // Tokens of all the text fed so far if the stream ended now (stable + pending), ignoring an
  // incomplete UTF-8 sequence at the end. Costs a pass over the pending text.
  std::size_t count() const;
  // Bytes held that are not final yet (the memory the stream keeps).
  std::size_t pending_bytes() const noexcept;
  // Bytes fed so far.
  std::size_t bytes_fed() const noexcept;

  // Budget: after every feed, over_budget() is exactly count() > limit, i.e.
  // Encoding::count_up_to(all text so far, limit).exceeded. count() can go down again when a
  // later chunk merges pending text into fewer tokens, so budget_crossed_at() records the first
  // time it was over: bytes_fed() after that feed (kNoOffset if never).
  void set_budget(std::optional<std::size_t> limit);
  std::optional<std::size_t> budget() const noexcept { return budget_; }
  bool over_budget() const noexcept { return over_budget_; }
  std::size_t budget_crossed_at() const noexcept { return crossed_at_; }

  // How the stream decides that a piece is final: "open-prefix" (the rule explained in
  // tokenizer/stream/stream_encoder.cpp) or "segment" (a pattern with a start anchor: text is
  // held until the end of the stream or the next allowed special token; still exact).
  const char* finality_rule() const noexcept;

  const Encoding& encoding() const noexcept { return *encoding_; }

 private:
  void check_budget();

  EncodingPtr encoding_;
  std::unique_ptr<detail::StreamState> state_;
  std::size_t stable_ = 0;
  std::optional<std::size_t> budget_;
  bool over_budget_ = false;
  std::size_t crossed_at_ = kNoOffset;
};

class StreamDecoder {
 public:
  explicit StreamDecoder(EncodingPtr encoding);

  // Text of `tokens` that is complete UTF-8, after what earlier calls held back. Invalid bytes
  // are handled as decode() does (each maximal invalid subpart becomes U+FFFD) as soon as they
  // are known to be invalid; a valid but incomplete sequence at the end is held back (at most 3
  // bytes). kUnknownToken for an id not in the vocabulary: then nothing of this call is used and
  // the decoder is unchanged. The view is valid until the next call.
  std::string_view feed(std::span<const Rank> tokens);
  // What is held back, as decode() would end it (an incomplete sequence becomes U+FFFD).
  std::string_view finish();
  std::size_t pending_bytes() const noexcept { return held_.size(); }

 private:
  EncodingPtr encoding_;
  std::string held_;
  std::string out_;
};

// Length of the longest suffix of `bytes` that is a valid but incomplete UTF-8 sequence
// (0-3): the bytes a streaming consumer must hold back until more arrive. Everything before
// them can be validated or repaired on its own with the same result as the whole.
std::size_t incomplete_utf8_suffix(std::string_view bytes) noexcept;

}  // namespace tokcount
