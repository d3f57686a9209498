// The historical catalogs the engine holds beside the current one.
//
// AP reprocessing old data must be matched against the elements of the data's own epoch, so
// the frontend loads a few catalogs built from space-track's history under names of its
// choosing ("hist-20261120T0500Z").  Each is immutable once built, like the current catalog;
// storing one under a name replaces the pointer in one step, so requests in flight keep the
// catalog they started with and no request sees a mix.  The frontend decides which to keep
// (LRU) and drops the others; the engine only enforces a hard ceiling on how many it holds.
#pragma once

#include "catalog/catalog.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace satveto::catalog {

// The name that designates the current catalog in `load_catalog` and `register_visit`.
inline constexpr std::string_view current_catalog_name = "current";
// Ceiling on historical catalogs held at once (the frontend's default is 4).
inline constexpr std::size_t max_historical_catalogs = 16;

class HistoricalCatalogs {
public:
    // The catalog stored under `name`, or null.
    std::shared_ptr<const Catalog> find(std::string_view name) const;

    // Stores (or replaces) `catalog` under `name`.  Returns false, storing nothing, when
    // `name` is new and the ceiling is reached.
    bool store(const std::string& name, std::shared_ptr<const Catalog> catalog);

    // Forgets `name`; true if it was held.  Visits registered against it keep their tracks.
    bool drop(std::string_view name);

    // Every (name, catalog) pair, ordered by name.
    std::vector<std::pair<std::string, std::shared_ptr<const Catalog>>> list() const;

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const Catalog>, std::less<>> catalogs_;
};

}  // namespace satveto::catalog
