#include "lint/log_internal.hpp"
namespace tokcount::lint::detail {
void comparison_rules(const Linter&, const std::vector<LogRecord>&, std::vector<Finding>&) {}
}
