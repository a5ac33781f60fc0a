// Build-time generator: .tiktoken file -> vocabulary blob (see tokenizer/vocabulary/vocab_table.hpp).
// The blob is linked into the library with .incbin, so built-in encodings start with no parsing.
// It runs the same builder custom encodings use at run time.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "tokcount/tokcount.hpp"
#include "vocabulary/vocab_table.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: gen_vocab_tables INPUT.tiktoken OUTPUT.bin\n";
    return 2;
  }
  try {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) throw std::runtime_error(std::string("cannot open ") + argv[1]);
    std::stringstream ss;
    ss << in.rdbuf();
    const auto ranks = tokcount::vocab::parse_tiktoken(ss.str());
    const auto blob = tokcount::vocab::VocabTable::build_blob(ranks);
    tokcount::vocab::VocabTable::view(blob.data(), blob.size());  // self-check
    std::ofstream out(argv[2], std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(blob.data()), static_cast<std::streamsize>(blob.size()));
    if (!out) throw std::runtime_error(std::string("cannot write ") + argv[2]);
    std::cout << argv[2] << ": " << ranks.size() << " tokens, " << blob.size() << " bytes\n";
  } catch (const std::exception& e) {
    std::cerr << "gen_vocab_tables: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
