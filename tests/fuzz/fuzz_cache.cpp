// Cache log lines (tokcount cache's input) through the simulator, and request bodies through
// prepare / diff / fingerprint. The input is split at newlines into log lines; the first two
// lines are also diffed as request bodies. Oracles: a rejected line is a tokcount::Error and is
// counted, never a crash; a body diffed with itself is
// identical; fingerprints of one prompt are equal twice.
#include "fuzz_common.hpp"
#include "tokcount/cache.hpp"

using namespace tokcount;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  cache::Simulator sim;
  std::vector<std::string_view> parts;
  for (std::size_t pos = 0; pos <= all.size() && parts.size() < 16;) {
    const std::size_t nl = std::min(all.find('\n', pos), all.size());
    parts.push_back(all.substr(pos, nl - pos));
    pos = nl + 1;
  }
  for (std::string_view line : parts) {
    try {
      (void)cache::prediction_json(sim.add_log_line(line));
    } catch (const Error& e) {
      FUZZ_CHECK(e.code() != ErrorCode::kOk && e.code() != ErrorCode::kInternal);
      sim.count_error();
    }
  }
  (void)cache::summary_json(sim.summary());
  for (std::size_t i = 0; i < parts.size() && i < 2; ++i) {
    try {
      const cache::Prompt p = cache::prepare(parts[i]);
      const cache::DiffResult self = cache::diff(p, p);
      FUZZ_CHECK(self.divergence.identical);
      (void)cache::diff_report_json(self);
      const cache::Fingerprint a = cache::fingerprint(p), b = cache::fingerprint(p);
      FUZZ_CHECK(cache::fingerprint_json(a) == cache::fingerprint_json(b));
      if (parts.size() > 1) (void)cache::diff_report_json(cache::diff_json(parts[0], parts[1]));
    } catch (const Error& e) {
      FUZZ_CHECK(e.code() != ErrorCode::kOk && e.code() != ErrorCode::kInternal);
    }
  }
  return 0;
}
