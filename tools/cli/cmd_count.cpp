// tokcount count: token counts of files, directory trees or stdin, with throughput figures.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "tokcount/stream.hpp"
#include "io.hpp"
#include "progress.hpp"

namespace tokcount::cli {
namespace {

constexpr const char* kCountFooter = R"(Special tokens: files are counted as plain text, so text such as <|endoftext|> in a
file counts as the ordinary tokens it is made of (tiktoken's encode_ordinary). tiktoken's
encode() would reject such text; --allow-special counts each occurrence as one special token
instead (encode(..., allowed_special="all")).
Input must be UTF-8: a file with invalid UTF-8 is an error naming the byte offset, unless
--lossy, which first replaces each invalid sequence with U+FFFD (Python's errors="replace").
Directories are walked recursively (regular files, sorted by path). Files are read and
counted in parallel, one file per thread at a time. Files of 256 MiB or more, pipes and
stdin are streamed (read in 1 MiB chunks through the exact incremental encoder): memory stays
bounded whatever the input's size, and the count is the same as for the whole text.
Output: one line per file when there are several, then the totals: tokens, bytes, files,
wall time (reading + counting), MB/s (10^6 bytes) and tokens/s. -q prints only the total
token count; --json prints one JSON object {"encoding", "files": [...], "total": {...}}.
Exit status: 0 ok; 1 if any input failed (the others are still counted); 2 usage error.
)";

struct FileResult {
  std::size_t tokens = 0;
  std::uint64_t bytes = 0;
  bool ok = false;
  std::string code;     // error_code_name, or IO_ERROR
  std::string message;  // already prefixed with the path
  std::size_t offset = kNoOffset;
};

std::string display_path(const std::string& path) { return path == "-" ? "<stdin>" : path; }

// 0.000412 -> "412 us", 0.0123 -> "12.3 ms", 2.5 -> "2.50 s": three significant digits.
std::string human_seconds(double s) {
  char buf[32];
  if (s < 1e-3)
    std::snprintf(buf, sizeof(buf), "%.0f us", s * 1e6);
  else if (s < 1.0)
    std::snprintf(buf, sizeof(buf), "%.3g ms", s * 1e3);
  else
    std::snprintf(buf, sizeof(buf), "%.2f s", s);
  return buf;
}

// Three significant digits without exponents: 0.0421, 4.21, 42.1, 421.
std::string three_digits(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : v >= 1 ? "%.2f" : "%.3g", v);
  return buf;
}

// 1234567.0 -> "1.23M": SI suffixes keep the rates readable at a glance.
std::string human_rate(double v) {
  const char* suffix[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (v >= 1000.0 && i < 4) {
    v /= 1000.0;
    ++i;
  }
  return three_digits(v) + suffix[i];
}

}  // namespace

CLI::App* add_count_command(CLI::App& app, CountArgs& a) {
  CLI::App* cmd = app.add_subcommand("count", "Count tokens of files, directories (recursively) or stdin");
  cmd->add_option("paths", a.paths, "Files or directories; '-' or nothing reads stdin")->type_name("PATH");
  cmd->add_flag("--json", a.json, "Print one JSON object: per-file results and totals");
  cmd->add_flag("-q,--quiet", a.quiet, "Print only the total token count")->excludes("--json");
  cmd->add_flag("--allow-special", a.allow_special,
                "Count special-token text (e.g. <|endoftext|>) as special tokens, not as plain text");
  cmd->add_flag("--lossy", a.lossy, "Replace invalid UTF-8 with U+FFFD instead of failing");
  add_threads_option(*cmd, a.threads, "Files counted in parallel");
  add_encoding_options(*cmd, a.enc);
  cmd->footer(kCountFooter);
  return cmd;
}

int run_count(const CountArgs& a) {
  const EncodingPtr enc = resolve_encoding(a.enc);
  const std::vector<InputSpec> specs = expand_paths(a.paths);

  // encode_ordinary semantics by default; see kCountFooter for why.
  EncodeOptions opts;
  opts.allowed_special = a.allow_special ? TokenSet::all() : TokenSet::none();
  opts.disallowed_special = TokenSet::none();
  opts.utf8 = a.lossy ? Utf8Mode::kReplace : Utf8Mode::kStrict;

  std::uint64_t total_size = 0;
  for (const InputSpec& s : specs) total_size += s.size;
  const unsigned threads =
      static_cast<unsigned>(std::min<std::size_t>(effective_threads(a.threads), std::max<std::size_t>(specs.size(), 1)));

  // Each worker reads a whole file and counts it; reading in the workers overlaps I/O with
  // counting and keeps at most `threads` files in memory, which a single count_batch over
  // every file's contents could not.
  std::vector<FileResult> results(specs.size());
  std::vector<Input> inputs(threads);
  const bool show_progress =
      !a.quiet && specs.size() > 1 && stderr_is_terminal() && (specs.size() >= 200 || total_size >= (64u << 20));
  const auto t0 = std::chrono::steady_clock::now();
  {
    Progress progress(show_progress, total_size, specs.size());
    parallel_for(specs.size(), threads, [&](unsigned worker, std::size_t i) {
      const InputSpec& spec = specs[i];
      FileResult& r = results[i];
      if (!spec.error.empty()) {
        r.code = "IO_ERROR";
        r.message = spec.error;
      } else {
        try {
          if (should_stream(spec.path)) {
            // StreamEncoder emits tokens exactly as encode() would and keeps only the text that
            // can still change (an unfinished piece): memory is bounded by the chunk plus that
            // piece, not by the file, and there is no 4 GiB limit on the file as a whole.
            StreamEncoder stream(enc, opts);
            std::size_t tokens = 0;
            read_chunks(spec.path, std::size_t{1} << 20, [&](std::string_view chunk) {
              tokens += stream.feed(chunk).size();
              r.bytes += chunk.size();
            });
            tokens += stream.finish().size();
            r.tokens = tokens;
          } else {
            Input& in = inputs[worker];
            in.load(spec.path);
            r.bytes = in.view().size();
            r.tokens = enc->count(in.view(), opts);
          }
          r.ok = true;
        } catch (const Error& e) {
          r.code = error_code_name(e.code());
          r.message = display_path(spec.path) + ": " + describe_error(e, true);
          r.offset = e.byte_offset();
        } catch (const InputError& e) {
          r.code = "IO_ERROR";
          r.message = e.what();
        }
      }
      progress.add(r.ok ? r.bytes : spec.size);
    });
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::uint64_t tokens = 0, bytes = 0;
  std::size_t ok_files = 0, failed = 0, widest = 1;
  for (const FileResult& r : results) {
    if (r.ok) {
      tokens += r.tokens;
      bytes += r.bytes;
      ++ok_files;
      widest = std::max(widest, std::to_string(r.tokens).size());
    } else {
      ++failed;
      std::cerr << "tokcount: error: " << r.message << '\n';
    }
  }
  const double secs = std::max(seconds, 1e-9);
  const double mb_per_s = static_cast<double>(bytes) / 1e6 / secs;
  const double tokens_per_s = static_cast<double>(tokens) / secs;

  Output out;
  if (a.json) {
    using Json = nlohmann::ordered_json;
    Json files = Json::array();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      const FileResult& r = results[i];
      Json f = {{"path", specs[i].path}};
      if (r.ok) {
        f["tokens"] = r.tokens;
        f["bytes"] = r.bytes;
      } else {
        f["error"] = {{"code", r.code},
                      {"message", r.message},
                      {"offset", r.offset == kNoOffset ? Json(nullptr) : Json(r.offset)}};
      }
      files.push_back(std::move(f));
    }
    const Json doc = {{"encoding", enc->name()},
                      {"files", std::move(files)},
                      {"total",
                       {{"files", ok_files},
                        {"errors", failed},
                        {"tokens", tokens},
                        {"bytes", bytes},
                        {"seconds", seconds},
                        {"mb_per_s", mb_per_s},
                        {"tokens_per_s", tokens_per_s}}}};
    // Paths need not be UTF-8; replace rather than fail on them.
    out.write(doc.dump(-1, ' ', false, Json::error_handler_t::replace));
    out.put('\n');
  } else if (a.quiet) {
    out.write(std::to_string(tokens));
    out.put('\n');
  } else {
    if (specs.size() > 1) {
      for (std::size_t i = 0; i < specs.size(); ++i) {
        if (!results[i].ok) continue;
        const std::string n = std::to_string(results[i].tokens);
        out.write(std::string(widest - n.size(), ' '));
        out.write(n);
        out.write("  ");
        out.write(display_path(specs[i].path));
        out.put('\n');
      }
    }
    // First field is always the total token count, so `| cut -d' ' -f1` works either way.
    std::string line = std::to_string(tokens) + " tokens  " + std::to_string(bytes) + " bytes  ";
    if (specs.size() > 1) {
      line += std::to_string(ok_files) + (ok_files == 1 ? " file  " : " files  ");
      if (failed > 0) line += std::to_string(failed) + " failed  ";
    }
    line += human_seconds(seconds) + "  " + three_digits(mb_per_s) + " MB/s  " + human_rate(tokens_per_s) + " tokens/s  (" + enc->name() + ")\n";
    out.write(line);
  }
  out.flush();
  return failed > 0 ? kExitError : kExitOk;
}

}  // namespace tokcount::cli
