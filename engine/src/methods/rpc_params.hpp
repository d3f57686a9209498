// What an RPC method reads and writes: typed, named access to the params map of its request,
// and the packer of its result.  Namespace rpc: these are the protocol's words, which the
// transport (rpc/dispatcher.hpp) and the methods share; they sit with the methods so that the
// methods never include the transport above them.
//
// Every accessor that fails throws RpcError(invalid_params) with a message that starts with
// the offending field's name, e.g. "visit_id: expected a non-negative integer".  Nested maps
// are read with `sub()`, which prefixes the parent's name ("visit.boresight_ra: ...").
#pragma once

#include <msgpack.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace satveto::rpc {

// A method packs exactly one msgpack value, its result, with this.
using ResultPacker = msgpack::packer<msgpack::sbuffer>;

class Params {
public:
    // `map` must outlive the Params; `path` is the name prefix used in error messages.
    explicit Params(const msgpack::object& map, std::string path = "");

    const msgpack::object* find(std::string_view key) const;
    bool has(std::string_view key) const;

    std::uint64_t require_uint(std::string_view key) const;
    std::int64_t require_int(std::string_view key) const;
    double require_double(std::string_view key) const;  // integers accepted; must be finite
    std::string require_string(std::string_view key) const;
    const msgpack::object& require_array(std::string_view key) const;
    Params sub(std::string_view key) const;  // a nested map

    std::optional<double> optional_double(std::string_view key) const;  // absent or nil: none

    // Refuses keys other than `allowed`, naming the first stranger.
    void reject_unknown(std::initializer_list<std::string_view> allowed) const;

    // Field name for messages: "key" or "parent.key".
    std::string name(std::string_view key) const;
    [[noreturn]] void fail(std::string_view key, std::string_view what) const;

private:
    const msgpack::object& require(std::string_view key) const;

    const msgpack::object& map_;
    std::string path_;
};

// "name[index]", the name of an array element in messages.  (Built by appending: GCC 12
// reports a false -Wrestrict at -O3 for "literal" + std::string concatenations.)
std::string indexed_name(std::string_view name, std::size_t index);

// Conversions of a single msgpack value, naming `field` when they fail.
std::uint64_t as_uint(const msgpack::object& value, const std::string& field);
std::int64_t as_int(const msgpack::object& value, const std::string& field);
double as_double(const msgpack::object& value, const std::string& field);

}  // namespace satveto::rpc
