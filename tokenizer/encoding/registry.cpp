// Built-in encodings (tiktoken_ext/openai_public.py, tiktoken 0.14.0), the model -> encoding
// tables (tiktoken/model.py, 0.14.0), and custom encodings.
#include <absl/strings/str_cat.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "encoding/encoding_impl.hpp"
#include "vocabulary/builtin_vocab.hpp"

namespace tokcount {
namespace {

using pretok::PatternKind;
using vocab::BuiltinVocab;

struct BuiltinSpec {
  std::string_view name;
  BuiltinVocab vocab;
  PatternKind kind;
  std::string_view pattern;
  std::size_t n_vocab;  // checked at construction, as tiktoken's explicit_n_vocab / max id + 1
};

constexpr BuiltinSpec kBuiltins[] = {
    {"gpt2", BuiltinVocab::kR50k, PatternKind::kR50k, pretok::kR50kPattern, 50257},
    {"r50k_base", BuiltinVocab::kR50k, PatternKind::kR50k, pretok::kR50kPattern, 50257},
    {"p50k_base", BuiltinVocab::kP50k, PatternKind::kR50k, pretok::kR50kPattern, 50281},
    {"p50k_edit", BuiltinVocab::kP50k, PatternKind::kR50k, pretok::kR50kPattern, 50284},
    {"cl100k_base", BuiltinVocab::kCl100k, PatternKind::kCl100k, pretok::kCl100kPattern, 100277},
    {"o200k_base", BuiltinVocab::kO200k, PatternKind::kO200k, pretok::kO200kPattern, 200019},
    {"o200k_harmony", BuiltinVocab::kO200k, PatternKind::kO200k, pretok::kO200kPattern, 201088},
};

std::vector<SpecialToken> builtin_specials(std::string_view name) {
  if (name == "gpt2" || name == "r50k_base" || name == "p50k_base") return {{"<|endoftext|>", 50256}};
  if (name == "p50k_edit")
    return {{"<|endoftext|>", 50256}, {"<|fim_prefix|>", 50281}, {"<|fim_middle|>", 50282}, {"<|fim_suffix|>", 50283}};
  if (name == "cl100k_base")
    return {{"<|endoftext|>", 100257}, {"<|fim_prefix|>", 100258}, {"<|fim_middle|>", 100259},
            {"<|fim_suffix|>", 100260}, {"<|endofprompt|>", 100276}};
  std::vector<SpecialToken> s = {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}};
  if (name == "o200k_harmony") {
    const std::pair<const char*, Rank> named[] = {
        {"<|startoftext|>", 199998}, {"<|reserved_200000|>", 200000}, {"<|reserved_200001|>", 200001},
        {"<|return|>", 200002},      {"<|constrain|>", 200003},       {"<|reserved_200004|>", 200004},
        {"<|channel|>", 200005},     {"<|start|>", 200006},           {"<|end|>", 200007},
        {"<|message|>", 200008},     {"<|reserved_200009|>", 200009}, {"<|reserved_200010|>", 200010},
        {"<|reserved_200011|>", 200011}, {"<|call|>", 200012}};
    for (const auto& [text, rank] : named) s.push_back({text, rank});
    // range(200013, 201088): 200018 gets a second name, <|reserved_200018|>, as in tiktoken.
    for (Rank r = 200013; r < 201088; ++r) s.push_back({absl::StrCat("<|reserved_", r, "|>"), r});
  }
  return s;
}

EncodingPtr make_builtin(const BuiltinSpec& spec) {
  auto impl = std::make_unique<detail::EncodingImpl>();
  impl->name = std::string(spec.name);
  impl->pat_str = std::string(spec.pattern);
  impl->vocab = vocab::builtin_table(spec.vocab);
  impl->kind = spec.kind;
  impl->specials = builtin_specials(spec.name);
  impl->index_specials();
  if (std::size_t{impl->max_token_value} + 1 != spec.n_vocab)
    throw Error(ErrorCode::kInternal, absl::StrCat(detail::sv(spec.name), ": n_vocab mismatch"));
  return std::make_shared<const Encoding>(std::move(impl));
}

// tiktoken/model.py MODEL_TO_ENCODING.
constexpr std::pair<std::string_view, std::string_view> kModelToEncoding[] = {
    {"o1", "o200k_base"}, {"o3", "o200k_base"}, {"o4-mini", "o200k_base"},
    {"gpt-5", "o200k_base"}, {"gpt-4.1", "o200k_base"}, {"gpt-4o", "o200k_base"},
    {"gpt-4", "cl100k_base"}, {"gpt-3.5-turbo", "cl100k_base"}, {"gpt-3.5", "cl100k_base"},
    {"gpt-35-turbo", "cl100k_base"},
    {"davinci-002", "cl100k_base"}, {"babbage-002", "cl100k_base"},
    {"text-embedding-ada-002", "cl100k_base"}, {"text-embedding-3-small", "cl100k_base"},
    {"text-embedding-3-large", "cl100k_base"},
    {"text-davinci-003", "p50k_base"}, {"text-davinci-002", "p50k_base"},
    {"text-davinci-001", "r50k_base"}, {"text-curie-001", "r50k_base"}, {"text-babbage-001", "r50k_base"},
    {"text-ada-001", "r50k_base"}, {"davinci", "r50k_base"}, {"curie", "r50k_base"},
    {"babbage", "r50k_base"}, {"ada", "r50k_base"},
    {"code-davinci-002", "p50k_base"}, {"code-davinci-001", "p50k_base"}, {"code-cushman-002", "p50k_base"},
    {"code-cushman-001", "p50k_base"}, {"davinci-codex", "p50k_base"}, {"cushman-codex", "p50k_base"},
    {"text-davinci-edit-001", "p50k_edit"}, {"code-davinci-edit-001", "p50k_edit"},
    {"text-similarity-davinci-001", "r50k_base"}, {"text-similarity-curie-001", "r50k_base"},
    {"text-similarity-babbage-001", "r50k_base"}, {"text-similarity-ada-001", "r50k_base"},
    {"text-search-davinci-doc-001", "r50k_base"}, {"text-search-curie-doc-001", "r50k_base"},
    {"text-search-babbage-doc-001", "r50k_base"}, {"text-search-ada-doc-001", "r50k_base"},
    {"code-search-babbage-code-001", "r50k_base"}, {"code-search-ada-code-001", "r50k_base"},
    {"gpt2", "gpt2"}, {"gpt-2", "gpt2"},
};

// tiktoken/model.py MODEL_PREFIX_TO_ENCODING, in its order: the first matching prefix wins.
constexpr std::pair<std::string_view, std::string_view> kModelPrefixToEncoding[] = {
    {"o1-", "o200k_base"}, {"o3-", "o200k_base"}, {"o4-mini-", "o200k_base"},
    {"gpt-5", "o200k_base"}, {"gpt-4.5-", "o200k_base"}, {"gpt-4.1-", "o200k_base"},
    {"chatgpt-4o-", "o200k_base"}, {"gpt-4o-", "o200k_base"}, {"gpt-4-", "cl100k_base"},
    {"gpt-3.5-turbo-", "cl100k_base"}, {"gpt-35-turbo-", "cl100k_base"}, {"gpt-oss-", "o200k_harmony"},
    {"ft:gpt-4o", "o200k_base"}, {"ft:gpt-4", "cl100k_base"}, {"ft:gpt-3.5-turbo", "cl100k_base"},
    {"ft:davinci-002", "cl100k_base"}, {"ft:babbage-002", "cl100k_base"},
};

}  // namespace

EncodingPtr Encoding::get(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kBuiltins); ++i) {
    if (kBuiltins[i].name != name) continue;
    static std::once_flag once[std::size(kBuiltins)];
    static EncodingPtr cache[std::size(kBuiltins)];
    std::call_once(once[i], [i] { cache[i] = make_builtin(kBuiltins[i]); });
    return cache[i];
  }
  throw Error(ErrorCode::kUnknownEncoding,
              absl::StrCat("Unknown encoding ", detail::sv(name), ". Plugins found: [tokcount built-ins]. Built-in encodings: "
                           "gpt2, r50k_base, p50k_base, p50k_edit, cl100k_base, o200k_base, o200k_harmony"));
}

std::string Encoding::encoding_name_for_model(std::string_view model) {
  for (const auto& [m, e] : kModelToEncoding)
    if (m == model) return std::string(e);
  for (const auto& [prefix, e] : kModelPrefixToEncoding)
    if (model.starts_with(prefix)) return std::string(e);
  throw Error(ErrorCode::kUnknownModel,
              absl::StrCat("Could not automatically map ", detail::sv(model),
                           " to a tokeniser. Please use `tiktoken.get_encoding` to explicitly get the tokeniser you expect."));
}

EncodingPtr Encoding::for_model(std::string_view model) { return get(encoding_name_for_model(model)); }

std::vector<std::string> Encoding::list_encoding_names() {
  std::vector<std::string> out;
  for (const auto& b : kBuiltins) out.emplace_back(b.name);
  return out;
}

EncodingPtr Encoding::create(std::string name, std::string pat_str,
                             std::vector<std::pair<std::string, Rank>> mergeable_ranks,
                             std::vector<SpecialToken> special_tokens, std::optional<std::size_t> explicit_n_vocab) {
  auto impl = std::make_unique<detail::EncodingImpl>();
  impl->name = std::move(name);
  impl->kind = pretok::classify_pattern(pat_str);
  if (impl->kind == PatternKind::kRegex) impl->regex = std::make_unique<pretok::RegexPretokenizer>(pat_str);
  impl->pat_str = std::move(pat_str);
  impl->owned_blob = vocab::VocabTable::build_blob(mergeable_ranks);
  impl->vocab = vocab::VocabTable::view(impl->owned_blob.data(), impl->owned_blob.size());
  impl->specials = std::move(special_tokens);
  impl->index_specials();
  if (explicit_n_vocab) {
    // tiktoken asserts both: every id is distinct and the ids are dense up to n_vocab - 1.
    if (mergeable_ranks.size() + impl->specials.size() != *explicit_n_vocab ||
        std::size_t{impl->max_token_value} + 1 != *explicit_n_vocab)
      throw Error(ErrorCode::kInvalidArgument,
                  absl::StrCat("explicit_n_vocab ", *explicit_n_vocab, " does not match ", mergeable_ranks.size(),
                               " mergeable + ", impl->specials.size(), " special tokens (max id ",
                               impl->max_token_value, ")"));
  }
  return std::make_shared<const Encoding>(std::move(impl));
}

std::vector<std::pair<std::string, Rank>> Encoding::parse_tiktoken_bpe(std::string_view contents) {
  return vocab::parse_tiktoken(contents);
}

std::vector<std::pair<std::string, Rank>> Encoding::load_tiktoken_bpe_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::kIoError, absl::StrCat("cannot open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(ErrorCode::kIoError, absl::StrCat("cannot read ", path));
  return parse_tiktoken_bpe(ss.str());
}

}  // namespace tokcount
