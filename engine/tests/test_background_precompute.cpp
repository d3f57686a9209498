// Background visit precomputes: results shared by waiters, failures kept as errors (never a
// result), resubmission after a failure, forgetting, and a clean stop with jobs still queued.
#include "state/background_precompute.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <thread>

using satveto::engine::BackgroundPrecompute;
using satveto::engine::TracksPtr;
using satveto::matching::VisitParams;
using satveto::matching::VisitTracks;

namespace {

VisitParams params(std::uint64_t id, double ra = 150.0) {
    VisitParams p;
    p.visit_id = id;
    p.exposure_start_mjd = 61000.0;
    p.exposure_end_mjd = 61000.0 + 30.0 / 86400.0;
    p.boresight_ra_deg = ra;
    p.boresight_dec_deg = -30.0;
    return p;
}

TracksPtr tracks_for(const VisitParams& p) {
    auto t = std::make_shared<VisitTracks>();
    t->params = p;
    return t;
}

}  // namespace

TEST_CASE("a job's result is shared by every waiter and it stops being pending") {
    BackgroundPrecompute background;
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    const auto pending = background.submit(params(1), [gate] {
        gate.wait();
        return tracks_for(params(1));
    });
    REQUIRE(pending.params == params(1));
    // Queued or running: found, not failed, and a second submit does not queue another job.
    REQUIRE(background.find(1).has_value());
    REQUIRE_FALSE(background.find(1)->failed());
    std::atomic<int> second_runs{0};
    const auto again = background.submit(params(1), [&second_runs] {
        ++second_runs;
        return tracks_for(params(1));
    });
    release.set_value();
    REQUIRE(pending.result.get()->params.visit_id == 1);
    REQUIRE(again.result.get() == pending.result.get());
    for (int i = 0; i < 1000 && background.find(1).has_value(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    REQUIRE_FALSE(background.find(1).has_value());
    REQUIRE(second_runs == 0);
    REQUIRE(background.pending() == 0);
}

TEST_CASE("a failed job keeps its error for waiters until the visit is submitted again") {
    BackgroundPrecompute background;
    const auto failing = background.submit(params(2), []() -> TracksPtr { throw std::runtime_error("no catalog"); });
    REQUIRE_THROWS_AS(failing.result.get(), std::runtime_error);
    const auto found = background.find(2);
    REQUIRE(found.has_value());
    REQUIRE(found->failed());
    REQUIRE_THROWS_WITH(found->result.get(), "no catalog");
    // Submitting again replaces the failure with a new job.
    const auto retried = background.submit(params(2), [] { return tracks_for(params(2)); });
    REQUIRE(retried.result.get()->params.visit_id == 2);
}

TEST_CASE("conflicting parameters see the entry in force; forget skips a queued job") {
    BackgroundPrecompute background;
    std::promise<void> release;
    std::shared_future<void> gate = release.get_future().share();
    background.submit(params(3), [gate] {
        gate.wait();
        return tracks_for(params(3));
    });
    const auto other = background.submit(params(3, 10.0), [] { return tracks_for(params(3, 10.0)); });
    REQUIRE(other.params == params(3));  // the caller compares and answers visit_conflict
    std::atomic<bool> ran{false};
    background.submit(params(4), [&ran] {
        ran = true;
        return tracks_for(params(4));
    });
    background.forget(4);
    REQUIRE_FALSE(background.find(4).has_value());
    release.set_value();
    background.submit(params(5), [] { return tracks_for(params(5)); }).result.get();  // after 4's turn
    REQUIRE_FALSE(ran);
}

TEST_CASE("stopping with jobs queued breaks their promises instead of hanging") {
    std::shared_future<TracksPtr> abandoned;
    std::promise<void> release;
    std::thread releaser;  // joined before `release` goes: set_value still touches it after waking job 6
    {
        BackgroundPrecompute background;
        std::shared_future<void> gate = release.get_future().share();
        background.submit(params(6), [gate] {
            gate.wait();
            return tracks_for(params(6));
        });
        abandoned = background.submit(params(7), [] { return tracks_for(params(7)); }).result;
        releaser = std::thread([&release] {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
            release.set_value();
        });
    }  // the destructor waits for job 6, then stops without running job 7
    releaser.join();
    REQUIRE_THROWS_AS(abandoned.get(), std::future_error);
}
