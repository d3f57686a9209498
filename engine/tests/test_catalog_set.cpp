// HistoricalCatalogs: named catalogs beside the current one, replaced in one step, bounded.
#include "catalog/catalog_set.hpp"
#include "state/state.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using satveto::catalog::Catalog;
using satveto::catalog::HistoricalCatalogs;

std::shared_ptr<const Catalog> make_catalog(const std::string& generation, std::size_t objects) {
    auto c = std::make_shared<Catalog>();
    c->generation = generation;
    c->objects = objects;
    return c;
}

}  // namespace

TEST_CASE("historical catalogs are stored, replaced and dropped by name", "[catalog_set]") {
    HistoricalCatalogs held;
    CHECK(held.find("hist-a") == nullptr);
    REQUIRE(held.store("hist-a", make_catalog("g1", 10)));
    REQUIRE(held.store("hist-b", make_catalog("g2", 20)));
    const auto a = held.find("hist-a");
    REQUIRE(a != nullptr);
    CHECK(a->generation == "g1");
    REQUIRE(held.store("hist-a", make_catalog("g3", 30)));
    CHECK(held.find("hist-a")->generation == "g3");
    CHECK(a->generation == "g1");  // a holder of the old one keeps it intact
    CHECK(held.find("hist-b")->generation == "g2");
    CHECK(held.list().size() == 2);
    CHECK(held.drop("hist-a"));
    CHECK_FALSE(held.drop("hist-a"));
    CHECK(held.find("hist-a") == nullptr);
    CHECK(held.list().size() == 1);
}

TEST_CASE("the number of historical catalogs has a ceiling", "[catalog_set]") {
    HistoricalCatalogs held;
    for (std::size_t i = 0; i < satveto::catalog::max_historical_catalogs; ++i)
        REQUIRE(held.store("h" + std::to_string(i), make_catalog("g", i + 1)));
    CHECK_FALSE(held.store("one-too-many", make_catalog("g", 1)));
    CHECK(held.find("one-too-many") == nullptr);
    CHECK(held.store("h0", make_catalog("again", 1)));  // replacing is always allowed
    CHECK(held.find("h0")->generation == "again");
}

TEST_CASE("catalog_named distinguishes the current catalog from historical ones", "[catalog_set]") {
    satveto::engine::EngineState state(1);
    CHECK(satveto::engine::catalog_named(state, "current") == nullptr);
    state.swap_catalog(make_catalog("now", 5));
    REQUIRE(state.historical().store("hist-x", make_catalog("then", 7)));
    CHECK(satveto::engine::catalog_named(state, "current")->generation == "now");
    CHECK(satveto::engine::catalog_named(state, "hist-x")->generation == "then");
    CHECK(satveto::engine::catalog_named(state, "hist-y") == nullptr);
}

TEST_CASE("swapping one historical catalog never disturbs readers of another", "[catalog_set]") {
    HistoricalCatalogs held;
    REQUIRE(held.store("stable", make_catalog("stable-0", 100)));
    REQUIRE(held.store("churn", make_catalog("churn-0", 1)));
    std::atomic<bool> stop{false};
    std::atomic<int> wrong{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&] {
            while (!stop.load()) {
                const auto s = held.find("stable");
                if (s == nullptr || s->generation != "stable-0" || s->objects != 100) wrong.fetch_add(1);
                const auto c = held.find("churn");
                // Either absent (dropped a moment ago) or a complete catalog: never torn.
                if (c != nullptr && c->generation != "churn-" + std::to_string(c->objects - 1)) wrong.fetch_add(1);
            }
        });
    }
    for (std::size_t i = 1; i < 2000; ++i) {
        REQUIRE(held.store("churn", make_catalog("churn-" + std::to_string(i), i + 1)));
        if (i % 7 == 0) held.drop("churn");
    }
    stop.store(true);
    for (auto& r : readers) r.join();
    CHECK(wrong.load() == 0);
}
