// One-line structured log records on stderr (journald stores them with the unit).
//
// Format: `level=info msg="..." key=value ...`.  Callers pass only operational facts; the
// catalog's contents (names, elements, positions) are never logged.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace satveto::common {

using LogFields = std::initializer_list<std::pair<std::string_view, std::string>>;

void log_info(std::string_view message, LogFields fields = {});
void log_warning(std::string_view message, LogFields fields = {});
void log_error(std::string_view message, LogFields fields = {});

}  // namespace satveto::common
