// Batch propagation: one object at many instants, many objects at one instant.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

#include "sgp4/kernel.hpp"
#include "sgp4/sgp4.hpp"

namespace satveto::sgp4 {

namespace {

using detail::LaneBlock;
using detail::lanes;

// Runs work(part) for part in [0, parts), each on its own std::jthread except
// part 0, which the calling thread does itself.
template <class Work>
void run_parts(std::size_t parts, const Work& work) {
    std::vector<std::jthread> helpers;
    helpers.reserve(parts > 0 ? parts - 1 : 0);
    for (std::size_t p = 1; p < parts; ++p) helpers.emplace_back([&work, p] { work(p); });
    work(std::size_t{0});
}  // the jthreads join here

// [begin, end) of part `part` when `total` items are dealt out in whole granules.
std::pair<std::size_t, std::size_t> share(std::size_t total, std::size_t granule, std::size_t parts, std::size_t part) {
    const std::size_t granules = (total + granule - 1) / granule;
    const std::size_t per_part = (granules + parts - 1) / parts;
    return {std::min(total, part * per_part * granule), std::min(total, (part + 1) * per_part * granule)};
}

// At most one part per block of lanes: tiny requests do not pay for threads.
std::size_t usable_parts(std::size_t items, unsigned threads) {
    const std::size_t blocks = (items + lanes - 1) / lanes;
    return std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(blocks, 1));
}

StateVector invalid_time_state() {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    return StateVector{{nan, nan, nan}, {nan, nan, nan}, ErrorCode::invalid_time};
}

// Sanitises a lane's time: the kernels must not see NaN/inf (they would just give
// NaN, but the error must say why). Returns false when the time is invalid.
bool set_time(LaneBlock& block, std::size_t lane, double minutes) {
    const bool valid = std::isfinite(minutes);
    block.tsince[lane] = valid ? minutes : 0.0;
    return valid;
}

}  // namespace

void propagate_times(const Satellite& satellite, std::span<const double> minutes, std::span<StateVector> out,
                     unsigned threads) {
    const std::size_t n = std::min(minutes.size(), out.size());
    for (std::size_t i = n; i < out.size(); ++i) out[i] = invalid_time_state();

    const std::size_t parts = usable_parts(n, threads);
    run_parts(parts, [&](std::size_t part) {
        const auto [begin, end] = share(n, lanes, parts, part);
        LaneBlock block;
        bool valid[lanes];
        for (std::size_t first = begin; first < end; first += lanes) {
            block.count = std::min(lanes, end - first);
            for (std::size_t j = 0; j < block.count; ++j) valid[j] = set_time(block, j, minutes[first + j]);
            detail::propagate_block_single(satellite, block);
            for (std::size_t j = 0; j < block.count; ++j) {
                out[first + j] = valid[j] ? detail::lane_state(block, j) : invalid_time_state();
            }
        }
    });
}

SatelliteBatch::SatelliteBatch(std::span<const Satellite> satellites) : count_(satellites.size()) {
    for (std::size_t i = 0; i < satellites.size(); ++i) {
        const Satellite& sat = satellites[i];
        if (sat.deep_space) {
            deep_.push_back(sat);
            deep_output_index_.push_back(i);
            continue;
        }
        for (std::size_t k = 0; k < detail::term::count; ++k) near_.term[k].push_back(sat.terms[k]);
        near_.epoch_mjd_day.push_back(sat.elements.epoch.mjd_day);
        near_.epoch_day_fraction.push_back(sat.elements.epoch.day_fraction);
        near_.output_index.push_back(i);
    }
}

void SatelliteBatch::propagate_near_range(std::size_t begin, std::size_t end, std::int64_t mjd_day, double day_fraction,
                                          std::span<StateVector> out) const {
    LaneBlock block;
    bool valid[lanes];
    for (std::size_t first = begin; first < end; first += lanes) {
        const std::size_t count = std::min(lanes, end - first);
        block.count = count;
        for (std::size_t k = 0; k < detail::term::count; ++k) {
            std::memcpy(block.term[k], near_.term[k].data() + first, count * sizeof(double));
        }
        for (std::size_t j = 0; j < count; ++j) {
            const double minutes = detail::minutes_between(near_.epoch_mjd_day[first + j],
                                                           near_.epoch_day_fraction[first + j], mjd_day, day_fraction);
            valid[j] = set_time(block, j, minutes);
        }
        detail::secular_near_earth(block);
        detail::periodics_and_position(block);
        for (std::size_t j = 0; j < count; ++j) {
            out[near_.output_index[first + j]] = valid[j] ? detail::lane_state(block, j) : invalid_time_state();
        }
    }
}

void SatelliteBatch::propagate_deep_range(std::size_t first, std::size_t stride, std::int64_t mjd_day,
                                          double day_fraction, std::span<StateVector> out) const {
    // Lunar-solar and resonance terms are scalar per object; the periodic stage then
    // runs over a block of different objects.
    LaneBlock block;
    bool valid[lanes];
    std::size_t object_of_lane[lanes];
    auto flush = [&] {
        detail::periodics_and_position(block);
        for (std::size_t j = 0; j < block.count; ++j) {
            out[deep_output_index_[object_of_lane[j]]] = valid[j] ? detail::lane_state(block, j) : invalid_time_state();
        }
        block.count = 0;
    };
    block.count = 0;
    for (std::size_t k = first; k < deep_.size(); k += stride) {
        const Satellite& sat = deep_[k];
        const std::size_t lane = block.count++;
        object_of_lane[lane] = k;
        valid[lane] = set_time(block, lane, minutes_since_epoch(sat, mjd_day, day_fraction));
        detail::deep_space_mean_elements(sat, block, lane);
        if (block.count == lanes) flush();
    }
    if (block.count > 0) flush();
}

void SatelliteBatch::propagate_at(std::int64_t mjd_day, double day_fraction, std::span<StateVector> out,
                                  unsigned threads) const {
    if (out.size() < count_) {
        std::fill(out.begin(), out.end(), invalid_time_state());
        return;
    }
    // Each thread takes a contiguous share of the near-Earth objects and every parts-th
    // deep-space object: the cost of the latter varies a lot (resonant orbits integrate),
    // and similar orbits tend to sit next to each other in a catalog.
    const std::size_t near_count = near_.output_index.size();
    const std::size_t deep_count = deep_.size();
    const std::size_t parts = usable_parts(near_count + deep_count * lanes, threads);
    run_parts(parts, [&](std::size_t part) {
        const auto [near_begin, near_end] = share(near_count, lanes, parts, part);
        propagate_near_range(near_begin, near_end, mjd_day, day_fraction, out);
        propagate_deep_range(part, parts, mjd_day, day_fraction, out);
    });
}

void SatelliteBatch::propagate_at(double mjd_utc, std::span<StateVector> out, unsigned threads) const {
    constexpr double max_mjd = 1.0e9;
    if (!(std::fabs(mjd_utc) <= max_mjd)) {
        std::fill(out.begin(), out.end(), invalid_time_state());
        return;
    }
    const double day = std::floor(mjd_utc);
    propagate_at(static_cast<std::int64_t>(day), mjd_utc - day, out, threads);
}

}  // namespace satveto::sgp4
