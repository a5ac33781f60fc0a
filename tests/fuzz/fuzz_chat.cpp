// Chat request JSON (tokcount chat's input) through chat::render_json, the report and the C
// API. Oracles: rejection is a tokcount::Error; prompt_tokens == tokens.size(); segments tile
// the token sequence in order; the C API gives the same prompt_tokens or the same status.
#include "fuzz_common.hpp"
#include "tokcount/chat.hpp"
#include "tokcount/tokcount.h"

using namespace tokcount;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  std::size_t prompt = 0;
  ErrorCode code = ErrorCode::kOk;
  try {
    const chat::Result r = chat::render_json(body);  // the C API's defaults (options = NULL)
    FUZZ_CHECK(r.prompt_tokens == r.tokens.size());
    std::size_t at = 0;
    for (const chat::Segment& s : r.segments) {
      FUZZ_CHECK(s.begin == at && s.end >= s.begin);
      at = s.end;
    }
    FUZZ_CHECK(at == r.tokens.size());
    const chat::CostReport c = chat::estimate_cost(r);
    (void)chat::report_json(r, c);
    prompt = r.prompt_tokens;
  } catch (const Error& e) {
    code = e.code();
    FUZZ_CHECK(code != ErrorCode::kOk && code != ErrorCode::kInternal);
  }
  tokcount_chat_result* res = nullptr;
  const tokcount_status st = tokcount_chat_render(body.data(), body.size(), nullptr, &res);
  FUZZ_CHECK(st == static_cast<tokcount_status>(code));
  if (st == TOKCOUNT_OK) {
    std::size_t n = 0;
    int unc = 0;
    FUZZ_CHECK(tokcount_chat_prompt_tokens(res, &n, &unc) == TOKCOUNT_OK && n == prompt);
  } else {
    FUZZ_CHECK(res == nullptr);
  }
  tokcount_chat_result_free(res);
  return 0;
}
