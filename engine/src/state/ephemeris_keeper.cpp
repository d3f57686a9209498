#include "state/ephemeris_keeper.hpp"

#include "common/log.hpp"
#include "frames/time_scales.hpp"

#include <chrono>

namespace satveto::engine {
namespace {

constexpr double behind_s = 300.0;  // grid starts this long before now (late visits, pads)
constexpr double ahead_s = 900.0;   // and ends this long after now
constexpr double lead_s = 480.0;    // rebuild when the end is closer than this
constexpr auto poll = std::chrono::seconds(20);

double now_mjd_tai() {
    const double unix_s = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    return frames::mjd_tai_from_utc(40587.0 + unix_s / 86400.0);  // the system clock counts UTC
}

}  // namespace

void EphemerisKeeper::start() {
    thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void EphemerisKeeper::stop() {
    if (thread_.joinable()) {
        thread_.request_stop();
        wake_.notify_all();
        thread_.join();
    }
}

void EphemerisKeeper::catalog_changed() {
    {
        std::lock_guard lock(mutex_);
        catalog_changed_ = true;
    }
    wake_.notify_all();
}

void EphemerisKeeper::run(std::stop_token stop) {
    while (!stop.stop_requested()) {
        const std::shared_ptr<const catalog::Catalog> catalog = state_.catalog();
        const std::shared_ptr<const MatchingSettings> settings = state_.matching();
        const std::shared_ptr<const KeptEphemeris> kept = current_.load();
        const double now = now_mjd_tai();
        const bool stale = kept == nullptr || kept->catalog != catalog ||
                           !kept->ephemeris.has_cones_for(settings->site, settings->earth_orientation.get()) ||
                           kept->ephemeris.time_of(kept->ephemeris.steps() - 1) - now < lead_s / 86400.0;
        if (catalog != nullptr && stale) {
            const auto started = std::chrono::steady_clock::now();
            auto next = std::make_shared<KeptEphemeris>();
            next->catalog = catalog;
            const auto steps = static_cast<std::size_t>((behind_s + ahead_s) / matching::coarse_step_s) + 1;
            next->settings = settings;
            next->ephemeris = matching::CoarseEphemeris::build(*catalog, now - behind_s / 86400.0,
                                                               matching::coarse_step_s, steps, 1);
            next->ephemeris.attach_cones(settings->site, settings->earth_orientation, 1);
            next->build_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
            current_.store(std::move(next));
            builds_ += 1;
        }
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, stop, poll, [this] { return catalog_changed_; });
        catalog_changed_ = false;
    }
}

}  // namespace satveto::engine
