// The diff's internals shared with the simulator (which names the causes of a miss with the
// same reasons). Public API: tokcount/cache.hpp (diff, diff_json, diff_report_json).
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "tokcount/cache.hpp"

namespace tokcount::cache::detail {

DiffResult diff_prompts(const Prompt& a, const Prompt& b);
// Parameter drift between two requests (PC010), in a fixed order.
void explain_params(const Prompt& a, const Prompt& b, std::vector<ReasonInfo>& out);
// [{"code":"TOOL_ORDER","rules":["PC006"],"path":...,"detail":...}, ...]
nlohmann::ordered_json reasons_json(const std::vector<ReasonInfo>& reasons);

}  // namespace tokcount::cache::detail
