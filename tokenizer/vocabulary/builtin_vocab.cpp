#include "vocabulary/builtin_vocab.hpp"

#include <cstdint>

extern "C" {
extern const std::uint8_t tokcount_vocab_r50k_base[], tokcount_vocab_r50k_base_end[];
extern const std::uint8_t tokcount_vocab_p50k_base[], tokcount_vocab_p50k_base_end[];
extern const std::uint8_t tokcount_vocab_cl100k_base[], tokcount_vocab_cl100k_base_end[];
extern const std::uint8_t tokcount_vocab_o200k_base[], tokcount_vocab_o200k_base_end[];
}

namespace tokcount::vocab {
namespace {

VocabTable view(const std::uint8_t* begin, const std::uint8_t* end) {
  return VocabTable::view(begin, static_cast<std::size_t>(end - begin));
}

}  // namespace

const VocabTable& builtin_table(BuiltinVocab which) {
  switch (which) {
    case BuiltinVocab::kR50k: {
      static const VocabTable t = view(tokcount_vocab_r50k_base, tokcount_vocab_r50k_base_end);
      return t;
    }
    case BuiltinVocab::kP50k: {
      static const VocabTable t = view(tokcount_vocab_p50k_base, tokcount_vocab_p50k_base_end);
      return t;
    }
    case BuiltinVocab::kCl100k: {
      static const VocabTable t = view(tokcount_vocab_cl100k_base, tokcount_vocab_cl100k_base_end);
      return t;
    }
    case BuiltinVocab::kO200k:
      break;
  }
  static const VocabTable t = view(tokcount_vocab_o200k_base, tokcount_vocab_o200k_base_end);
  return t;
}

}  // namespace tokcount::vocab
