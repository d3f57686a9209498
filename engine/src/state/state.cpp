#include "state/state.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>

#include <sys/random.h>

namespace satveto::engine {

std::string random_instance_id() {
    std::array<unsigned char, 16> bytes{};
    std::size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::getrandom(bytes.data() + got, bytes.size() - got, 0);
        if (n < 0) throw std::runtime_error("getrandom() failed");
        got += static_cast<std::size_t>(n);
    }
    std::string hex;
    for (unsigned char b : bytes) {
        char pair[3];
        std::snprintf(pair, sizeof(pair), "%02x", b);
        hex += pair;
    }
    return hex;
}

EngineState::EngineState(unsigned threads)
    : instance_id_(random_instance_id()), started_(std::chrono::steady_clock::now()), threads_(threads) {}

double EngineState::uptime_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

std::shared_ptr<const catalog::Catalog> catalog_named(const EngineState& state, std::string_view name) {
    if (name == catalog::current_catalog_name) return state.catalog();
    return state.historical().find(name);
}

}  // namespace satveto::engine
