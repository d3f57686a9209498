#include "methods/time_params.hpp"

#include "methods/rpc_errors.hpp"

#include <vector>

namespace satveto::engine {
namespace {

constexpr std::uint32_t max_table_rows = 20000;  // finals2000A holds ~19,000 days since 1973

std::vector<double> column(const rpc::Params& table, std::string_view key) {
    const msgpack::object& a = table.require_array(key);
    if (a.via.array.size > max_table_rows) table.fail(key, "more than 20000 rows");
    std::vector<double> values(a.via.array.size);
    for (std::uint32_t i = 0; i < a.via.array.size; ++i)
        values[i] = rpc::as_double(a.via.array.ptr[i], rpc::indexed_name(table.name(key), i));
    return values;
}

}  // namespace

bool read_bool(const rpc::Params& params, std::string_view key) {
    const msgpack::object* value = params.find(key);
    if (value == nullptr || value->type != msgpack::type::BOOLEAN) params.fail(key, "expected true or false");
    return value->via.boolean;
}

frames::TimeScale read_time_scale(const rpc::Params& params) {
    const msgpack::object* value = params.find("time_scale");
    if (value == nullptr || value->type == msgpack::type::NIL) return frames::TimeScale::tai;
    if (value->type != msgpack::type::STR) params.fail("time_scale", "expected \"tai\" or \"utc\"");
    const auto scale = frames::parse_time_scale(std::string_view(value->via.str.ptr, value->via.str.size));
    if (!scale) params.fail("time_scale", "expected \"tai\" or \"utc\"");
    return *scale;
}

std::shared_ptr<const frames::EarthOrientation> read_earth_orientation(const rpc::Params& table) {
    table.reject_unknown({"mjd", "ut1_utc_s", "xp_arcsec", "yp_arcsec", "last_observed_mjd"});
    const std::vector<double> mjd = column(table, "mjd");
    const std::vector<double> ut1_utc = column(table, "ut1_utc_s");
    const std::vector<double> xp = column(table, "xp_arcsec");
    const std::vector<double> yp = column(table, "yp_arcsec");
    const double last_observed = table.has("last_observed_mjd") ? table.require_double("last_observed_mjd")
                                                                : (mjd.empty() ? 0.0 : mjd.back());
    auto built = std::make_shared<frames::EarthOrientation>();
    const std::string problem = frames::EarthOrientation::build(mjd, ut1_utc, xp, yp, last_observed, *built);
    if (!problem.empty())
        throw rpc::RpcError(rpc::code::invalid_params, table.name(problem));  // "earth_orientation.mjd[3]: ..."
    return built;
}

}  // namespace satveto::engine
