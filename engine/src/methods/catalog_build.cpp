#include "methods/catalog_build.hpp"

#include "methods/omm_params.hpp"
#include "common/parallel.hpp"
#include "matching/coarse_ephemeris.hpp"
#include "methods/rpc_errors.hpp"

#include <algorithm>
#include <chrono>
#include <unordered_set>

namespace satveto::engine {
namespace {

struct Parsed {
    std::size_t index;  // position in the request, for messages
    sgp4::OmmElements omm;
};

std::string record_path(std::size_t index) { return rpc::indexed_name("objects", index); }

// The id of a record whose fields failed to parse, if its NORAD_CAT_ID at least is readable.
std::optional<std::int64_t> readable_id(const msgpack::object& record) {
    if (record.type != msgpack::type::MAP) return std::nullopt;
    const rpc::Params params(record);
    const msgpack::object* id = params.find("NORAD_CAT_ID");
    if (id != nullptr && id->type == msgpack::type::POSITIVE_INTEGER &&
        id->via.u64 <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(id->via.u64);
    return std::nullopt;
}

double unix_now() { return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(); }

}  // namespace

CatalogBuild build_catalog(const msgpack::object& objects, std::string generation, double fetched_at_unix,
                           unsigned threads) {
    CatalogBuild build;
    const std::uint32_t count = objects.via.array.size;

    // 1. Read every record's fields, in order, refusing duplicates of an id already read.
    std::vector<Parsed> parsed;
    parsed.reserve(count);
    std::unordered_set<std::int64_t> seen;
    for (std::uint32_t i = 0; i < count; ++i) {
        const msgpack::object& record = objects.via.array.ptr[i];
        try {
            sgp4::OmmElements omm = read_omm(rpc::Params(record, record_path(i)));
            if (!seen.insert(omm.norad_cat_id).second) {
                build.rejected.push_back({omm.norad_cat_id, record_path(i) + ".NORAD_CAT_ID: duplicate id"});
                continue;
            }
            parsed.push_back({i, std::move(omm)});
        } catch (const rpc::RpcError& error) {
            build.rejected.push_back({readable_id(record), error.what()});
        }
    }

    // 2. Initialise the propagator state of every record, in parallel.
    std::vector<std::optional<sgp4::Satellite>> satellites(parsed.size());
    std::vector<sgp4::ErrorCode> failures(parsed.size(), sgp4::ErrorCode::ok);
    common::parallel_for(parsed.size(), threads, [&](std::size_t begin, std::size_t end) {
        for (std::size_t k = begin; k < end; ++k) {
            sgp4::Expected<sgp4::Satellite> satellite = sgp4::init_satellite(parsed[k].omm);
            if (satellite) satellites[k] = std::move(satellite.value());
            else
                failures[k] = satellite.error().code;
        }
    });

    // 3. Keep the good ones in request order.
    auto catalog = std::make_shared<catalog::Catalog>();
    catalog->generation = std::move(generation);
    catalog->fetched_at_unix = fetched_at_unix;
    catalog->oldest_epoch_mjd = 0.0;
    for (std::size_t k = 0; k < parsed.size(); ++k) {
        if (!satellites[k]) {
            // describe() is a fixed sentence: the element values stay out of the reason.
            build.rejected.push_back({parsed[k].omm.norad_cat_id,
                                      record_path(parsed[k].index) + ": " + std::string(sgp4::describe(failures[k]))});
            continue;
        }
        const double epoch = satellites[k]->elements.epoch.mjd();
        catalog->oldest_epoch_mjd = catalog->satellites.empty() ? epoch : std::min(catalog->oldest_epoch_mjd, epoch);
        catalog->norad_ids.push_back(parsed[k].omm.norad_cat_id);
        catalog->epoch_mjd.push_back(epoch);
        catalog->slowest_speed_km_s.push_back(matching::slowest_speed_km_s(*satellites[k]));
        catalog->satellites.push_back(std::move(*satellites[k]));
    }
    if (catalog->satellites.empty()) return build;
    catalog->objects = catalog->satellites.size();
    catalog->batch = sgp4::SatelliteBatch(catalog->satellites);
    catalog->loaded_at_unix = unix_now();
    build.catalog = std::move(catalog);
    return build;
}

}  // namespace satveto::engine
