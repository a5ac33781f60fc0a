// Per-stage micro-benchmarks. Inputs: the corpora in ../shared/corpus/ when present (English
// prose, Python, Chinese, Russian, German), else generated text; plus generated adversarial
// inputs. Throughput is reported as bytes/s (SetBytesProcessed) and tokens/s.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <map>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "merge/bpe_merge.hpp"
#include "pretokenizer/scanners.hpp"
#include "tokcount/tokcount.hpp"
#include "vocabulary/builtin_vocab.hpp"

namespace {

namespace fs = std::filesystem;

std::string generated_prose(std::size_t bytes) {
  static const char* words[] = {"the", "whale", "ship", "sea", "Ahab", "captain", "and", "of", "a", "to",
                                "in", "was", "that", "his", "it", "with", "harpoon", "white", "boat", "said"};
  std::mt19937 rng(3);
  std::string s;
  while (s.size() < bytes) {
    s += words[rng() % 20];
    s += (rng() % 12 == 0) ? ".\n" : " ";
  }
  return s;
}

// A corpus file by name from ../shared/corpus, or generated prose when absent.
const std::string& corpus(const std::string& name) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  const fs::path p = fs::path(TOKCOUNT_SOURCE_DIR).parent_path() / "shared" / "corpus" / (name + ".txt");
  std::string text;
  if (fs::exists(p)) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  } else {
    text = generated_prose(1 << 20);
  }
  return cache.emplace(name, std::move(text)).first->second;
}

const char* kCorpora[] = {"en_prose", "code_python", "zh", "ru", "de"};
const char* kEncodings[] = {"r50k_base", "cl100k_base", "o200k_base"};

void BM_Encode(benchmark::State& state, const char* encoding, const char* name) {
  const auto enc = tokcount::Encoding::get(encoding);
  const std::string& text = corpus(name);
  std::vector<tokcount::Rank> out;
  for (auto _ : state) {
    out.clear();
    enc->encode_into(text, tokcount::EncodeOptions{tokcount::TokenSet::none(), tokcount::TokenSet::none()}, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["tokens/s"] =
      benchmark::Counter(static_cast<double>(out.size()) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Count(benchmark::State& state, const char* encoding, const char* name) {
  const auto enc = tokcount::Encoding::get(encoding);
  const std::string& text = corpus(name);
  for (auto _ : state) benchmark::DoNotOptimize(enc->count_ordinary(text));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

template <class Scan>
void BM_PreTokenize(benchmark::State& state, Scan scan, const char* name) {
  const std::string& text = corpus(name);
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  for (auto _ : state) {
    std::size_t pieces = 0;
    scan(s, text.size(), [&](std::size_t, std::size_t) { ++pieces; });
    benchmark::DoNotOptimize(pieces);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_WholePieceLookup(benchmark::State& state) {
  const auto& v = tokcount::vocab::builtin_table(tokcount::vocab::BuiltinVocab::kO200k);
  const std::string& text = corpus("en_prose");
  std::vector<std::pair<std::size_t, std::size_t>> pieces;
  tokcount::pretok::scan_o200k(reinterpret_cast<const std::uint8_t*>(text.data()), text.size(),
                               [&](std::size_t b, std::size_t e) { pieces.emplace_back(b, e); });
  const auto* s = reinterpret_cast<const std::uint8_t*>(text.data());
  for (auto _ : state) {
    std::size_t hits = 0;
    for (const auto& [b, e] : pieces) hits += v.find(s + b, e - b) != tokcount::vocab::kNoRank;
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * pieces.size()));
}

void BM_MergeLongPiece(benchmark::State& state) {
  const auto& v = tokcount::vocab::builtin_table(tokcount::vocab::BuiltinVocab::kCl100k);
  std::mt19937 rng(5);
  std::string piece(static_cast<std::size_t>(state.range(0)), 'a');
  for (auto& c : piece) c = static_cast<char>('a' + rng() % 26);
  std::vector<tokcount::Rank> out;
  for (auto _ : state) {
    out.clear();
    tokcount::merge::merge_long(v, reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size(), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * piece.size()));
}

void BM_Adversarial(benchmark::State& state, const char* encoding, int kind) {
  const auto enc = tokcount::Encoding::get(encoding);
  std::mt19937 rng(9);
  std::string s(1 << 20, 'a');
  if (kind == 1) for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  if (kind == 2) for (auto& c : s) c = static_cast<char>('0' + rng() % 10);
  if (kind == 3) for (auto& c : s) c = "!@#$%^&*()-=+[]{};:,.<>/?"[rng() % 25];
  if (kind == 4) s.assign(1 << 20, ' ');
  for (auto _ : state) benchmark::DoNotOptimize(enc->count_ordinary(s));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.size()));
}

int register_all() {
  for (const char* e : kEncodings) {
    for (const char* c : kCorpora) {
      benchmark::RegisterBenchmark((std::string("encode/") + e + "/" + c).c_str(), BM_Encode, e, c);
      benchmark::RegisterBenchmark((std::string("count/") + e + "/" + c).c_str(), BM_Count, e, c);
    }
    const char* kinds[] = {"a_x1M", "random_letters_1M", "digits_1M", "punct_1M", "spaces_1M"};
    for (int k = 0; k < 5; ++k)
      benchmark::RegisterBenchmark((std::string("adversarial/") + e + "/" + kinds[k]).c_str(), BM_Adversarial, e, k);
  }
  auto r50k = [](const std::uint8_t* s, std::size_t n, auto&& f) { tokcount::pretok::scan_r50k(s, n, f); };
  auto cl100k = [](const std::uint8_t* s, std::size_t n, auto&& f) { tokcount::pretok::scan_cl100k(s, n, f); };
  auto o200k = [](const std::uint8_t* s, std::size_t n, auto&& f) { tokcount::pretok::scan_o200k(s, n, f); };
  for (const char* c : kCorpora) {
    benchmark::RegisterBenchmark((std::string("pretokenize/r50k/") + c).c_str(), BM_PreTokenize<decltype(r50k)>, r50k, c);
    benchmark::RegisterBenchmark((std::string("pretokenize/cl100k/") + c).c_str(), BM_PreTokenize<decltype(cl100k)>, cl100k, c);
    benchmark::RegisterBenchmark((std::string("pretokenize/o200k/") + c).c_str(), BM_PreTokenize<decltype(o200k)>, o200k, c);
  }
  benchmark::RegisterBenchmark("lookup/whole_piece/o200k/en_prose", BM_WholePieceLookup);
  benchmark::RegisterBenchmark("merge/long_piece/cl100k", BM_MergeLongPiece)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);
  return 0;
}

const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
