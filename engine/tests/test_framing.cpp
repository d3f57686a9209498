// MessageFramer: message boundaries found without decoding, limits enforced before allocation.
#include "rpc/framing.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include <string>
#include <vector>

using satveto::rpc::MessageFramer;
using satveto::rpc::peek_request_msgid;
using Status = MessageFramer::Status;

namespace {

std::vector<std::uint8_t> pack(const auto& value) {
    msgpack::sbuffer buffer;
    msgpack::pack(buffer, value);
    return {reinterpret_cast<const std::uint8_t*>(buffer.data()),
            reinterpret_cast<const std::uint8_t*>(buffer.data()) + buffer.size()};
}

std::vector<std::uint8_t> sample_request() {
    std::map<std::string, std::vector<double>> params{{"mjd", {61365.0, 61365.5}}, {"empty", {}}};
    return pack(std::make_tuple(0, 77, std::string("propagate"), params));
}

}  // namespace

TEST_CASE("a whole message is found and its length reported") {
    const auto bytes = sample_request();
    MessageFramer framer(1 << 20);
    REQUIRE(framer.scan(bytes) == Status::complete);
    REQUIRE(framer.message_size() == bytes.size());
}

TEST_CASE("a message fed one byte at a time completes exactly at its last byte") {
    const auto bytes = sample_request();
    MessageFramer framer(1 << 20);
    for (std::size_t n = 1; n < bytes.size(); ++n)
        REQUIRE(framer.scan(std::span(bytes.data(), n)) == Status::need_more);
    REQUIRE(framer.scan(bytes) == Status::complete);
    REQUIRE(framer.message_size() == bytes.size());
}

TEST_CASE("two messages back to back are framed separately after reset") {
    auto bytes = sample_request();
    const std::size_t first = bytes.size();
    const auto second = pack(std::make_tuple(0, 78, std::string("ping"), std::map<std::string, int>{}));
    bytes.insert(bytes.end(), second.begin(), second.end());
    MessageFramer framer(1 << 20);
    REQUIRE(framer.scan(bytes) == Status::complete);
    REQUIRE(framer.message_size() == first);
    framer.reset();
    REQUIRE(framer.scan(std::span(bytes).subspan(first)) == Status::complete);
    REQUIRE(framer.message_size() == second.size());
}

TEST_CASE("every msgpack type is walked correctly") {
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> p(buffer);
    p.pack_array(16);
    p.pack_nil();
    p.pack_true();
    p.pack_int64(-5);
    p.pack_int64(-200000);
    p.pack_uint64(1ULL << 40);
    p.pack_float(1.5f);
    p.pack_double(2.5);
    p.pack(std::string(40, 'x'));     // str8
    p.pack(std::string(300, 'y'));    // str16
    p.pack(std::string(70000, 'z'));  // str32
    p.pack_bin(3);
    p.pack_bin_body("abc", 3);
    p.pack_ext(1, 7);
    p.pack_ext_body("a", 1);  // fixext1
    p.pack_ext(5, 7);
    p.pack_ext_body("abcde", 5);  // ext8
    p.pack_map(1);
    p.pack(1);
    p.pack(2);
    p.pack_array(20);  // array16
    for (int i = 0; i < 20; ++i) p.pack(i);
    p.pack_map(0);
    const std::span bytes(reinterpret_cast<const std::uint8_t*>(buffer.data()), buffer.size());
    MessageFramer framer(1 << 20);
    REQUIRE(framer.scan(bytes) == Status::complete);
    REQUIRE(framer.message_size() == bytes.size());
}

TEST_CASE("a header promising more elements than the limit allows is refused at once") {
    // array32 of 2^32-1 elements: five bytes that would make msgpack-c allocate ~100 GB.
    const std::vector<std::uint8_t> bytes{0xdd, 0xff, 0xff, 0xff, 0xff};
    MessageFramer framer(1 << 20);
    REQUIRE(framer.scan(bytes) == Status::too_large);
}

TEST_CASE("a string longer than the limit is refused before it arrives") {
    const std::vector<std::uint8_t> bytes{0xdb, 0x00, 0x10, 0x00, 0x00};  // str32 of 1 MiB
    MessageFramer framer(1024);
    REQUIRE(framer.scan(bytes) == Status::too_large);
}

TEST_CASE("a message exactly at the limit is accepted, one byte over is refused") {
    const std::string body(1000, 'q');
    const auto bytes = pack(body);
    MessageFramer exact(bytes.size());
    REQUIRE(exact.scan(bytes) == Status::complete);
    MessageFramer smaller(bytes.size() - 1);
    REQUIRE(smaller.scan(bytes) == Status::too_large);
}

TEST_CASE("the never-used byte 0xc1 is malformed") {
    const std::vector<std::uint8_t> bytes{0x92, 0x01, 0xc1};
    MessageFramer framer(1024);
    REQUIRE(framer.scan(bytes) == Status::malformed);
}

TEST_CASE("nesting deeper than the limit is malformed") {
    std::vector<std::uint8_t> bytes(MessageFramer::max_depth + 1, 0x91);  // [[[[...
    bytes.push_back(0x01);
    MessageFramer framer(1 << 20);
    REQUIRE(framer.scan(bytes) == Status::malformed);
    std::vector<std::uint8_t> shallow(MessageFramer::max_depth - 1, 0x91);
    shallow.push_back(0x01);
    MessageFramer ok(1 << 20);
    REQUIRE(ok.scan(shallow) == Status::complete);
}

TEST_CASE("the msgid of a request can be read from its first bytes") {
    REQUIRE(peek_request_msgid(pack(std::make_tuple(0, 5, std::string("x"), 0))) == 5u);
    REQUIRE(peek_request_msgid(pack(std::make_tuple(0, 300, std::string("x"), 0))) == 300u);
    REQUIRE(peek_request_msgid(pack(std::make_tuple(0, 4000000000u, std::string("x"), 0))) == 4000000000u);
    REQUIRE_FALSE(peek_request_msgid(pack(std::make_tuple(1, 5, std::string("x"), 0))).has_value());
    const std::vector<std::uint8_t> cut{0x94, 0x00, 0xcd, 0x01};  // uint16 missing a byte
    REQUIRE_FALSE(peek_request_msgid(cut).has_value());
}
