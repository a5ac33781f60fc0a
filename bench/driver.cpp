// tokcount_bench_driver: the C++ side of the comparison harness (bench/compare.sh), on the
// public API only (tokcount.hpp), linked statically as an application would.
//
//   version                       the tokcount library version
//   kinds                         list the generated input kinds (name, group, description)
//   gen KIND BYTES [-o FILE]      write a generated input (bench/inputs.hpp)
//   serve                         timing worker: requests on stdin, one JSON line per reply
//   noop | startup ENCODING       for start-up timing: exit at once / load and encode "hello world"
//   rss ENCODING [--text FILE]    resident memory before and after loading ENCODING
//   workload [...]                the fixed callgrind workload (bench/callgrind.sh)
//
// The serve protocol (tab-separated requests; the Python peers' worker speaks the same one):
//   load ENC                               -> {"ok":true}
//   ids ENC INPUT OUT                      -> writes the ids as little-endian uint32 to OUT
//   time ENC MODE THREADS INPUT INNER [SEED] -> {"ok":true,"seconds":S,"tokens":N,"bytes":B}
// MODE is encode | count (INPUT is one document) or batch | loop (INPUT is a .docs file:
// records of "<decimal length>\n<bytes>"). `time` runs the operation INNER times back to back
// and reports the total wall time; the caller interleaves tools and repeats.
// With SEED, each of the INNER calls of encode | count gets its own variant of the text (rotated
// and slightly shortened, see `variant`; built before the clock starts), so no call sees a text
// seen before: a cache of whole texts, prefixes or huge pieces cannot turn repetition into speed,
// while piece-level memos work as on real traffic. "bytes" and "tokens" are means per call.
// Without SEED: the text itself, INNER times.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(label) ((void)(label))
#endif

#include "inputs.hpp"
#include "tokcount/tokcount.hpp"

namespace {

using tokcount::Encoding;
using tokcount::EncodingPtr;
using tokcount::Rank;
using Json = nlohmann::json;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A .docs file: records of "<decimal length>\n<bytes>".
std::vector<std::string> read_docs(const std::string& path) {
  const std::string all = read_file(path);
  std::vector<std::string> docs;
  std::size_t pos = 0;
  while (pos < all.size()) {
    const std::size_t nl = all.find('\n', pos);
    if (nl == std::string::npos) throw std::runtime_error("malformed docs file " + path);
    const std::size_t len = std::stoull(all.substr(pos, nl - pos));
    if (nl + 1 + len > all.size()) throw std::runtime_error("truncated docs file " + path);
    docs.push_back(all.substr(nl + 1, len));
    pos = nl + 1 + len;
  }
  return docs;
}

// Variant `k` of `text` in a sample seeded with `seed` (see the header): the text rotated at an
// offset derived from (seed, k) -- moved to the first space or newline within 256 bytes, else
// kept at that character boundary, so a text without whitespace rotates too -- and then short of
// a few trailing bytes (at most 1/16 of it, at most 4096), so that even a periodic text (`a` x N)
// differs from call to call. bench/harness/worker.py builds the same variants (in characters).
std::string variant(const std::string& text, std::uint64_t seed, std::size_t k) {
  if (text.empty()) return text;
  const std::uint64_t id = seed * 1000003u + k;
  std::size_t cut = static_cast<std::size_t>((id * 0x9E3779B97F4A7C15ull) % text.size());
  const std::size_t space = text.find_first_of(" \n", cut);
  if (space != std::string::npos && space - cut < 256) {
    cut = space;
  } else {
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string v = text.substr(cut) + text.substr(0, cut);
  std::size_t keep = v.size() - static_cast<std::size_t>(id % std::max<std::size_t>(1, std::min<std::size_t>(4096, v.size() / 16)));
  while (keep > 0 && keep < v.size() && (static_cast<unsigned char>(v[keep]) & 0xC0) == 0x80) --keep;
  v.resize(keep);
  return v;
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::size_t peak_resident_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // kB
  }
  return 0;
}

class Server {
 public:
  int run() {
    std::ios::sync_with_stdio(false);
    std::string line;
    while (std::getline(std::cin, line)) {
      if (line == "quit") break;
      Json reply;
      try {
        reply = handle(split(line));
      } catch (const std::exception& e) {
        reply = {{"ok", false}, {"error", e.what()}};
      }
      std::cout << reply.dump() << '\n' << std::flush;
    }
    return 0;
  }

 private:
  static std::vector<std::string> split(const std::string& line) {
    std::vector<std::string> fields;
    std::size_t pos = 0;
    while (true) {
      const std::size_t tab = line.find('\t', pos);
      fields.push_back(line.substr(pos, tab - pos));
      if (tab == std::string::npos) return fields;
      pos = tab + 1;
    }
  }

  Json handle(const std::vector<std::string>& f) {
    const std::string& op = f.at(0);
    if (op == "load") {
      Encoding::get(f.at(1));
      return {{"ok", true}};
    }
    if (op == "ids") {
      const EncodingPtr enc = Encoding::get(f.at(1));
      std::vector<Rank> ids;
      if (is_docs(f.at(2))) {
        for (const std::string& d : docs(f.at(2))) {
          const auto part = enc->encode_ordinary(d);
          ids.insert(ids.end(), part.begin(), part.end());
        }
      } else {
        ids = enc->encode_ordinary(text(f.at(2)));
      }
      std::ofstream out(f.at(3), std::ios::binary);
      out.write(reinterpret_cast<const char*>(ids.data()), static_cast<std::streamsize>(ids.size() * sizeof(Rank)));
      if (!out) throw std::runtime_error("cannot write " + f.at(3));
      return {{"ok", true}, {"tokens", ids.size()}};
    }
    if (op == "time")
      return time(Encoding::get(f.at(1)), f.at(2), static_cast<unsigned>(std::stoul(f.at(3))), f.at(4),
                  std::stoull(f.at(5)), f.size() > 6 ? std::optional<std::uint64_t>(std::stoull(f.at(6))) : std::nullopt);
    throw std::runtime_error("unknown request: " + op);
  }

  Json time(const EncodingPtr& enc, const std::string& mode, unsigned threads, const std::string& path,
            std::size_t inner, std::optional<std::uint64_t> seed) {
    using Clock = std::chrono::steady_clock;
    std::size_t tokens = 0, bytes = 0;
    Clock::time_point start, stop;
    if (mode == "encode" || mode == "count") {
      const std::string& t = text(path);
      std::vector<std::string> variants;
      std::size_t total = 0;
      for (std::size_t k = 0; seed && k < inner; ++k) total += variants.emplace_back(variant(t, *seed, k)).size();
      bytes = seed ? total / inner : t.size();
      const bool count = mode == "count";
      start = Clock::now();
      for (std::size_t i = 0; i < inner; ++i) {
        const std::string& v = variants.empty() ? t : variants[i];
        tokens += count ? enc->count_ordinary(v) : enc->encode_ordinary(v).size();
      }
      stop = Clock::now();
      tokens /= inner;  // mean per call, like bytes
    } else if (mode == "batch" || mode == "loop") {
      const std::vector<std::string>& d = docs(path);
      std::vector<std::string_view> views(d.begin(), d.end());
      for (const auto& v : views) bytes += v.size();
      start = Clock::now();
      for (std::size_t i = 0; i < inner; ++i) {
        tokens = 0;
        if (mode == "batch") {
          for (const auto& ids : enc->encode_batch(views, {tokcount::TokenSet::none(), tokcount::TokenSet::none()}, threads))
            tokens += ids.size();
        } else {
          for (const auto& v : views) tokens += enc->encode_ordinary(v).size();
        }
      }
      stop = Clock::now();
    } else {
      throw std::runtime_error("unknown mode: " + mode);
    }
    return {{"ok", true},
            {"seconds", std::chrono::duration<double>(stop - start).count()},
            {"tokens", tokens},
            {"bytes", bytes}};
  }

  static bool is_docs(const std::string& path) { return path.size() > 5 && path.ends_with(".docs"); }

  const std::string& text(const std::string& path) {
    auto it = texts_.find(path);
    if (it == texts_.end()) it = texts_.emplace(path, read_file(path)).first;
    return it->second;
  }
  const std::vector<std::string>& docs(const std::string& path) {
    auto it = docs_.find(path);
    if (it == docs_.end()) it = docs_.emplace(path, read_docs(path)).first;
    return it->second;
  }

  std::map<std::string, std::string> texts_;
  std::map<std::string, std::vector<std::string>> docs_;
};

// The fixed callgrind workload: each input encoded once, its instructions dumped under the
// label ENCODING/KIND, so bench/callgrind.sh can divide each count by the input's size.
int run_workload(const std::vector<std::string>& encodings, const std::vector<std::string>& kinds, std::size_t bytes) {
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const std::string& kind : kinds) inputs.emplace_back(kind, tokcount::bench::generate_input(kind, bytes));
  for (const std::string& name : encodings) {
    const EncodingPtr enc = Encoding::get(name);
    enc->encode_ordinary("warm up: load the encoding before counting");
    for (const auto& [kind, text] : inputs) {
      const std::string label = name + "/" + kind;
      CALLGRIND_ZERO_STATS;
      const std::size_t tokens = enc->encode_ordinary(text).size();
      CALLGRIND_DUMP_STATS_AT(label.c_str());
      std::cout << label << '\t' << text.size() << '\t' << tokens << '\n';
    }
  }
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app("tokcount benchmark driver (used by bench/compare.sh and bench/callgrind.sh)");
  app.require_subcommand(1);

  app.add_subcommand("version", "Print the tokcount library version")->callback([] { std::cout << tokcount::version() << '\n'; });
  app.add_subcommand("kinds", "List the generated input kinds")->callback([] {
    for (const auto& k : tokcount::bench::input_kinds()) std::cout << k.name << '\t' << k.group << '\t' << k.what << '\n';
  });

  std::string kind, out_path;
  std::size_t bytes = 1 << 20;
  auto* gen = app.add_subcommand("gen", "Write a generated input");
  gen->add_option("kind", kind, "Input kind (see: kinds)")->required();
  gen->add_option("bytes", bytes, "Size in bytes")->required();
  gen->add_option("-o,--output", out_path, "Output file (default stdout)");
  gen->callback([&] {
    const std::string s = tokcount::bench::generate_input(kind, bytes);
    if (out_path.empty()) {
      std::cout.write(s.data(), static_cast<std::streamsize>(s.size()));
    } else {
      std::ofstream(out_path, std::ios::binary).write(s.data(), static_cast<std::streamsize>(s.size()));
    }
  });

  int status = 0;
  app.add_subcommand("serve", "Timing worker for bench/compare.py (protocol in this file's header)")
      ->callback([&] { status = Server().run(); });
  app.add_subcommand("noop", "Exit at once (the process start-up floor)");

  std::string encoding = "o200k_base";
  auto* startup = app.add_subcommand("startup", "Load an encoding and encode \"hello world\"");
  startup->add_option("encoding", encoding);
  startup->callback([&] { status = Encoding::get(encoding)->encode_ordinary("hello world").empty() ? 1 : 0; });

  std::string text_path;
  auto* rss = app.add_subcommand("rss", "Resident memory added by loading an encoding (JSON)");
  rss->add_option("encoding", encoding)->required();
  rss->add_option("--text", text_path, "Also encode this file and report the resident set after it");
  rss->callback([&] {
    Json r;
    r["encoding"] = encoding;
    r["before"] = resident_bytes();
    const EncodingPtr enc = Encoding::get(encoding);
    r["after_load"] = resident_bytes();
    enc->encode_ordinary("hello world");
    r["after_first_encode"] = resident_bytes();
    if (!text_path.empty()) {
      enc->encode_ordinary(read_file(text_path));
      r["after_text"] = resident_bytes();
    }
    r["peak"] = peak_resident_bytes();
    std::cout << r.dump() << '\n';
  });

  std::vector<std::string> encodings = {"o200k_base", "cl100k_base"};
  std::vector<std::string> kinds;
  auto* workload = app.add_subcommand("workload", "Encode each input once, dumping callgrind stats per input");
  workload->add_option("--encodings", encodings, "Encodings")->delimiter(',');
  workload->add_option("--kinds", kinds, "Input kinds (default: text and adversarial groups)")->delimiter(',');
  workload->add_option("--bytes", bytes, "Bytes per input");
  workload->callback([&] {
    if (kinds.empty()) {
      for (const auto& k : tokcount::bench::input_kinds())
        if (k.group != "pathological") kinds.emplace_back(k.name);
    }
    status = run_workload(encodings, kinds, bytes);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "tokcount_bench_driver: error: " << e.what() << '\n';
    return 1;
  }
}
