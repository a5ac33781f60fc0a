// Registration of the stream types; module.cpp passes the conversions it owns, so that the
// CoreBPE type and tiktoken's argument rules stay in one place.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>

#include "tokcount/tokcount.hpp"

struct StreamBindingHooks {
  std::function<tokcount::EncodingPtr(pybind11::handle core)> encoding_of;
  std::function<tokcount::EncodeOptions(pybind11::handle allowed, pybind11::handle disallowed)> options_of;
};

void register_stream(pybind11::module_& m, StreamBindingHooks hooks);
