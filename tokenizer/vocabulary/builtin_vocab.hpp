// The four vocabularies compiled into the library (bpe_data/CMakeLists.txt embeds them).
#pragma once

#include <string_view>

#include "vocabulary/vocab_table.hpp"

namespace tokcount::vocab {

enum class BuiltinVocab { kR50k, kP50k, kCl100k, kO200k };

// A view over the embedded table; built on first use (no parsing: it only reads the header
// and the 256 single-byte ranks).
const VocabTable& builtin_table(BuiltinVocab which);

}  // namespace tokcount::vocab
