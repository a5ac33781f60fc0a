// Test helper shared by the lint request and log tests.
#pragma once

#include <string_view>
#include <vector>

#include "tokcount/lint.hpp"

namespace lint_test {

// The findings of rule `id`, in the order the linter reported them.
inline std::vector<tokcount::lint::Finding> of_rule(const tokcount::lint::Result& r, std::string_view id) {
  std::vector<tokcount::lint::Finding> out;
  for (const tokcount::lint::Finding& f : r.findings)
    if (f.rule->id == id) out.push_back(f);
  return out;
}

}  // namespace lint_test
