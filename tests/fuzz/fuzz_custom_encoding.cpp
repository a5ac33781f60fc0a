// Custom encoding construction from hostile parts: a pattern and a vocabulary, either as
// .tiktoken file bytes (parser) or as raw token byte strings, plus special tokens. Oracles:
// rejection is a tokcount::Error with a construction code; an accepted encoding encodes its own
// inputs with count() == encode().size() and ids in range; the C API accepts and rejects the
// same inputs with the same status.
#include "fuzz_common.hpp"
#include "tokcount/tokcount.h"

using namespace tokcount;

namespace {

bool construction_code(ErrorCode c) {
  return c == ErrorCode::kParseError || c == ErrorCode::kUnsupportedPattern ||
         c == ErrorCode::kInvalidArgument || c == ErrorCode::kInputTooLarge;
}

// Up to the next 0xFF byte (or the end): the fields of the input.
std::string_view field(std::string_view& s) {
  const std::size_t p = s.find('\xFF');
  std::string_view f = s.substr(0, p);
  s.remove_prefix(p == std::string_view::npos ? s.size() : p + 1);
  return f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const std::uint8_t mode = in.byte();
  std::string_view rest = in.rest();
  const std::string_view pattern = field(rest);
  const std::string_view vocab = field(rest);
  const std::string_view special = field(rest);
  const std::string_view text = rest;

  std::vector<std::pair<std::string, Rank>> ranks;
  if (mode & 1) {
    try {
      ranks = Encoding::parse_tiktoken_bpe(vocab);
    } catch (const Error& e) {
      FUZZ_CHECK(construction_code(e.code()));
      return 0;
    }
  } else {
    // Every single byte, then the vocab field's lines as longer tokens (duplicates and all).
    for (int b = 0; b < 256; ++b) ranks.emplace_back(std::string(1, static_cast<char>(b)), static_cast<Rank>(b));
    std::string_view v = vocab;
    Rank r = 256;
    while (!v.empty()) {
      const std::size_t nl = v.find('\n');
      ranks.emplace_back(std::string(v.substr(0, nl)), r++);
      v.remove_prefix(nl == std::string_view::npos ? v.size() : nl + 1);
    }
  }
  std::vector<SpecialToken> specials;
  if (!special.empty()) specials.push_back({std::string(special), static_cast<Rank>(100000 + (mode >> 1))});

  EncodingPtr enc;
  ErrorCode code = ErrorCode::kOk;
  try {
    enc = Encoding::create("fuzz", std::string(pattern), ranks, specials);
  } catch (const Error& e) {
    code = e.code();
    FUZZ_CHECK(construction_code(code));
  }
  if (enc) {
    for (const EncodeOptions& opts : {fuzz::options_from(mode), EncodeOptions{}}) {
      try {
        const std::vector<Rank> ids = enc->encode(text, opts);
        FUZZ_CHECK(enc->count(text, opts) == ids.size());
      } catch (const Error& e) {
        // kInvalidArgument: a byte the vocabulary has no token for (tiktoken panics there).
        if (!(e.code() == ErrorCode::kInvalidUtf8 || e.code() == ErrorCode::kDisallowedSpecial ||
              e.code() == ErrorCode::kUnknownToken || e.code() == ErrorCode::kInvalidArgument))
          std::fprintf(stderr, "unexpected %s: %s\n", error_code_name(e.code()), e.what());
        FUZZ_CHECK(e.code() == ErrorCode::kInvalidUtf8 || e.code() == ErrorCode::kDisallowedSpecial ||
                   e.code() == ErrorCode::kUnknownToken || e.code() == ErrorCode::kInvalidArgument);
      }
    }
    try {
      // No round-trip oracle here: text that no alternative of the pattern matches is skipped,
      // as tiktoken's find_iter skips it (a fuzz finding that was the oracle's, not a bug).
      for (Rank id : enc->encode_bytes(text)) FUZZ_CHECK(id <= enc->max_token_value());
    } catch (const Error& e) {
      // A vocabulary without every single byte cannot encode every byte string.
      FUZZ_CHECK(e.code() == ErrorCode::kUnknownToken || e.code() == ErrorCode::kInvalidArgument);
    }
  }

  // The C API over the same construction (.tiktoken mode only: it takes file contents).
  if (mode & 1) {
    tokcount_encoding* h = nullptr;
    std::vector<tokcount_special_token> cs;
    for (const SpecialToken& s : specials) cs.push_back({s.text.data(), s.text.size(), s.rank});
    const tokcount_status st = tokcount_encoding_create("fuzz", 4, pattern.data(), pattern.size(), vocab.data(),
                                                        vocab.size(), cs.data(), cs.size(), 0, &h);
    FUZZ_CHECK((st == TOKCOUNT_OK) == static_cast<bool>(enc));
    if (!enc) FUZZ_CHECK(st == static_cast<tokcount_status>(code));
    tokcount_encoding_free(h);
  }
  return 0;
}
