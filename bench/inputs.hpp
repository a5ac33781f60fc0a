// Generated benchmark inputs: the one generator used by the micro-benchmarks, the callgrind
// workload and the comparison harness (which writes them to files with
// `tokcount_bench_driver gen KIND BYTES`), so every instrument measures the same bytes.
//
// Deterministic: a fixed seed per kind and std::mt19937_64 (whose output sequence the C++
// standard specifies) reduced with `%`, never a <random> distribution (those differ between
// standard libraries). The same kind and size give the same bytes on every machine, which the
// instruction-count baseline relies on.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tokcount::bench {

struct InputKind {
  std::string_view name;
  // "text": corpus-like generated text (stands in for ../shared/corpus when it is absent);
  // "adversarial": the six 1 MB single-piece inputs;
  // "pathological": the rest of the list in the research notes (whitespace, punctuation and
  // digit runs, CJK without spaces, Unicode edge cases, token soup, special-token text).
  std::string_view group;
  std::string_view what;
};

const std::vector<InputKind>& input_kinds();

// `bytes` bytes of the named kind (valid UTF-8: multi-byte kinds are cut at a character
// boundary, so the result may be up to 3 bytes shorter). std::invalid_argument for an
// unknown kind.
std::string generate_input(std::string_view kind, std::size_t bytes);

}  // namespace tokcount::bench
