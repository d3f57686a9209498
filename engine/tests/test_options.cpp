// Command-line parsing: every bad flag is refused with its name in the message.
#include "daemon/options.hpp"

#include <catch2/catch.hpp>

using satveto::engine::parse_options;

namespace {
std::string error_of(std::vector<std::string> args) {
    std::string error;
    REQUIRE_FALSE(parse_options(args, error).has_value());
    return error;
}
}  // namespace

TEST_CASE("flags are parsed into options") {
    std::string error;
    const auto options = parse_options({"--socket", "/run/x.sock", "--threads", "3", "--allowed-uid", "1000",
                                        "--allowed-uid", "1001", "--max-message-bytes", "4096", "--require-mlock"},
                                       error);
    REQUIRE(options.has_value());
    REQUIRE(options->socket_path == "/run/x.sock");
    REQUIRE(options->threads == 3);
    REQUIRE(options->allowed_uids == std::set<uid_t>{1000, 1001});
    REQUIRE(options->max_message_bytes == 4096);
    REQUIRE(options->require_mlock);
}

TEST_CASE("bad flags are refused naming the flag") {
    REQUIRE(error_of({}).starts_with("--socket"));
    REQUIRE(error_of({"--socket"}).starts_with("--socket"));
    REQUIRE(error_of({"--socket", "s", "--threads", "0"}).starts_with("--threads"));
    REQUIRE(error_of({"--socket", "s", "--threads", "2x"}).starts_with("--threads"));
    REQUIRE(error_of({"--socket", "s", "--allowed-uid", "-1"}).starts_with("--allowed-uid"));
    REQUIRE(error_of({"--socket", "s", "--max-message-bytes", "10"}).starts_with("--max-message-bytes"));
    REQUIRE(error_of({"--socket", "s", "--frobnicate"}).starts_with("--frobnicate"));
}

TEST_CASE("the socket mode is 0600 unless 0660 is asked for") {
    std::string error;
    REQUIRE(parse_options({"--socket", "s"}, error)->socket_mode == 0600);
    REQUIRE(parse_options({"--socket", "s", "--socket-mode", "0660"}, error)->socket_mode == 0660);
    REQUIRE(parse_options({"--socket", "s", "--socket-mode", "600"}, error)->socket_mode == 0600);
    REQUIRE(error_of({"--socket", "s", "--socket-mode", "0666"}).starts_with("--socket-mode"));
    REQUIRE(error_of({"--socket", "s", "--socket-mode", "0700"}).starts_with("--socket-mode"));
}
