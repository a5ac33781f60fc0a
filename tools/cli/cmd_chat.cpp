// tokcount chat: the prompt tokens, breakdown and cost of a Chat Completions request body.
#include <cstdio>

#include "commands.hpp"
#include "io.hpp"
#include "tokcount/chat.hpp"

namespace tokcount::cli {
namespace {

constexpr const char* kChatFooter = R"(Input: the JSON body of a Chat Completions request, exactly as sent to the API (model,
messages, tools / functions, tool_choice / function_call, response_format, max_tokens /
max_completion_tokens, n). --model overrides the body's model.
Output (--format json, the default): one JSON object with "prompt_tokens", "encoding",
"format", "uncertain", a "breakdown" (per message: text, name, image and format tokens; tools;
tool_choice; response_format; reply priming; images), "cost" (prompt cost, worst case with
the maximum output), "context" and "warnings"; --tokens adds the rendered token ids and their
segments. --format text prints a table; --show prints the rendered prompt.
Figures marked uncertain (JSON "uncertain": true, '*' in the table) rest on a rule that is
not documented by OpenAI (see README, Chat-format counting).
Prices: a table compiled in (tokenizer/chat/data/models.json); --prices FILE overrides or
extends it (same format); --provider picks a price list (default openai).
Exit status: 0 ok; 1 malformed or unsupported request, unknown model, I/O error; 2 usage error.
)";

bool parse_size(const std::string& arg, std::string& url, chat::ImageSize& size) {
  const std::size_t eq = arg.rfind('=');
  if (eq == std::string::npos || eq == 0) return false;
  const std::string dims = arg.substr(eq + 1);
  unsigned w = 0, h = 0;
  char extra = 0;
  if (std::sscanf(dims.c_str(), "%ux%u%c", &w, &h, &extra) != 2 || w == 0 || h == 0) return false;
  url = arg.substr(0, eq);
  size = {w, h};
  return true;
}

std::string pad(std::string s, std::size_t width, bool right = false) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string num(std::size_t n) { return std::to_string(n); }

std::string text_report(const chat::Result& r, const chat::CostReport& c) {
  auto mark = [](bool u) { return std::string(u ? "*" : " "); };
  std::string out = "model " + r.model + "  encoding " + r.encoding + "  format " + chat::chat_format_name(r.format) +
                    "\nprompt_tokens " + num(r.prompt_tokens) + (r.uncertain ? " *" : "") + "\n\n";
  out += "  " + pad("#", 4) + pad("role", 11) + pad("text", 7, true) + pad("name", 7, true) + pad("image", 7, true) +
         pad("format", 8, true) + pad("total", 8, true) + "\n";
  for (const chat::MessageBreakdown& m : r.breakdown.messages) {
    out += "  " + pad(m.index < 0 ? "-" : num(static_cast<std::size_t>(m.index)), 4) + pad(m.role, 11) +
           pad(num(m.text_tokens), 7, true) + pad(num(m.name_tokens), 7, true) + pad(num(m.image_tokens), 7, true) +
           pad(num(m.format_tokens), 8, true) + pad(num(m.total), 8, true) + mark(m.uncertain) + "\n";
  }
  const chat::Breakdown& b = r.breakdown;
  if (b.tools_text_tokens + b.tools_format_tokens > 0 || b.tools_uncertain)
    out += "  " + pad("", 4) + pad("tools", 11) + pad(num(b.tools_text_tokens), 7, true) + pad("", 14) +
           pad(num(b.tools_format_tokens), 8, true) + pad(num(b.tools_text_tokens + b.tools_format_tokens), 8, true) +
           mark(b.tools_uncertain) + "\n";
  if (b.tool_choice_tokens > 0 || b.tool_choice_uncertain)
    out += "  " + pad("", 4) + pad("tool_choice", 11) + pad("", 29) + pad(num(b.tool_choice_tokens), 8, true) +
           mark(b.tool_choice_uncertain) + "\n";
  if (b.response_format_tokens > 0)
    out += "  " + pad("", 4) + pad("schema", 11) + pad("", 29) + pad(num(b.response_format_tokens), 8, true) +
           mark(b.response_format_uncertain) + "\n";
  out += "  " + pad("", 4) + pad("priming", 11) + pad("", 29) + pad(num(b.priming_tokens), 8, true) +
         mark(b.priming_uncertain) + "\n";
  for (const chat::ImageInfo& i : b.images) {
    out += "\n  image " + i.path + ": " + i.detail + ", " + i.method;
    if (i.width) out += ", " + num(i.width) + "x" + num(i.height) + " (" + i.size_source + ")";
    else if (!i.size_source.empty()) out += " (" + i.size_source + ")";
    if (i.method != "low") out += ", " + num(i.tiles_or_patches) + (i.method == "tile" ? " tiles" : " patches");
    out += " -> " + num(i.tokens) + " tokens" + (i.uncertain ? " *" : "");
  }
  if (!b.images.empty()) out += "\n";
  if (c.info != nullptr) {
    const chat::ModelInfo& info = *c.info;
    out += "\ncost (" + info.currency + ", " + info.provider + " " + info.model + ")";
    out += c.prompt ? ": prompt " + c.prompt->decimal : ": no input price";
    if (c.prompt_all_cached) out += ", all cached " + c.prompt_all_cached->decimal;
    if (c.worst_case)
      out += ", worst case " + c.worst_case->decimal + " (with " + num(c.worst_case_output_tokens) + " output tokens, " +
             c.worst_case_output_source + ")";
    out += "\n";
    if (c.context_window) {
      out += "context window " + num(*c.context_window) + (c.exceeds_context ? ": EXCEEDED" : "") + "\n";
    }
  }
  std::vector<std::string> warnings = r.warnings;
  warnings.insert(warnings.end(), c.warnings.begin(), c.warnings.end());
  for (const std::string& w : warnings) out += "warning: " + w + "\n";
  if (r.uncertain) out += "* rests on a rule marked uncertain (see README, Chat-format counting)\n";
  return out;
}

}  // namespace

CLI::App* add_chat_command(CLI::App& app, ChatArgs& a) {
  CLI::App* cmd = app.add_subcommand("chat", "Prompt tokens, breakdown and cost of a Chat Completions request (JSON)");
  cmd->add_option("file", a.path, "The request body; '-' or nothing reads stdin")->type_name("FILE");
  cmd->add_option("-m,--model", a.model, "Model (overrides the body's \"model\")");
  cmd->add_option("-e,--encoding", a.encoding,
                  "Fallback encoding for a model tiktoken does not know (counted with the default chat rules)")
      ->check(CLI::IsMember(Encoding::list_encoding_names()));
  cmd->add_option("--format", a.format, "Output: json (default) or text")->check(CLI::IsMember({"json", "text"}));
  cmd->add_flag("--tokens", a.tokens, "JSON output: add the rendered token ids and their segments");
  cmd->add_flag("--show", a.show, "Print the rendered prompt (special and synthetic tokens by name) instead");
  cmd->add_option("--provider", a.provider, "Price list to use (default openai)");
  cmd->add_option("--prices", a.prices, "A price table (models.json format) over the built-in one")->type_name("FILE");
  cmd->add_option("--image-size", a.image_sizes, "Pixel size of a remote image (repeatable)")
      ->type_name("URL=WxH")
      ->allow_extra_args(false);
  cmd->add_flag("--images-worst-case", a.images_worst_case,
                "Count an image of unknown size as the model's most expensive image instead of failing");
  cmd->add_option("--harmony-date", a.harmony_date, "gpt-oss: the system message's 'Current date:' (e.g. 2025-08-05)");
  cmd->footer(kChatFooter);
  return cmd;
}

int run_chat(const ChatArgs& a) {
  chat::Options opts;
  opts.model = a.model;
  opts.encoding = a.encoding;
  if (a.images_worst_case) opts.unknown_image_size = chat::UnknownImageSize::kWorstCase;
  if (!a.harmony_date.empty()) opts.harmony.conversation_start_date = a.harmony_date;
  std::vector<std::pair<std::string, chat::ImageSize>> sizes;
  for (const std::string& s : a.image_sizes) {
    std::string url;
    chat::ImageSize size;
    if (!parse_size(s, url, size)) throw UsageError("--image-size: expected URL=WxH, got '" + s + "'");
    sizes.emplace_back(std::move(url), size);
  }
  if (!sizes.empty())
    opts.image_size = [&sizes](std::string_view url) -> std::optional<chat::ImageSize> {
      for (const auto& [u, s] : sizes)
        if (u == url) return s;
      return std::nullopt;
    };
  const chat::PriceTable prices =
      a.prices.empty() ? chat::PriceTable::builtin() : chat::PriceTable::load_file(a.prices).overlaid_on(chat::PriceTable::builtin());
  const std::string provider = a.provider.empty() ? "openai" : a.provider;
  bool known_provider = false;
  for (const std::string& p : prices.providers()) known_provider |= p == provider;
  if (!known_provider) throw UsageError("--provider: no price list named '" + provider + "'");

  Input in;
  in.load(a.path);
  const chat::Result r = chat::render_json(in.view(), opts);
  const chat::CostReport c = chat::estimate_cost(r, prices, provider);
  Output out;
  if (a.show) out.write(chat::render_text(r) + "\n");
  else if (a.format == "text") out.write(text_report(r, c));
  else out.write(chat::report_json(r, c, a.tokens) + "\n");
  out.flush();
  return kExitOk;
}

}  // namespace tokcount::cli
