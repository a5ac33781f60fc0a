// Per-stage micro-benchmarks (Google Benchmark): where the time goes inside tokcount.
//
//   pretokenize/<pattern>/<input>      hand-written scanners
//   encode_custom_re2/<input>          encode with a custom pattern (the RE2 pre-tokenizer path)
//   lookup/whole_piece/<enc>/<input>   one vocabulary probe per pre-tokenized piece
//   merge/short/<enc>/<input>          the short-piece loop on the pieces that are not tokens
//   merge/long/<enc>/<bytes>           the heap loop on one random-letter piece
//   encode/ count/ <enc>/<input>       the whole pipeline through the public API (one text, repeated:
//                                      after the first pass its pieces are all memoized)
//   encode_unseen/<enc>/<input>        the second half of the input, after the first half warmed
//                                      fresh memos (new text in the memo's steady state)
//   batch/<enc>/<input>/threads:N      encode_batch over the input cut into ~1.7 KB documents
//   call/<enc>/10_bytes                per-call cost on a 10-byte string
//   generated/<enc>/<kind>             every generated kind of bench/inputs.hpp at 1 MB
//
// Inputs: the corpora in $TOKCOUNT_CORPUS_DIR, else <repo>/../shared/corpus, when present
// (en_prose, code_python, zh, ru, de); otherwise the generated stand-ins gen_en ... gen_de,
// named as such so a result is never labelled with a corpus it did not read.
//
// Only the stage benchmarks use private headers (scanners, VocabTable, merge loops), through
// the `tokcount_internal` target; everything else is the public API. CPU time is the default
// rate basis (less noisy on a shared machine); the batch benchmarks use wall time.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "inputs.hpp"
#include "merge/bpe_merge.hpp"
#include "pretokenizer/scanners.hpp"
#include "tokcount/tokcount.hpp"
#include "vocabulary/builtin_vocab.hpp"

namespace {

namespace fs = std::filesystem;
using tokcount::Encoding;
using tokcount::EncodingPtr;
using tokcount::Rank;
namespace vocab = tokcount::vocab;

constexpr std::size_t kGeneratedBytes = 1 << 20;

fs::path corpus_dir() {
  if (const char* env = std::getenv("TOKCOUNT_CORPUS_DIR"); env && *env) return env;
  return fs::path(TOKCOUNT_SOURCE_DIR).parent_path() / "shared" / "corpus";
}

struct Input {
  std::string name;
  std::string text;
};

// The five real corpora when present, else their generated stand-ins.
const std::vector<Input>& corpora() {
  static const std::vector<Input> inputs = [] {
    const std::pair<const char*, const char*> names[] = {
        {"en_prose", "gen_en"}, {"code_python", "gen_code"}, {"zh", "gen_zh"}, {"ru", "gen_ru"}, {"de", "gen_de"}};
    std::vector<Input> v;
    for (const auto& [file, stand_in] : names) {
      const fs::path p = corpus_dir() / (std::string(file) + ".txt");
      if (fs::exists(p)) {
        std::ifstream in(p, std::ios::binary);
        std::ostringstream ss;
        ss << in.rdbuf();
        v.push_back({file, ss.str()});
      } else {
        v.push_back({stand_in, tokcount::bench::generate_input(stand_in, kGeneratedBytes)});
      }
    }
    return v;
  }();
  return inputs;
}

const std::string& generated(const std::string& kind) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(kind);
  if (it == cache.end()) it = cache.emplace(kind, tokcount::bench::generate_input(kind, kGeneratedBytes)).first;
  return it->second;
}

const std::uint8_t* bytes(const std::string& s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

void set_rates(benchmark::State& state, std::size_t bytes_per_iter, std::size_t tokens_per_iter) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes_per_iter));
  if (tokens_per_iter)
    state.counters["tokens/s"] = benchmark::Counter(
        static_cast<double>(tokens_per_iter) * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// ---- stages ---------------------------------------------------------------------------

struct Pattern {
  const char* name;
  vocab::BuiltinVocab vocab;
  void (*scan)(const std::uint8_t*, std::size_t, std::vector<std::pair<std::uint32_t, std::uint32_t>>*);
};

template <class Scan>
void collect(Scan scan, const std::uint8_t* s, std::size_t n, std::vector<std::pair<std::uint32_t, std::uint32_t>>* out) {
  scan(s, n, [&](std::size_t b, std::size_t e) {
    if (out) out->emplace_back(static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(e));
  });
}

const Pattern kPatterns[] = {
    {"r50k", vocab::BuiltinVocab::kR50k,
     [](const std::uint8_t* s, std::size_t n, std::vector<std::pair<std::uint32_t, std::uint32_t>>* out) {
       collect([](const std::uint8_t* a, std::size_t b, auto&& f) { tokcount::pretok::scan_r50k(a, b, f); }, s, n, out);
     }},
    {"cl100k", vocab::BuiltinVocab::kCl100k,
     [](const std::uint8_t* s, std::size_t n, std::vector<std::pair<std::uint32_t, std::uint32_t>>* out) {
       collect([](const std::uint8_t* a, std::size_t b, auto&& f) { tokcount::pretok::scan_cl100k(a, b, f); }, s, n, out);
     }},
    {"o200k", vocab::BuiltinVocab::kO200k,
     [](const std::uint8_t* s, std::size_t n, std::vector<std::pair<std::uint32_t, std::uint32_t>>* out) {
       collect([](const std::uint8_t* a, std::size_t b, auto&& f) { tokcount::pretok::scan_o200k(a, b, f); }, s, n, out);
     }},
};

void BM_PreTokenize(benchmark::State& state, const char* pattern, const std::string* text) {
  std::size_t pieces = 0;
  for (auto _ : state) {
    pieces = 0;
    auto count = [&](std::size_t, std::size_t) { ++pieces; };
    if (pattern[0] == 'r') tokcount::pretok::scan_r50k(bytes(*text), text->size(), count);
    if (pattern[0] == 'c') tokcount::pretok::scan_cl100k(bytes(*text), text->size(), count);
    if (pattern[0] == 'o') tokcount::pretok::scan_o200k(bytes(*text), text->size(), count);
    benchmark::DoNotOptimize(pieces);
  }
  set_rates(state, text->size(), 0);
  state.counters["pieces"] = static_cast<double>(pieces);
}

// A custom pattern takes the RE2 path: cl100k's pattern written differently enough
// (`\p{N}{1,2}`) not to be recognised as the built-in one. Timed end to end (encode) because
// the RE2 pre-tokenizer is reached through Encoding::create.
void BM_EncodeCustomRe2(benchmark::State& state, const std::string* text) {
  static const EncodingPtr custom = [] {
    const EncodingPtr cl100k = Encoding::get("cl100k_base");
    std::string pattern = cl100k->pat_str();
    const std::size_t at = pattern.find("{1,3}");
    if (at != std::string::npos) pattern.replace(at, 5, "{1,2}");
    return Encoding::create("cl100k_re2", pattern, cl100k->mergeable_ranks(), {});
  }();
  std::size_t tokens = 0;
  for (auto _ : state) {
    tokens = custom->encode_ordinary(*text).size();
    benchmark::DoNotOptimize(tokens);
  }
  state.SetLabel(custom->pretokenizer_kind());
  set_rates(state, text->size(), tokens);
}

std::vector<std::pair<std::uint32_t, std::uint32_t>> pieces_of(const Pattern& p, const std::string& text) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pieces;
  p.scan(bytes(text), text.size(), &pieces);
  return pieces;
}

void BM_WholePieceLookup(benchmark::State& state, const Pattern* p, const std::string* text) {
  const auto& v = vocab::builtin_table(p->vocab);
  const auto pieces = pieces_of(*p, *text);
  std::size_t hits = 0;
  for (auto _ : state) {
    hits = 0;
    for (const auto& [b, e] : pieces) hits += v.find(bytes(*text) + b, e - b) != vocab::kNoRank;
    benchmark::DoNotOptimize(hits);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * pieces.size()));
  state.counters["hit_rate"] = pieces.empty() ? 0.0 : static_cast<double>(hits) / static_cast<double>(pieces.size());
}

// The short-piece merge loop on exactly the pieces it runs on in the pipeline: those that are
// not a token and shorter than the heap threshold.
void BM_MergeShort(benchmark::State& state, const Pattern* p, const std::string* text) {
  const auto& v = vocab::builtin_table(p->vocab);
  std::vector<std::pair<std::uint32_t, std::uint32_t>> misses;
  std::size_t miss_bytes = 0;
  for (const auto& [b, e] : pieces_of(*p, *text)) {
    const std::size_t n = e - b;
    if (n >= 2 && n < tokcount::merge::kHeapThreshold && v.find(bytes(*text) + b, n) == vocab::kNoRank) {
      misses.emplace_back(b, e);
      miss_bytes += n;
    }
  }
  std::size_t tokens = 0;
  for (auto _ : state) {
    tokens = 0;
    for (const auto& [b, e] : misses) tokcount::merge::merge_short(v, bytes(*text) + b, e - b, [&](Rank) { ++tokens; });
    benchmark::DoNotOptimize(tokens);
  }
  set_rates(state, miss_bytes, tokens);
  state.counters["pieces"] = static_cast<double>(misses.size());
}

void BM_MergeLong(benchmark::State& state, vocab::BuiltinVocab which) {
  const auto& v = vocab::builtin_table(which);
  std::mt19937 rng(5);
  std::string piece(static_cast<std::size_t>(state.range(0)), 'a');
  for (auto& c : piece) c = static_cast<char>('a' + rng() % 26);
  std::vector<Rank> out;
  for (auto _ : state) {
    out.clear();
    tokcount::merge::merge_long(v, bytes(piece), piece.size(), out);
    benchmark::DoNotOptimize(out.data());
  }
  set_rates(state, piece.size(), out.size());
}

// ---- the pipeline through the public API ------------------------------------------------

void BM_Encode(benchmark::State& state, const char* encoding, const std::string* text) {
  const EncodingPtr enc = Encoding::get(encoding);
  const tokcount::EncodeOptions ordinary{tokcount::TokenSet::none(), tokcount::TokenSet::none()};
  std::vector<Rank> out;
  for (auto _ : state) {
    out.clear();
    enc->encode_into(*text, ordinary, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_rates(state, text->size(), out.size());
}

// Text the memos have not seen: each iteration runs on a new thread (so its thread-local piece
// memo and pair verdicts start empty), encodes the first half of the input untimed, then times
// the second half. Why: encode/ repeats one text, so after the first iteration every piece of
// it is memoized, which measures repeated traffic; this measures new text of the same language
// with the memo in its steady state (its short pieces recur, its long ones mostly do not).
void BM_EncodeUnseen(benchmark::State& state, const char* encoding, const std::string* text) {
  const EncodingPtr enc = Encoding::get(encoding);
  const tokcount::EncodeOptions ordinary{tokcount::TokenSet::none(), tokcount::TokenSet::none()};
  std::size_t half = text->size() / 2;
  while (half < text->size() && (static_cast<unsigned char>((*text)[half]) & 0xC0) == 0x80) ++half;  // a character start
  const std::string_view first(text->data(), half), second(text->data() + half, text->size() - half);
  std::size_t tokens = 0;
  for (auto _ : state) {
    double seconds = 0;
    std::thread worker([&] {
      std::vector<Rank> out;
      enc->encode_into(first, ordinary, out);
      out.clear();
      const auto start = std::chrono::steady_clock::now();
      enc->encode_into(second, ordinary, out);
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      tokens = out.size();
    });
    worker.join();
    state.SetIterationTime(seconds);
  }
  set_rates(state, second.size(), tokens);
}

void BM_Count(benchmark::State& state, const char* encoding, const std::string* text) {
  const EncodingPtr enc = Encoding::get(encoding);
  std::size_t n = 0;
  for (auto _ : state) {
    n = enc->count_ordinary(*text);
    benchmark::DoNotOptimize(n);
  }
  set_rates(state, text->size(), n);
}

// Input with a special token every few hundred bytes, encoded with allowed_special="all".
void BM_EncodeAllowedSpecial(benchmark::State& state, const char* encoding) {
  const EncodingPtr enc = Encoding::get(encoding);
  const std::string& text = generated("special_tokens_text");
  tokcount::EncodeOptions all;
  all.allowed_special = tokcount::TokenSet::all();
  std::vector<Rank> out;
  for (auto _ : state) {
    out.clear();
    enc->encode_into(text, all, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_rates(state, text.size(), out.size());
}

// Invalid UTF-8 (a stray byte every ~100 bytes) encoded in replace mode.
void BM_EncodeLossy(benchmark::State& state, const char* encoding) {
  const EncodingPtr enc = Encoding::get(encoding);
  static const std::string text = [] {
    std::string s = tokcount::bench::generate_input("gen_en", kGeneratedBytes);
    for (std::size_t i = 97; i < s.size(); i += 101) s[i] = static_cast<char>(0xFF);
    return s;
  }();
  tokcount::EncodeOptions lossy;
  lossy.utf8 = tokcount::Utf8Mode::kReplace;
  std::vector<Rank> out;
  for (auto _ : state) {
    out.clear();
    enc->encode_into(text, lossy, out);
    benchmark::DoNotOptimize(out.data());
  }
  set_rates(state, text.size(), out.size());
}

// Documents of ~1.7 KB (cut at a space), the median chat-message size in the research notes.
const std::vector<std::string_view>& documents(const std::string* text) {
  static std::map<const std::string*, std::vector<std::string_view>> cache;
  auto it = cache.find(text);
  if (it != cache.end()) return it->second;
  std::vector<std::string_view> docs;
  std::size_t pos = 0;
  while (pos < text->size()) {
    std::size_t end = std::min(text->size(), pos + 1700);
    const std::size_t space = text->find(' ', end);
    end = space == std::string::npos ? text->size() : space;
    docs.emplace_back(text->data() + pos, end - pos);
    pos = end;
  }
  return cache.emplace(text, std::move(docs)).first->second;
}

void BM_Batch(benchmark::State& state, const char* encoding, const std::string* text) {
  const EncodingPtr enc = Encoding::get(encoding);
  const auto& docs = documents(text);
  const auto threads = static_cast<unsigned>(state.range(0));
  std::size_t tokens = 0;
  for (auto _ : state) {
    tokens = 0;
    for (std::size_t c : enc->count_batch(docs, {tokcount::TokenSet::none(), tokcount::TokenSet::none()}, threads))
      tokens += c;
    benchmark::DoNotOptimize(tokens);
  }
  set_rates(state, text->size(), tokens);
}

void BM_TinyCall(benchmark::State& state, const char* encoding) {
  const EncodingPtr enc = Encoding::get(encoding);
  const std::string text = "hello you!";  // 10 bytes
  for (auto _ : state) benchmark::DoNotOptimize(enc->encode_ordinary(text));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

int register_all() {
  const char* encodings[] = {"r50k_base", "cl100k_base", "o200k_base"};
  for (const Input& in : corpora()) {
    for (const Pattern& p : kPatterns) {
      benchmark::RegisterBenchmark(("pretokenize/" + std::string(p.name) + "/" + in.name).c_str(), BM_PreTokenize,
                                   p.name, &in.text);
      benchmark::RegisterBenchmark(("lookup/whole_piece/" + std::string(p.name) + "/" + in.name).c_str(),
                                   BM_WholePieceLookup, &p, &in.text);
      benchmark::RegisterBenchmark(("merge/short/" + std::string(p.name) + "/" + in.name).c_str(), BM_MergeShort, &p,
                                   &in.text);
    }
    benchmark::RegisterBenchmark(("encode_custom_re2/cl100k_like/" + in.name).c_str(), BM_EncodeCustomRe2, &in.text);
    for (const char* e : encodings) {
      benchmark::RegisterBenchmark(("encode/" + std::string(e) + "/" + in.name).c_str(), BM_Encode, e, &in.text);
      benchmark::RegisterBenchmark(("count/" + std::string(e) + "/" + in.name).c_str(), BM_Count, e, &in.text);
      benchmark::RegisterBenchmark(("encode_unseen/" + std::string(e) + "/" + in.name).c_str(), BM_EncodeUnseen, e,
                                   &in.text)
          ->UseManualTime();
      benchmark::RegisterBenchmark(("batch/" + std::string(e) + "/" + in.name).c_str(), BM_Batch, e, &in.text)
          ->ArgName("threads")
          ->Arg(1)
          ->Arg(2)
          ->UseRealTime();
    }
  }
  for (const Pattern& p : kPatterns)
    benchmark::RegisterBenchmark(("merge/long/" + std::string(p.name)).c_str(), BM_MergeLong, p.vocab)
        ->Arg(1 << 10)
        ->Arg(1 << 16)
        ->Arg(1 << 20);
  for (const char* e : encodings) {
    benchmark::RegisterBenchmark(("call/" + std::string(e) + "/10_bytes").c_str(), BM_TinyCall, e);
    benchmark::RegisterBenchmark(("encode_allowed_special/" + std::string(e)).c_str(), BM_EncodeAllowedSpecial, e);
    benchmark::RegisterBenchmark(("encode_lossy_invalid_utf8/" + std::string(e)).c_str(), BM_EncodeLossy, e);
    for (const auto& k : tokcount::bench::input_kinds()) {
      if (k.group == "text") continue;  // the corpora above, or their stand-ins
      const std::string kind(k.name);
      benchmark::RegisterBenchmark(("generated/" + std::string(e) + "/" + kind).c_str(),
                                   [e, kind](benchmark::State& s) { BM_Encode(s, e, &generated(kind)); });
    }
  }
  return 0;
}

const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
