#include "methods/methods.hpp"

#include "methods/element_states.hpp"

#include <array>
#include <cstdint>
#include <vector>

namespace satveto::engine {
namespace {

void pack_vector_or_nil(rpc::ResultPacker& out, const std::array<double, 3>& xyz, bool valid) {
    if (!valid) {
        out.pack_nil();
        return;
    }
    out.pack_array(3);
    for (double c : xyz) out.pack_double(c);
}

}  // namespace

void propagate(const rpc::Params& params, rpc::ResultPacker& out) {
    std::vector<double> mjds;
    const std::vector<sgp4::StateVector> states = states_for(params, mjds);
    const auto n = static_cast<std::uint32_t>(states.size());

    out.pack_map(3);
    out.pack("r_km");
    out.pack_array(n);
    for (const auto& s : states) pack_vector_or_nil(out, s.r_km, s.error == sgp4::ErrorCode::ok);
    out.pack("v_km_s");
    out.pack_array(n);
    for (const auto& s : states) pack_vector_or_nil(out, s.v_km_s, s.error == sgp4::ErrorCode::ok);
    out.pack("errors");
    out.pack_array(n);
    for (const auto& s : states) out.pack(static_cast<int>(s.error));
}

}  // namespace satveto::engine
