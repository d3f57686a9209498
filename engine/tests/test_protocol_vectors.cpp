// The golden vectors of protocol/: msgpack-c reads and writes them byte for byte, and the
// dispatcher answers the deterministic ones exactly.
#include "methods/services.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/method_table.hpp"
#include "state/state.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path vectors_dir = fs::path(SATVETO_PROTOCOL_DIR) / "vectors";

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in.good());
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("every golden vector decodes and re-encodes to identical bytes") {
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(vectors_dir)) {
        if (entry.path().extension() != ".msgpack") continue;
        ++files;
        const std::string bytes = read_bytes(entry.path());
        msgpack::object_handle decoded = msgpack::unpack(bytes.data(), bytes.size());
        msgpack::sbuffer again;
        msgpack::pack(again, decoded.get());
        INFO(entry.path().filename().string());
        REQUIRE(std::string(again.data(), again.size()) == bytes);
    }
    REQUIRE(files >= 20);
}

TEST_CASE("the engine answers the engine_exact vectors with exactly the golden bytes") {
    satveto::engine::EngineState state(1);
    satveto::engine::EngineServices services(state, 8);
    satveto::rpc::ConnectionCounters connections;
    satveto::rpc::Dispatcher dispatcher;
    satveto::rpc::register_methods(dispatcher, services, connections);

    std::ifstream names(vectors_dir / "engine_exact.txt");
    std::string name;
    std::size_t checked = 0;
    while (std::getline(names, name)) {
        if (name.empty()) continue;
        const std::string request = read_bytes(vectors_dir / (name + ".request.msgpack"));
        const std::string expected = read_bytes(vectors_dir / (name + ".response.msgpack"));
        const msgpack::sbuffer reply =
            dispatcher.handle(std::span(reinterpret_cast<const std::uint8_t*>(request.data()), request.size()));
        INFO(name);
        REQUIRE(std::string(reply.data(), reply.size()) == expected);
        ++checked;
    }
    REQUIRE(checked >= 5);
}

TEST_CASE("ping reports the documented fields and no catalog before one is loaded") {
    satveto::engine::EngineState state(1);
    satveto::engine::EngineServices services(state, 8);
    satveto::rpc::ConnectionCounters connections;
    satveto::rpc::Dispatcher dispatcher;
    satveto::rpc::register_methods(dispatcher, services, connections);
    const std::string request = read_bytes(vectors_dir / "ping.request.msgpack");
    const msgpack::sbuffer reply =
        dispatcher.handle(std::span(reinterpret_cast<const std::uint8_t*>(request.data()), request.size()));
    msgpack::object_handle decoded = msgpack::unpack(reply.data(), reply.size());
    const auto response = decoded.get().as<std::vector<msgpack::object>>();
    REQUIRE(response.size() == 4);
    REQUIRE(response[1].as<int>() == 1);
    REQUIRE(response[2].is_nil());
    auto result = response[3].as<std::map<std::string, msgpack::object>>();
    REQUIRE(result.at("version").as<std::string>() == SATVETO_VERSION);
    REQUIRE(result.at("instance_id").as<std::string>() == state.instance_id());
    REQUIRE(result.at("instance_id").as<std::string>().size() == 32);
    REQUIRE(result.at("uptime_s").as<double>() >= 0.0);
    REQUIRE(result.at("catalog").is_nil());
}

TEST_CASE("instance ids differ between engine states") {
    REQUIRE(satveto::engine::random_instance_id() != satveto::engine::random_instance_id());
}
