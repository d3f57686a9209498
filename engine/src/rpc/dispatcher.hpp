// Turns one complete msgpack-RPC request into the bytes of its response.
//
// Request  [0, msgid, method, params]   (params: a map)
// Response [1, msgid, error, result]    (error: nil or {"code", "message"})
//
// handle() never throws: an RpcError from a handler becomes that error, std::bad_alloc becomes
// resource_exhausted, and anything else becomes a generic `internal` error whose message
// reveals nothing of the engine's data.
#pragma once

#include "methods/rpc_params.hpp"

#include <msgpack.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace satveto::rpc {

// A method packs exactly one msgpack value (its result) or throws RpcError.
using Handler = std::function<void(const Params& params, ResultPacker& result)>;

struct MethodCounters {
    std::atomic<std::uint64_t> calls{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> total_us{0};
    std::atomic<std::uint64_t> max_us{0};
};

class Dispatcher {
public:
    // Registration happens before serving; the method table is read-only afterwards.
    void add(std::string name, Handler handler);

    msgpack::sbuffer handle(std::span<const std::uint8_t> message) const;

    // Packs the counters of every method as {name: {calls, errors, total_ms, max_ms}}.
    void pack_counters(ResultPacker& out) const;
    std::uint64_t invalid_requests() const { return invalid_requests_.load(); }

private:
    struct Method {
        Handler handler;
        std::unique_ptr<MethodCounters> counters = std::make_unique<MethodCounters>();
    };
    std::map<std::string, Method, std::less<>> methods_;
    mutable std::atomic<std::uint64_t> invalid_requests_{0};
};

// Response bytes for an error, with msgid nil when it is unknown.
msgpack::sbuffer error_response(std::optional<std::uint32_t> msgid, std::string_view code, std::string_view message);

}  // namespace satveto::rpc
