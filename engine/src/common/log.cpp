#include "common/log.hpp"

#include <cstdio>
#include <mutex>

namespace satveto::common {
namespace {

std::mutex log_mutex;

void append_quoted(std::string& out, std::string_view text) {
    out += '"';
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += (c == '\n' || c == '\r') ? ' ' : c;
    }
    out += '"';
}

void emit(std::string_view level, std::string_view message, LogFields fields) {
    std::string line = "level=";
    line += level;
    line += " msg=";
    append_quoted(line, message);
    for (const auto& [key, value] : fields) {
        line += ' ';
        line += key;
        line += '=';
        append_quoted(line, value);
    }
    line += '\n';
    std::lock_guard lock(log_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace

void log_info(std::string_view message, LogFields fields) { emit("info", message, fields); }
void log_warning(std::string_view message, LogFields fields) { emit("warning", message, fields); }
void log_error(std::string_view message, LogFields fields) { emit("error", message, fields); }

}  // namespace satveto::common
