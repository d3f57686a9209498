// Params: typed access whose errors name the field, including nested fields.
#include "methods/rpc_errors.hpp"
#include "methods/rpc_params.hpp"

#include <catch2/catch.hpp>

#include <limits>

using satveto::rpc::Params;
using satveto::rpc::RpcError;

namespace {

std::string message_of(const std::function<void()>& action) {
    try {
        action();
    } catch (const RpcError& e) {
        REQUIRE(e.code() == "invalid_params");
        return e.what();
    }
    FAIL("no RpcError thrown");
    return {};
}

}  // namespace

TEST_CASE("values of the right type are returned") {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> p(buffer);
    p.pack_map(4);
    p.pack("visit_id");
    p.pack(std::uint64_t{2026112100123});
    p.pack("ra");
    p.pack(150.25);
    p.pack("n");
    p.pack(-3);
    p.pack("name");
    p.pack("x");
    auto h = msgpack::unpack(buffer.data(), buffer.size());
    const Params params(h.get());
    REQUIRE(params.require_uint("visit_id") == 2026112100123ULL);
    REQUIRE(params.require_double("ra") == 150.25);
    REQUIRE(params.require_double("n") == -3.0);  // integers are numbers too
    REQUIRE(params.require_int("n") == -3);
    REQUIRE(params.require_string("name") == "x");
    REQUIRE_FALSE(params.optional_double("absent").has_value());
    params.reject_unknown({"visit_id", "ra", "n", "name"});
}

TEST_CASE("errors name the field") {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> p(buffer);
    p.pack_map(4);
    p.pack("visit_id");
    p.pack(-1);
    p.pack("ra");
    p.pack("east");
    p.pack("nan");
    p.pack(std::numeric_limits<double>::quiet_NaN());
    p.pack("visit");
    p.pack_map(1);
    p.pack("boresight_dec");
    p.pack("x");
    auto h = msgpack::unpack(buffer.data(), buffer.size());
    const Params params(h.get());
    REQUIRE(message_of([&] { params.require_uint("visit_id"); }) == "visit_id: expected a non-negative integer");
    REQUIRE(message_of([&] { params.require_double("ra"); }) == "ra: expected a number");
    REQUIRE(message_of([&] { params.require_double("nan"); }) == "nan: must be finite");
    REQUIRE(message_of([&] { params.require_double("missing"); }) == "missing: required");
    REQUIRE(message_of([&] { params.sub("visit").require_double("boresight_dec"); }) ==
            "visit.boresight_dec: expected a number");
    REQUIRE(message_of([&] { params.reject_unknown({"visit_id", "ra", "nan"}); }) == "visit: unknown parameter");
}
