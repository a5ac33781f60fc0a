// The incremental encoder against one-shot encoding as the oracle: the text is fed to a
// StreamEncoder in chunks whose sizes come from the input (inside UTF-8 sequences and special
// tokens too). When encode() succeeds the stream must give exactly its tokens (and count()
// must agree at every step with the text so far); when encode() fails the stream must fail.
#include "fuzz_common.hpp"
#include "tokcount/stream.hpp"

using namespace tokcount;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const EncodingPtr enc = fuzz::encoding_from(in.byte());
  const EncodeOptions opts = fuzz::options_from(in.byte());
  const std::string_view cuts = in.take(1 + in.byte() % 16);
  const std::string_view text = in.rest();

  std::vector<Rank> expect;
  bool ok = true;
  ErrorCode expect_code{};
  std::size_t expect_offset = kNoOffset;
  try {
    expect = enc->encode(text, opts);
  } catch (const Error& e) {
    ok = false;
    expect_code = e.code();
    expect_offset = e.byte_offset();
  }

  StreamEncoder s(enc, opts);
  std::vector<Rank> got;
  bool stream_ok = true;
  try {
    std::size_t i = 0, c = 0;
    bool last_empty = false;
    while (i < text.size()) {
      std::size_t n = static_cast<std::uint8_t>(cuts[c++ % cuts.size()]) % 32;  // 0: an empty feed
      if (n == 0 && last_empty) n = 1;  // an all-zero cut list must still make progress
      last_empty = n == 0;
      const std::string_view part = text.substr(i, n);
      i += part.size();
      const std::span<const Rank> t = s.feed(part);
      got.insert(got.end(), t.begin(), t.end());
      FUZZ_CHECK(s.stable_count() == got.size());
      if (ok && (c % 4) == 0) {
        // count() = tokens of the text so far (an incomplete UTF-8 tail ignored): a prefix
        // of a valid text is valid up to that tail.
        const std::string_view sofar = text.substr(0, i);
        const std::size_t keep = sofar.size() - incomplete_utf8_suffix(sofar);
        FUZZ_CHECK(s.count() == enc->count(sofar.substr(0, keep), opts));
      }
    }
    const std::span<const Rank> t = s.finish();
    got.insert(got.end(), t.begin(), t.end());
  } catch (const Error& e) {
    FUZZ_CHECK(e.code() == ErrorCode::kInvalidUtf8 || e.code() == ErrorCode::kDisallowedSpecial);
    // The same error at the same input offset. (The kinds may differ: encode() validates all
    // the UTF-8 first, the stream meets a disallowed special token before later bad bytes.)
    if (!ok && e.code() == expect_code) FUZZ_CHECK(e.byte_offset() == expect_offset);
    stream_ok = false;
  }
  FUZZ_CHECK(ok == stream_ok);
  if (ok) FUZZ_CHECK(got == expect);
  return 0;
}
