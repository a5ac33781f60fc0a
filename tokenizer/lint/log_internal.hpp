// Internal: the records of a JSONL request log (log.cpp) and the sequence rules over them
// (log_rules.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lint/request_model.hpp"

namespace tokcount::lint::detail {

struct LogRecord {
  std::size_t line = 0;               // 1-based line in the log
  std::optional<double> ts;           // request start, unix seconds
  std::optional<double> response_ts;  // first response byte ("first_token_ts" / "response_ts")
  Json body;                          // the request
  RequestModel model;
  std::string group;         // prefix group key (normalized system / developer text)
  std::string conversation;  // conversation key (group + first user message, or "conversation")
};

// kParseError naming the line for a line that is not {"request": {...}}; kInvalidArgument
// (with the line) for a request of the wrong shape.
std::vector<LogRecord> parse_log(std::string_view jsonl, const Linter& linter);

// PC006-PC010, PC020, PC021, PC023, PC027, PC029, PC030 over the records; appends findings
// located by record and JSON path.
void sequence_rules(const Linter& linter, const std::vector<LogRecord>& records, std::vector<Finding>& out);

}  // namespace tokcount::lint::detail
