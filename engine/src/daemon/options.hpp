// Command-line flags of satveto-engine.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <sys/types.h>

namespace satveto::engine {

struct Options {
    std::string socket_path;
    unsigned threads = 0;          // 0: one per hardware thread
    std::set<uid_t> allowed_uids;  // empty: only the engine's own uid
    std::size_t max_message_bytes = 256u * 1024u * 1024u;
    std::size_t max_connections = 64;
    std::size_t visit_cache_size = 512;  // precomputed visits kept (LRU)
    unsigned socket_mode = 0600;         // 0600, or 0660 to let the engine's group connect
    bool require_mlock = false;
    bool show_help = false;
    bool show_version = false;
};

// Parses argv.  On a bad flag returns nullopt and sets `error` to a message naming the flag.
std::optional<Options> parse_options(const std::vector<std::string>& args, std::string& error);

std::string usage_text();

}  // namespace satveto::engine
