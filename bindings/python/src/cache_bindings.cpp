// tokcount._tokcount prompt-cache functions: a skin over tokcount::cache for tokcount/cache.py.
// Requests, predictions and summaries cross as JSON text (the library's own JSON, so Python,
// the CLI and the C API agree); the GIL is released while the C++ API works.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>

#include "tokcount/cache.hpp"

namespace py = pybind11;
namespace cache = tokcount::cache;

namespace {

std::optional<cache::Provider> provider_of(const std::string& p) {
  if (p.empty()) return std::nullopt;
  auto v = cache::parse_provider(p);
  if (!v) throw py::value_error("provider must be openai, anthropic, vllm or sglang");
  return v;
}

cache::FingerprintOptions fp_options(const std::string& mode, std::size_t block_size, const std::string& seed) {
  cache::FingerprintOptions o;
  auto m = cache::parse_hash_mode(mode);
  if (!m) throw py::value_error("mode must be xxh3, sglang or vllm_sha256_cbor");
  o.mode = *m;
  o.block_size = block_size;
  o.vllm_seed = seed;
  return o;
}

// tokcount::Error -> ValueError with the library's message (tokcount.cache re-raises it as
// CacheError with the code).
template <class F>
auto call(F&& f) {
  try {
    py::gil_scoped_release release;
    return f();
  } catch (const tokcount::Error& e) {
    throw py::value_error(std::string(tokcount::error_code_name(e.code())) + ": " + e.what());
  }
}

struct PySim {
  cache::TokenCache token_cache;
  std::unique_ptr<cache::Simulator> sim;
};

}  // namespace

void register_cache(py::module_& m) {
  m.def("_cache_diff", [](const std::string& a, const std::string& b, const std::string& provider) {
    cache::PrepareOptions o;
    o.provider = provider_of(provider);
    return call([&] { return cache::diff_report_json(cache::diff_json(a, b, o)); });
  });
  m.def("_cache_fingerprint", [](const std::string& body, const std::string& mode, std::size_t block_size,
                                 const std::string& seed, const std::string& provider) {
    const auto fo = fp_options(mode, block_size, seed);
    cache::PrepareOptions o;
    o.provider = provider_of(provider);
    return call([&] { return cache::fingerprint_json(cache::fingerprint(cache::prepare(body, o), fo)); });
  });
  m.def("_cache_fingerprint_tokens", [](const std::vector<tokcount::Rank>& tokens, const std::string& mode,
                                        std::size_t block_size, const std::string& seed) {
    const auto fo = fp_options(mode, block_size, seed);
    return call([&] { return cache::fingerprint_json(cache::fingerprint_tokens(tokens, fo)); });
  });
  py::class_<PySim>(m, "_CacheSimulator")
      .def(py::init([](const std::string& provider, std::size_t capacity, std::size_t block_size, bool explain) {
             auto s = std::make_unique<PySim>();
             cache::SimulatorOptions o;
             o.provider = provider_of(provider);
             o.prepare.provider = o.provider;
             o.prepare.token_cache = &s->token_cache;
             o.capacity_tokens = capacity;
             o.block_size = block_size;
             o.explain = explain;
             s->sim = std::make_unique<cache::Simulator>(o);
             return s;
           }),
           py::arg("provider") = "", py::arg("capacity_tokens") = 0, py::arg("block_size") = 0,
           py::arg("explain") = true)
      .def("add_line",
           [](PySim& s, const std::string& line) {
             try {
               return call([&] { return cache::prediction_json(s.sim->add_log_line(line)); });
             } catch (...) {
               s.sim->count_error();
               throw;
             }
           })
      .def("summary", [](PySim& s) { return call([&] { return cache::summary_json(s.sim->summary()); }); });
}
