#include "daemon/options.hpp"

#include <charconv>
#include <limits>

namespace satveto::engine {
namespace {

template <typename T>
bool parse_number(const std::string& text, T& out, T min, T max) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) return false;
    out = value;
    return true;
}

}  // namespace

std::string usage_text() {
    return "usage: satveto-engine --socket PATH [options]\n"
           "\n"
           "  --socket PATH              Unix socket to listen on\n"
           "  --socket-mode MODE         0600 (default) or 0660: also the engine's group may connect\n"
           "  --threads N                worker threads for heavy methods (default: all cores)\n"
           "  --allowed-uid UID          uid allowed to connect; repeatable (default: own uid)\n"
           "  --max-message-bytes N      largest request accepted (default 268435456)\n"
           "  --max-connections N        simultaneous connections (default 64)\n"
           "  --visit-cache-size N       precomputed visits kept, least recently used dropped (default 512)\n"
           "  --require-mlock            exit if memory cannot be locked\n"
           "  --version                  print the version and exit\n"
           "  --help                     print this text and exit\n";
}

std::optional<Options> parse_options(const std::vector<std::string>& args, std::string& error) {
    Options options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& flag = args[i];
        auto value = [&](std::string& out) {
            if (i + 1 >= args.size()) {
                error = flag + ": missing value";
                return false;
            }
            out = args[++i];
            return true;
        };
        std::string text;
        if (flag == "--help" || flag == "-h") {
            options.show_help = true;
        } else if (flag == "--version") {
            options.show_version = true;
        } else if (flag == "--require-mlock") {
            options.require_mlock = true;
        } else if (flag == "--socket") {
            if (!value(options.socket_path)) return std::nullopt;
            if (options.socket_path.empty()) {
                error = "--socket: empty path";
                return std::nullopt;
            }
        } else if (flag == "--threads") {
            if (!value(text) || !parse_number(text, options.threads, 1u, 1024u)) {
                if (error.empty()) error = "--threads: expected an integer from 1 to 1024, got '" + text + "'";
                return std::nullopt;
            }
        } else if (flag == "--allowed-uid") {
            uid_t uid = 0;
            if (!value(text) || !parse_number(text, uid, uid_t{0}, std::numeric_limits<uid_t>::max() - 1)) {
                if (error.empty()) error = "--allowed-uid: expected a numeric uid, got '" + text + "'";
                return std::nullopt;
            }
            options.allowed_uids.insert(uid);
        } else if (flag == "--max-message-bytes") {
            if (!value(text) ||
                !parse_number(text, options.max_message_bytes, std::size_t{1024}, std::size_t{4} * 1024 * 1024 * 1024)) {
                if (error.empty())
                    error = "--max-message-bytes: expected an integer from 1024 to 4294967296, got '" + text + "'";
                return std::nullopt;
            }
        } else if (flag == "--max-connections") {
            if (!value(text) || !parse_number(text, options.max_connections, std::size_t{1}, std::size_t{4096})) {
                if (error.empty()) error = "--max-connections: expected an integer from 1 to 4096, got '" + text + "'";
                return std::nullopt;
            }
        } else if (flag == "--socket-mode") {
            // Only these two: the socket must never be reachable by others, and the uid check
            // (SO_PEERCRED) still applies to whoever the mode lets connect.
            if (!value(text) || (text != "0600" && text != "600" && text != "0660" && text != "660")) {
                if (error.empty()) error = "--socket-mode: expected 0600 or 0660, got '" + text + "'";
                return std::nullopt;
            }
            options.socket_mode = text.ends_with("660") ? 0660 : 0600;
        } else if (flag == "--visit-cache-size") {
            if (!value(text) || !parse_number(text, options.visit_cache_size, std::size_t{1}, std::size_t{100000})) {
                if (error.empty())
                    error = "--visit-cache-size: expected an integer from 1 to 100000, got '" + text + "'";
                return std::nullopt;
            }
        } else {
            error = flag + ": unknown flag";
            return std::nullopt;
        }
    }
    if (options.socket_path.empty() && !options.show_help && !options.show_version) {
        error = "--socket: required";
        return std::nullopt;
    }
    return options;
}

}  // namespace satveto::engine
