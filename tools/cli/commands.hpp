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

}  // namespace tokcount::cli
