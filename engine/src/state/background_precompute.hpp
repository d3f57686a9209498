// Visit precomputes run in the background, so that register_visit answers in a time that does
// not depend on how busy the visit's field is (docs/design.md "Security model": no timing signal).
//
// One worker thread takes the jobs in order (the precompute itself is parallel inside).  A
// job's result is shared by everyone who waits for it; a job that failed keeps its error, so a
// DIASource request for that visit gets the error (never an allow list) until the visit is
// registered again.
#pragma once

#include "matching/visit.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace satveto::engine {

using TracksPtr = std::shared_ptr<const matching::VisitTracks>;

class BackgroundPrecompute {
public:
    using Job = std::function<TracksPtr()>;

    // A visit queued, being computed, or failed: its parameters and its result to wait for.
    struct Pending {
        matching::VisitParams params;
        std::shared_future<TracksPtr> result;

        // True when the job ended with an error (waiting would rethrow it at once).
        bool failed() const;
    };

    // Starts the worker thread.
    BackgroundPrecompute();
    // Stops the worker after its current job and joins it; jobs still queued are abandoned,
    // and whoever waits for them gets an error (std::future_error, broken promise).
    ~BackgroundPrecompute();
    BackgroundPrecompute(const BackgroundPrecompute&) = delete;
    BackgroundPrecompute& operator=(const BackgroundPrecompute&) = delete;

    // The pending entry of `visit_id`, if any.  A finished successful job is no longer
    // pending (its result is in the visit cache: the job put it there).
    std::optional<Pending> find(std::uint64_t visit_id) const;

    // Queues `job` for `params` and returns its entry.  If the visit is already queued or
    // being computed, nothing is queued and the entry in force is returned (the caller
    // compares its params); a failed entry is replaced by the new job.
    Pending submit(const matching::VisitParams& params, Job job);

    // Forgets the entry of `visit_id` (drop_visit): a job still to run is skipped, one
    // running finishes but is not waited for by newcomers.
    void forget(std::uint64_t visit_id);

    // Jobs queued or running (for stats).
    std::size_t pending() const;

private:
    struct Item {
        std::uint64_t visit_id = 0;
        std::uint64_t generation = 0;
        Job job;
        std::promise<TracksPtr> promise;
    };
    struct Entry {
        Pending pending;
        std::uint64_t generation = 0;
    };

    void run();

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Item> queue_;
    std::unordered_map<std::uint64_t, Entry> entries_;
    std::uint64_t next_generation_ = 1;
    std::size_t running_ = 0;
    bool stopping_ = false;
    std::thread worker_;  // last: started once everything above exists
};

}  // namespace satveto::engine
