// What module.cpp shares with the feature bindings (<feature>_bindings.cpp): argument
// conversions and error translation, so every front end of the Python package reads
// tiktoken's arguments and raises tiktoken's exceptions the same way (one implementation each,
// in module.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>

#include "tokcount/tokcount.hpp"

namespace tokcount::python {

// tiktoken's allowed_special / disallowed_special arguments -> EncodeOptions, with its TypeErrors.
EncodeOptions options_of(pybind11::handle allowed_special, pybind11::handle disallowed_special);

// Native threads for a batch: `num_threads` (an int > 0, or None for every core; ValueError as
// ThreadPoolExecutor otherwise), capped so each thread has enough text to pay for its start.
unsigned threads_for(pybind11::handle num_threads, std::size_t total_bytes, std::size_t items);

// The encoding behind a tokcount._tokcount.CoreBPE (TypeError for any other object).
const EncodingPtr& encoding_of(pybind11::handle core);

// tokcount::Error -> the Python exception tiktoken raises for it. Needs the GIL.
[[noreturn]] void raise_error(const Error& e);

}  // namespace tokcount::python

// Feature registrations, called from module.cpp's PYBIND11_MODULE.
void register_arrow(pybind11::module_& m);
