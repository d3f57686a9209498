// build_catalog: good records load, bad ones are rejected one by one, the catalog is complete.
#include "methods/catalog_build.hpp"

#include <catch2/catch.hpp>
#include <msgpack.hpp>

#include <string>

namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void pack_record(Packer& p, std::int64_t id, const std::string& epoch, double mean_motion, double eccentricity) {
    p.pack_map(11);
    p.pack("NORAD_CAT_ID");
    p.pack(id);
    p.pack("EPOCH");
    p.pack(epoch);
    p.pack("MEAN_MOTION");
    p.pack(mean_motion);
    p.pack("ECCENTRICITY");
    p.pack(eccentricity);
    p.pack("INCLINATION");
    p.pack(53.0);
    p.pack("RA_OF_ASC_NODE");
    p.pack(10.0);
    p.pack("ARG_OF_PERICENTER");
    p.pack(20.0);
    p.pack("MEAN_ANOMALY");
    p.pack(30.0);
    p.pack("BSTAR");
    p.pack(1e-4);
    p.pack("MEAN_MOTION_DOT");
    p.pack(1e-5);
    p.pack("MEAN_MOTION_DDOT");
    p.pack(0.0);
}

}  // namespace

TEST_CASE("build_catalog keeps good records in order and rejects each bad one with a reason") {
    msgpack::sbuffer buffer;
    Packer p(buffer);
    p.pack_array(6);
    pack_record(p, 100001, "2026-11-20T12:00:00.000000", 15.1, 0.001);  // LEO, id beyond 5 digits
    pack_record(p, 2, "2026-11-19T00:00:00", 1.0027, 0.0002);           // GEO (deep space), oldest
    pack_record(p, 3, "2026-11-20T00:00:00", 15.0, 1.3);                // hyperbolic
    pack_record(p, 2, "2026-11-20T00:00:00", 15.0, 0.01);               // duplicate id
    pack_record(p, 5, "not a date", 15.0, 0.01);                        // bad epoch
    p.pack("not a record");
    const msgpack::object_handle handle = msgpack::unpack(buffer.data(), buffer.size());

    const satveto::engine::CatalogBuild build = satveto::engine::build_catalog(handle.get(), "gen-7", 1795240000.0, 2);
    REQUIRE(build.catalog != nullptr);
    const satveto::catalog::Catalog& catalog = *build.catalog;
    REQUIRE(catalog.objects == 2);
    REQUIRE(catalog.norad_ids == std::vector<std::int64_t>{100001, 2});
    REQUIRE(catalog.batch.size() == 2);
    REQUIRE(catalog.satellites[1].deep_space);
    REQUIRE_FALSE(catalog.satellites[0].deep_space);
    REQUIRE(catalog.generation == "gen-7");
    REQUIRE(catalog.fetched_at_unix == 1795240000.0);
    REQUIRE(catalog.oldest_epoch_mjd == Approx(61363.0).margin(1e-9));  // 2026-11-19 0h UTC

    REQUIRE(build.rejected.size() == 4);
    REQUIRE(build.rejected[0].norad_cat_id == 2);
    REQUIRE(build.rejected[0].reason == "objects[3].NORAD_CAT_ID: duplicate id");
    REQUIRE_FALSE(build.rejected[1].norad_cat_id.has_value());
    REQUIRE(build.rejected[1].reason == "objects[5]: expected a map");
    REQUIRE(build.rejected[2].norad_cat_id == 3);
    REQUIRE(build.rejected[2].reason.starts_with("objects[2]: "));
    REQUIRE(build.rejected[3].norad_cat_id == 5);
    REQUIRE(build.rejected[3].reason.starts_with("objects[4]: "));
    REQUIRE(build.rejected[3].reason.find("not a date") == std::string::npos);
}

TEST_CASE("build_catalog returns no catalog when nothing is valid") {
    msgpack::sbuffer buffer;
    Packer p(buffer);
    p.pack_array(1);
    pack_record(p, 9, "2026-11-20T00:00:00", -1.0, 0.01);
    const msgpack::object_handle handle = msgpack::unpack(buffer.data(), buffer.size());
    const auto build = satveto::engine::build_catalog(handle.get(), "g", 0.0, 1);
    REQUIRE(build.catalog == nullptr);
    REQUIRE(build.rejected.size() == 1);
}
