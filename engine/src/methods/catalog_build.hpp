// Builds a complete Catalog from the objects of a load_catalog request.
//
// Every record is validated on its own: a bad one is rejected with a reason and the rest
// load.  The result is a finished, immutable catalog ready to be swapped in; nothing of the
// engine's current state is touched here.
#pragma once

#include "catalog/catalog.hpp"

#include <msgpack.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace satveto::engine {

struct Rejection {
    std::optional<std::int64_t> norad_cat_id;  // absent when the record had no readable id
    std::string reason;                        // field and problem; never a value
};

struct CatalogBuild {
    std::shared_ptr<catalog::Catalog> catalog;  // null when no record was accepted
    std::vector<Rejection> rejected;
};

// `objects` must be a msgpack array.  Initialisation runs on up to `threads` threads.
CatalogBuild build_catalog(const msgpack::object& objects, std::string generation, double fetched_at_unix,
                           unsigned threads);

}  // namespace satveto::engine
