#include "rpc/dispatcher.hpp"

#include "methods/rpc_errors.hpp"

#include <algorithm>
#include <chrono>
#include <new>

namespace satveto::rpc {
namespace {

void pack_header(ResultPacker& p, std::optional<std::uint32_t> msgid) {
    p.pack_array(4);
    p.pack_uint8(1);
    if (msgid) p.pack_uint32(*msgid);
    else
        p.pack_nil();
}

void pack_error(ResultPacker& p, std::string_view code, std::string_view message) {
    p.pack_map(2);
    p.pack("code");
    p.pack(code);
    p.pack("message");
    p.pack(message);
}

struct Request {
    std::uint32_t msgid = 0;
    std::string_view method;
    const msgpack::object* params = nullptr;
};

// Checks the envelope; throws RpcError(invalid_request) naming what is wrong.
Request parse_envelope(const msgpack::object& msg, std::optional<std::uint32_t>& msgid_out) {
    if (msg.type != msgpack::type::ARRAY || msg.via.array.size != 4)
        throw RpcError(code::invalid_request, "a request is an array [0, msgid, method, params]");
    const msgpack::object* f = msg.via.array.ptr;
    if (f[1].type == msgpack::type::POSITIVE_INTEGER && f[1].via.u64 <= UINT32_MAX)
        msgid_out = static_cast<std::uint32_t>(f[1].via.u64);
    if (f[0].type != msgpack::type::POSITIVE_INTEGER || f[0].via.u64 != 0)
        throw RpcError(code::invalid_request, "type: a request has type 0");
    if (!msgid_out) throw RpcError(code::invalid_request, "msgid: expected an unsigned 32-bit integer");
    if (f[2].type != msgpack::type::STR) throw RpcError(code::invalid_request, "method: expected a string");
    if (f[3].type != msgpack::type::MAP) throw RpcError(code::invalid_request, "params: expected a map");
    return Request{*msgid_out, {f[2].via.str.ptr, f[2].via.str.size}, &f[3]};
}

void record_max(std::atomic<std::uint64_t>& max, std::uint64_t value) {
    std::uint64_t seen = max.load();
    while (value > seen && !max.compare_exchange_weak(seen, value)) {
    }
}

// Error messages may echo bytes of the request (an unknown method's or parameter's name), and a
// msgpack str must be UTF-8: keep printable ASCII, replace anything else, and bound the length.
std::string printable(std::string_view text) {
    constexpr std::size_t max_chars = 512;
    std::string out;
    out.reserve(std::min(text.size(), max_chars));
    for (char c : text.substr(0, max_chars)) {
        const auto byte = static_cast<unsigned char>(c);
        out += (byte >= 0x20 && byte < 0x7f) ? c : '?';
    }
    return out;
}

}  // namespace

void Dispatcher::add(std::string name, Handler handler) { methods_[std::move(name)].handler = std::move(handler); }

msgpack::sbuffer error_response(std::optional<std::uint32_t> msgid, std::string_view code, std::string_view message) {
    msgpack::sbuffer out;
    ResultPacker p(out);
    pack_header(p, msgid);
    pack_error(p, code, printable(message));
    p.pack_nil();
    return out;
}

msgpack::sbuffer Dispatcher::handle(std::span<const std::uint8_t> message) const {
    std::optional<std::uint32_t> msgid;
    MethodCounters* counters = nullptr;
    const auto started = std::chrono::steady_clock::now();
    try {
        msgpack::object_handle decoded = msgpack::unpack(reinterpret_cast<const char*>(message.data()), message.size());
        const Request request = parse_envelope(decoded.get(), msgid);
        const auto found = methods_.find(request.method);
        if (found == methods_.end()) {
            throw RpcError(code::unknown_method,
                           "method: unknown method '" + std::string(request.method.substr(0, 64)) + "'");
        }
        counters = found->second.counters.get();
        counters->calls += 1;

        // The result is packed into its own buffer first, so a handler that fails half-way
        // leaves nothing of its partial result in the response.
        msgpack::sbuffer result;
        ResultPacker result_packer(result);
        found->second.handler(Params(*request.params), result_packer);

        msgpack::sbuffer out;
        ResultPacker p(out);
        pack_header(p, msgid);
        p.pack_nil();
        out.write(result.data(), result.size());
        const auto us = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
        counters->total_us += us;
        record_max(counters->max_us, us);
        return out;
    } catch (const RpcError& e) {
        if (counters) counters->errors += 1;
        else
            invalid_requests_ += 1;
        return error_response(msgid, e.code(), e.what());
    } catch (const msgpack::unpack_error&) {
        invalid_requests_ += 1;
        return error_response(msgid, code::invalid_request, "the message is not valid msgpack");
    } catch (const std::bad_alloc&) {
        if (counters) counters->errors += 1;
        return error_response(msgid, code::resource_exhausted, "the engine ran out of memory for this request");
    } catch (...) {
        if (counters) counters->errors += 1;
        return error_response(msgid, code::internal, "internal error");
    }
}

void Dispatcher::pack_counters(ResultPacker& out) const {
    out.pack_map(static_cast<std::uint32_t>(methods_.size()));
    for (const auto& [name, method] : methods_) {
        const MethodCounters& c = *method.counters;
        out.pack(name);
        out.pack_map(4);
        out.pack("calls");
        out.pack(c.calls.load());
        out.pack("errors");
        out.pack(c.errors.load());
        out.pack("total_ms");
        out.pack(static_cast<double>(c.total_us.load()) / 1000.0);
        out.pack("max_ms");
        out.pack(static_cast<double>(c.max_us.load()) / 1000.0);
    }
}

}  // namespace satveto::rpc
