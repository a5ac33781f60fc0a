// encode / count / count_up_to of arbitrary bytes on every built-in encoding, with and
// without special tokens, strict and lossy UTF-8. Oracles: count() == encode().size();
// count_up_to agrees; decode(encode(x)) == x for valid UTF-8 (== the U+FFFD-replaced text in
// lossy mode); encode_bytes round-trips any bytes; the C API gives the same count, and its
// batch call the same tokens.
#include "fuzz_common.hpp"
#include "tokcount/tokcount.h"

using namespace tokcount;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const std::uint8_t sel = in.byte();
  const std::uint8_t opt_byte = in.byte();
  const EncodingPtr enc = fuzz::encoding_from(sel);
  const EncodeOptions opts = fuzz::options_from(opt_byte);
  const std::string_view text = in.rest();

  std::vector<Rank> ids;
  bool ok = false;
  ErrorCode code = ErrorCode::kOk;
  try {
    ids = enc->encode(text, opts);
    ok = true;
  } catch (const Error& e) {
    code = e.code();
    FUZZ_CHECK(code == ErrorCode::kInvalidUtf8 || code == ErrorCode::kDisallowedSpecial);
    FUZZ_CHECK(e.byte_offset() < text.size());
  }
  try {
    const std::size_t n = enc->count(text, opts);
    FUZZ_CHECK(ok && n == ids.size());
    const std::size_t limit = ids.size() / 2;
    const CountResult r = enc->count_up_to(text, limit, opts);
    FUZZ_CHECK(r.exceeded == (ids.size() > limit));
    if (!r.exceeded) FUZZ_CHECK(r.count == ids.size());
  } catch (const Error& e) {
    FUZZ_CHECK(!ok && e.code() == code);
  }
  if (ok) {
    const std::string expect =
        opts.utf8 == Utf8Mode::kReplace ? replace_invalid_utf8(text) : std::string(text);
    FUZZ_CHECK(enc->decode_bytes(ids) == expect);
    for (Rank id : ids) FUZZ_CHECK(id < enc->n_vocab());
  }

  // Arbitrary bytes, no UTF-8 requirement: always encodable, always round-trips.
  const std::vector<Rank> raw = enc->encode_bytes(text);
  FUZZ_CHECK(enc->decode_bytes(raw) == text);

  // The C API is a skin over the same calls: same count, same status.
  tokcount_encoding* h = nullptr;
  const std::string name = enc->name();
  FUZZ_CHECK(tokcount_encoding_get(name.data(), name.size(), &h) == TOKCOUNT_OK);
  std::uint32_t flags = 0;
  if (opts.allowed_special.is_all()) flags |= TOKCOUNT_ALLOWED_SPECIAL_ALL;
  if (opts.disallowed_special.is_none()) flags |= TOKCOUNT_DISALLOWED_SPECIAL_NONE;
  if (opts.utf8 == Utf8Mode::kReplace) flags |= TOKCOUNT_UTF8_REPLACE;
  if (!opts.allowed_special.is_all() && !opts.allowed_special.is_none()) {
    // explicit lists are not expressible by flags alone; the C++ side is checked above
  } else {
    std::size_t n = 0;
    const tokcount_status st = tokcount_count(h, text.data(), text.size(), flags, &n);
    if (ok) {
      FUZZ_CHECK(st == TOKCOUNT_OK && n == ids.size());
    } else {
      FUZZ_CHECK(st == static_cast<tokcount_status>(code));
    }
    // The batch entry point: the same tokens through its callback, or the same status with
    // nothing delivered.
    tokcount_options copts{};
    copts.flags = flags;
    const tokcount_str one[] = {{text.data(), text.size()}};
    std::vector<std::uint32_t> got;
    std::size_t delivered = 99;
    const auto collect = [](void* user, std::size_t, const std::uint32_t* t, std::size_t len) {
      static_cast<std::vector<std::uint32_t>*>(user)->assign(t, t + len);
      return 0;
    };
    const tokcount_status bst = tokcount_encode_batch(h, one, 1, &copts, 1, collect, &got, &delivered);
    if (ok) {
      FUZZ_CHECK(bst == TOKCOUNT_OK && delivered == 1 && got == ids);
    } else {
      FUZZ_CHECK(bst == static_cast<tokcount_status>(code) && delivered == 0);
    }
  }
  tokcount_encoding_free(h);
  return 0;
}
