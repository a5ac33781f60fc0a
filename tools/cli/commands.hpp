// The subcommands. Each add_* registers its options on the CLI11 app; each run_* executes
// after parsing and returns the exit code (errors it cannot recover from are thrown and
// reported by main).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "common.hpp"

namespace tokcount::cli {

struct CountArgs {
  EncodingArgs enc;
  std::vector<std::string> paths;
  bool json = false;
  bool allow_special = false;
  bool lossy = false;
  bool quiet = false;
  unsigned threads = 0;
};
CLI::App* add_count_command(CLI::App& app, CountArgs& args);
int run_count(const CountArgs& args);

struct EncodeArgs {
  EncodingArgs enc;
  std::string path = "-";
  bool json = false;
  bool jsonl = false;
  bool allow_special = false;
  bool ordinary = false;
  bool lossy = false;
  unsigned threads = 0;
};
CLI::App* add_encode_command(CLI::App& app, EncodeArgs& args);
int run_encode(const EncodeArgs& args);
// encode --jsonl (cmd_jsonl.cpp).
int run_encode_jsonl(const EncodeArgs& args, const Encoding& encoding);

struct DecodeArgs {
  EncodingArgs enc;
  std::string path = "-";
  bool lossy = false;
  bool bytes = false;
};
CLI::App* add_decode_command(CLI::App& app, DecodeArgs& args);
int run_decode(const DecodeArgs& args);

struct LintArgs {
  std::vector<std::string> paths;
  std::string model;
  std::string encoding;
  std::string format = "text";
  bool fix = false;
  bool diff = false;
  std::string fail_on;
  std::string config;
  bool no_config = false;
  std::vector<std::string> enable;
  std::vector<std::string> disable;
  std::string color = "auto";
  bool brief = false;
  bool list_rules = false;
  std::string input = "auto";
};
CLI::App* add_lint_command(CLI::App& app, LintArgs& args);
// Exit codes differ from the other commands (linter convention): 0 clean, 1 findings at or
// above --fail-on, 2 usage or input error.
int run_lint(const LintArgs& args);

struct SseArgs {
  std::string path = "-";
  std::string model;
  std::string encoding;
  bool compact = false;
};
CLI::App* add_sse_command(CLI::App& app, SseArgs& args);
int run_sse(const SseArgs& args);

struct ChatArgs {
  std::string path = "-";
  std::string model;
  std::string encoding;
  std::string format = "json";
  bool tokens = false;
  bool show = false;
  std::string provider;
  std::string prices;
  std::vector<std::string> image_sizes;  // URL=WxH
  bool images_worst_case = false;
  std::string harmony_date;
};
CLI::App* add_chat_command(CLI::App& app, ChatArgs& args);
int run_chat(const ChatArgs& args);

struct CacheArgs {
  std::string path = "-";
  std::string provider;
  std::size_t capacity = 0;
  std::size_t block_size = 0;
  std::string prices;
  bool summary_only = false;
  bool no_explain = false;
  std::string diff_a, diff_b;
  std::string fp_path = "-";
  std::string fp_mode = "xxh3";
  std::size_t fp_block_size = 0;
  std::string vllm_seed = "0";
  CLI::App* diff_cmd = nullptr;
  CLI::App* fp_cmd = nullptr;
};
CLI::App* add_cache_command(CLI::App& app, CacheArgs& args);
int run_cache(const CacheArgs& args);

}  // namespace tokcount::cli
