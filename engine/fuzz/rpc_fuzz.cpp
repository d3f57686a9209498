// libFuzzer target: the engine's RPC path exactly as a connection drives it.
//
// Bytes arrive in chunks and are framed by MessageFramer; every complete message goes to a
// Dispatcher with all the engine's methods registered, over a catalog of a few synthetic
// objects (a fixed list below, loaded through load_catalog itself), so that register_visit,
// filter_sources, visit_tracks, configure, propagate and observe run their real validation and
// matching code.  A refused message (too large, malformed) ends the input, as it ends a
// connection.
//
// Properties checked on every input, besides the sanitizers' own (ASan, UBSan):
//  * every response is one well-formed msgpack array [1, msgid, error, result] with exactly
//    one of error/result nil, and an error carries a known code and a string message;
//  * no `internal` error: an input that makes a handler throw something other than RpcError
//    (a msgpack type_error, an out_of_range...) is a validation gap, reported as a crash.
//
// Each input gets a fresh engine state (catalog, visit cache, settings), so a finding
// reproduces from its own bytes.  Built only by engine/fuzz/CMakeLists.txt (clang,
// -fsanitize=fuzzer); see docs/reliability.md.
#include "methods/rpc_errors.hpp"
#include "methods/services.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/framing.hpp"
#include "rpc/method_table.hpp"
#include "rpc/unix_server.hpp"
#include "state/state.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace satveto;

// Small enough that the fuzzer reaches the too_large path; large enough for real requests.
constexpr std::size_t max_message_bytes = 1 << 20;
constexpr std::size_t max_messages_per_input = 64;

struct Element {
    std::int64_t norad;
    const char* name;
    const char* epoch;
    double n, e, i, raan, argp, m, bstar, ndot, nddot;
};

// Synthetic objects (from the demo catalog generator), one per orbit class: LEO debris,
// a Starlink-like shell, GEO, SSO, a GTO rocket body, OneWeb-like, Molniya.
constexpr std::array<Element, 7> catalog_objects{{
    {323, "FUZZ-DEB", "2025-12-31T18:56:07.996834", 12.74691615, 0.0036061, 81.7121, 248.8512, 279.4914, 339.5841,
     0.00021162, 5.4e-07, 0.0},
    {430, "FUZZ-LEO", "2025-12-31T15:44:51.186268", 15.2854038, 0.0001731, 53.0206, 160.8674, 80.0733, 279.6173,
     0.00014419, 8.46e-06, 0.0},
    {530, "FUZZ-GEO", "2025-12-31T08:48:04.297340", 1.00311456, 0.0003045, 0.0394, 278.9125, 238.8548, 357.1218,
     6.4336e-06, 4e-07, 0.0},
    {3309, "FUZZ-SSO", "2025-12-31T06:19:57.306289", 14.20586915, 0.0014158, 98.6865, 192.139, 69.9153, 221.5444,
     0.00023593, 8.5e-07, 0.0},
    {8485, "FUZZ-GTO", "2025-12-31T13:14:08.236164", 2.27431163, 0.72958, 17.4569, 74.2969, 334.7461, 125.6862,
     0.00018433, 1.91e-06, 0.0},
    {12586, "FUZZ-POLAR", "2025-12-31T17:18:27.148087", 13.15655225, 0.0002786, 87.8977, 195.1961, 278.0969, 318.8484,
     0.00017982, -7e-08, 0.0},
    {67403, "FUZZ-HEO", "2025-12-31T02:50:18.042626", 2.00389056, 0.7362472, 63.5357, 152.0907, 262.339, 75.5112,
     7.7919e-05, 9e-07, 0.0},
}};

void pack_element(msgpack::packer<msgpack::sbuffer>& p, const Element& o) {
    p.pack_map(12);
    p.pack("NORAD_CAT_ID");
    p.pack(o.norad);
    p.pack("OBJECT_NAME");
    p.pack(std::string_view(o.name));
    p.pack("EPOCH");
    p.pack(std::string_view(o.epoch));
    const std::array<std::pair<const char*, double>, 9> numbers{{{"MEAN_MOTION", o.n},
                                                                 {"ECCENTRICITY", o.e},
                                                                 {"INCLINATION", o.i},
                                                                 {"RA_OF_ASC_NODE", o.raan},
                                                                 {"ARG_OF_PERICENTER", o.argp},
                                                                 {"MEAN_ANOMALY", o.m},
                                                                 {"BSTAR", o.bstar},
                                                                 {"MEAN_MOTION_DOT", o.ndot},
                                                                 {"MEAN_MOTION_DDOT", o.nddot}}};
    for (const auto& [key, value] : numbers) {
        p.pack(std::string_view(key));
        p.pack(value);
    }
}

const msgpack::sbuffer& load_catalog_request() {
    static const msgpack::sbuffer request = [] {
        msgpack::sbuffer out;
        msgpack::packer<msgpack::sbuffer> p(out);
        p.pack_array(4);
        p.pack(0);
        p.pack(1);
        p.pack(std::string_view("load_catalog"));
        p.pack_map(3);
        p.pack(std::string_view("generation"));
        p.pack(std::string_view("fuzz"));
        p.pack(std::string_view("fetched_at_unix"));
        p.pack(1767225600.0);  // 2026-01-01T00:00:00Z
        p.pack(std::string_view("objects"));
        p.pack_array(static_cast<std::uint32_t>(catalog_objects.size()));
        for (const Element& o : catalog_objects) pack_element(p, o);
        return out;
    }();
    return request;
}

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "rpc_fuzz: property violated: %s\n", what);
    std::abort();
}

bool known_code(std::string_view code) {
    namespace c = rpc::code;
    for (std::string_view k :
         {c::invalid_request, c::unknown_method, c::invalid_params, c::message_too_large, c::no_catalog,
          c::unknown_visit, c::visit_conflict, c::resource_exhausted, c::disclosure_budget_exhausted})
        if (code == k) return true;
    return false;
}

// The response must be exactly one msgpack value of the documented shape.
void check_response(const msgpack::sbuffer& reply) {
    std::size_t offset = 0;
    msgpack::object_handle handle = msgpack::unpack(reply.data(), reply.size(), offset);
    if (offset != reply.size()) violated("bytes after the response");
    const msgpack::object& r = handle.get();
    if (r.type != msgpack::type::ARRAY || r.via.array.size != 4) violated("response is not a 4-array");
    const msgpack::object* f = r.via.array.ptr;
    if (f[0].type != msgpack::type::POSITIVE_INTEGER || f[0].via.u64 != 1) violated("response type is not 1");
    if (f[1].type != msgpack::type::POSITIVE_INTEGER && f[1].type != msgpack::type::NIL)
        violated("msgid is neither an integer nor nil");
    const bool has_error = f[2].type != msgpack::type::NIL;
    if (has_error == (f[3].type != msgpack::type::NIL)) violated("exactly one of error/result must be nil");
    if (!has_error) return;
    if (f[2].type != msgpack::type::MAP || f[2].via.map.size != 2) violated("error is not a 2-map");
    std::string_view code;
    bool message = false;
    for (std::uint32_t k = 0; k < 2; ++k) {
        const msgpack::object_kv& kv = f[2].via.map.ptr[k];
        if (kv.key.type != msgpack::type::STR || kv.val.type != msgpack::type::STR) violated("error entries");
        const std::string_view key(kv.key.via.str.ptr, kv.key.via.str.size);
        if (key == "code") code = std::string_view(kv.val.via.str.ptr, kv.val.via.str.size);
        if (key == "message") message = true;
    }
    if (!message) violated("error without a message");
    if (code == rpc::code::internal) violated("an input reached the `internal` error (unexpected exception)");
    if (!known_code(code)) violated("unknown error code");
}

struct Engine {
    Engine() : state(1), services(state, 4) {
        rpc::register_methods(dispatcher, services, connections);
        const msgpack::sbuffer& load = load_catalog_request();
        const msgpack::sbuffer reply =
            dispatcher.handle(std::span(reinterpret_cast<const std::uint8_t*>(load.data()), load.size()));
        msgpack::object_handle handle = msgpack::unpack(reply.data(), reply.size());
        if (!handle.get().via.array.ptr[2].is_nil()) violated("the fixed catalog did not load");
    }
    engine::EngineState state;
    engine::EngineServices services;  // the ephemeris keeper stays idle (never started)
    rpc::ConnectionCounters connections;
    rpc::Dispatcher dispatcher;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Engine engine;
    rpc::MessageFramer framer(max_message_bytes);
    std::vector<std::uint8_t> pending;
    // Arrival in chunks whose size depends on the input's length, so that the framer's
    // resumption across reads is exercised as on a socket.
    const std::size_t chunk = 1 + size % 97;
    std::size_t fed = 0;
    std::size_t messages = 0;
    while (fed < size || !pending.empty()) {
        const std::size_t take = std::min(chunk, size - fed);
        pending.insert(pending.end(), data + fed, data + fed + take);
        fed += take;
        bool more = true;
        while (more && !pending.empty()) {
            const auto status = framer.scan(pending);
            switch (status) {
                case rpc::MessageFramer::Status::need_more: more = false; break;
                case rpc::MessageFramer::Status::complete: {
                    const std::size_t n = framer.message_size();
                    if (n == 0 || n > pending.size()) violated("framer reported an impossible size");
                    check_response(engine.dispatcher.handle(std::span(pending.data(), n)));
                    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
                    framer.reset();
                    if (++messages == max_messages_per_input) return 0;
                    break;
                }
                case rpc::MessageFramer::Status::too_large:
                case rpc::MessageFramer::Status::malformed: {
                    const bool too_large = status == rpc::MessageFramer::Status::too_large;
                    check_response(rpc::error_response(
                        rpc::peek_request_msgid(pending),
                        too_large ? rpc::code::message_too_large : rpc::code::invalid_request, "refused"));
                    return 0;  // the server closes the connection
                }
            }
        }
        if (fed == size) break;  // a truncated message followed by end of stream: dropped
    }
    return 0;
}
