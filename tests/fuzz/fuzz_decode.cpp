// decode of arbitrary token ids (4 input bytes per id, little-endian; small ids more often so
// most inputs decode). Oracles: an id outside the vocabulary is kUnknownToken and nothing else;
// decode == replace_invalid_utf8(decode_bytes); the streaming decoder's chunks concatenate to
// decode(); the C API agrees.
#include <cstring>

#include "fuzz_common.hpp"
#include "tokcount/stream.hpp"
#include "tokcount/tokcount.h"

using namespace tokcount;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const EncodingPtr enc = fuzz::encoding_from(in.byte());
  std::vector<Rank> ids;
  while (!in.empty()) {
    const std::string_view w = in.take(4);
    std::uint32_t v = 0;
    std::memcpy(&v, w.data(), w.size());
    // The top byte picks the range: mostly inside the vocabulary, sometimes anything.
    if ((v >> 24) < 0xF0) v = (v & 0xFFFFFF) % static_cast<std::uint32_t>(enc->n_vocab() + 16);
    ids.push_back(v);
  }
  bool known = true;
  for (Rank id : ids) {
    try {
      (void)enc->token_bytes(id);
    } catch (const Error& e) {
      FUZZ_CHECK(e.code() == ErrorCode::kUnknownToken);
      known = false;
    }
  }
  std::string bytes, text;
  try {
    bytes = enc->decode_bytes(ids);
    text = enc->decode(ids);
    FUZZ_CHECK(known);
    FUZZ_CHECK(text == replace_invalid_utf8(bytes));
  } catch (const Error& e) {
    FUZZ_CHECK(!known && e.code() == ErrorCode::kUnknownToken);
  }
  if (known) {
    StreamDecoder dec(enc);
    std::string streamed;
    for (std::size_t i = 0; i < ids.size(); i += 3) {
      const std::size_t n = std::min<std::size_t>(3, ids.size() - i);
      streamed += dec.feed(std::span<const Rank>(ids.data() + i, n));
    }
    streamed += dec.finish();
    FUZZ_CHECK(streamed == text);
  }

  tokcount_encoding* h = nullptr;
  const std::string name = enc->name();
  FUZZ_CHECK(tokcount_encoding_get(name.data(), name.size(), &h) == TOKCOUNT_OK);
  std::size_t need = 0;
  const tokcount_status st = tokcount_decode(h, ids.data(), ids.size(), nullptr, 0, &need);
  if (known) {
    FUZZ_CHECK(st == (text.empty() ? TOKCOUNT_OK : TOKCOUNT_BUFFER_TOO_SMALL));
    FUZZ_CHECK(need == text.size());
  } else {
    FUZZ_CHECK(st == TOKCOUNT_UNKNOWN_TOKEN);
  }
  tokcount_encoding_free(h);
  return 0;
}
