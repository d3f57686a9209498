#include "methods/rpc_params.hpp"

#include "methods/rpc_errors.hpp"

#include <cmath>
#include <limits>

namespace satveto::rpc {
namespace {

std::string_view key_of(const msgpack::object_kv& kv) {
    if (kv.key.type != msgpack::type::STR) return {};
    return {kv.key.via.str.ptr, kv.key.via.str.size};
}

[[noreturn]] void fail_field(const std::string& field, std::string_view what) {
    throw RpcError(code::invalid_params, field + ": " + std::string(what));
}

}  // namespace

Params::Params(const msgpack::object& map, std::string path) : map_(map), path_(std::move(path)) {
    if (map_.type != msgpack::type::MAP)
        throw RpcError(code::invalid_params, (path_.empty() ? std::string("params") : path_) + ": expected a map");
}

std::string Params::name(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void Params::fail(std::string_view key, std::string_view what) const { fail_field(name(key), what); }

const msgpack::object* Params::find(std::string_view key) const {
    const auto& m = map_.via.map;
    for (std::uint32_t i = 0; i < m.size; ++i)
        if (key_of(m.ptr[i]) == key) return &m.ptr[i].val;
    return nullptr;
}

bool Params::has(std::string_view key) const {
    const msgpack::object* v = find(key);
    return v != nullptr && v->type != msgpack::type::NIL;
}

const msgpack::object& Params::require(std::string_view key) const {
    const msgpack::object* v = find(key);
    if (v == nullptr || v->type == msgpack::type::NIL) fail(key, "required");
    return *v;
}

std::uint64_t Params::require_uint(std::string_view key) const { return as_uint(require(key), name(key)); }
std::int64_t Params::require_int(std::string_view key) const { return as_int(require(key), name(key)); }
double Params::require_double(std::string_view key) const { return as_double(require(key), name(key)); }

std::string Params::require_string(std::string_view key) const {
    const msgpack::object& v = require(key);
    if (v.type != msgpack::type::STR) fail(key, "expected a string");
    return std::string(v.via.str.ptr, v.via.str.size);
}

const msgpack::object& Params::require_array(std::string_view key) const {
    const msgpack::object& v = require(key);
    if (v.type != msgpack::type::ARRAY) fail(key, "expected an array");
    return v;
}

Params Params::sub(std::string_view key) const {
    const msgpack::object& v = require(key);
    if (v.type != msgpack::type::MAP) fail(key, "expected a map");
    return Params(v, name(key));
}

std::optional<double> Params::optional_double(std::string_view key) const {
    if (!has(key)) return std::nullopt;
    return as_double(*find(key), name(key));
}

void Params::reject_unknown(std::initializer_list<std::string_view> allowed) const {
    const auto& m = map_.via.map;
    for (std::uint32_t i = 0; i < m.size; ++i) {
        if (m.ptr[i].key.type != msgpack::type::STR)
            throw RpcError(code::invalid_params,
                           (path_.empty() ? std::string("params") : path_) + ": keys must be strings");
        const std::string_view k = key_of(m.ptr[i]);
        bool known = false;
        for (std::string_view a : allowed) known = known || (a == k);
        if (!known) fail(k, "unknown parameter");
    }
}

std::string indexed_name(std::string_view name, std::size_t index) {
    std::string out(name);
    out += '[';
    out += std::to_string(index);
    out += ']';
    return out;
}

std::uint64_t as_uint(const msgpack::object& value, const std::string& field) {
    if (value.type != msgpack::type::POSITIVE_INTEGER) fail_field(field, "expected a non-negative integer");
    return value.via.u64;
}

std::int64_t as_int(const msgpack::object& value, const std::string& field) {
    if (value.type == msgpack::type::NEGATIVE_INTEGER) return value.via.i64;
    if (value.type == msgpack::type::POSITIVE_INTEGER &&
        value.via.u64 <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(value.via.u64);
    fail_field(field, "expected an integer");
}

double as_double(const msgpack::object& value, const std::string& field) {
    double d = 0.0;
    switch (value.type) {
        case msgpack::type::FLOAT32:
        case msgpack::type::FLOAT64: d = value.via.f64; break;
        case msgpack::type::POSITIVE_INTEGER: d = static_cast<double>(value.via.u64); break;
        case msgpack::type::NEGATIVE_INTEGER: d = static_cast<double>(value.via.i64); break;
        default: fail_field(field, "expected a number");
    }
    if (!std::isfinite(d)) fail_field(field, "must be finite");
    return d;
}

}  // namespace satveto::rpc
