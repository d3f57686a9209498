#include "state/background_precompute.hpp"

#include <chrono>
#include <exception>
#include <utility>

namespace satveto::engine {

bool BackgroundPrecompute::Pending::failed() const {
    if (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return false;
    try {
        (void)result.get();
    } catch (...) {
        return true;
    }
    return false;
}

BackgroundPrecompute::BackgroundPrecompute() : worker_([this] { run(); }) {}

BackgroundPrecompute::~BackgroundPrecompute() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    worker_.join();
}

std::optional<BackgroundPrecompute::Pending> BackgroundPrecompute::find(std::uint64_t visit_id) const {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(visit_id);
    if (it == entries_.end()) return std::nullopt;
    return it->second.pending;
}

BackgroundPrecompute::Pending BackgroundPrecompute::submit(const matching::VisitParams& params, Job job) {
    std::unique_lock lock(mutex_);
    if (const auto it = entries_.find(params.visit_id); it != entries_.end()) {
        // A failed job is retried; anything else in force is the answer (the caller checks
        // its params: different ones are a conflict).  Waiting-free: failed() only looks.
        if (!it->second.pending.failed()) return it->second.pending;
    }
    Item item;
    item.visit_id = params.visit_id;
    item.generation = next_generation_++;
    item.job = std::move(job);
    Pending pending{params, item.promise.get_future().share()};
    entries_[params.visit_id] = Entry{pending, item.generation};
    queue_.push_back(std::move(item));
    lock.unlock();
    wake_.notify_one();
    return pending;
}

void BackgroundPrecompute::forget(std::uint64_t visit_id) {
    std::lock_guard lock(mutex_);
    entries_.erase(visit_id);
}

std::size_t BackgroundPrecompute::pending() const {
    std::lock_guard lock(mutex_);
    return queue_.size() + running_;
}

void BackgroundPrecompute::run() {
    for (;;) {
        Item item;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;  // queued promises break: their waiters get an error
            item = std::move(queue_.front());
            queue_.pop_front();
            const auto it = entries_.find(item.visit_id);
            if (it == entries_.end() || it->second.generation != item.generation) continue;  // forgotten
            ++running_;
        }
        bool succeeded = false;
        try {
            item.promise.set_value(item.job());
            succeeded = true;
        } catch (...) {
            // Kept for whoever waits: an error answer, never an allow list.
            item.promise.set_exception(std::current_exception());
        }
        std::lock_guard lock(mutex_);
        --running_;
        // The result is in the visit cache now; a failure stays until the visit is submitted again.
        const auto it = entries_.find(item.visit_id);
        if (succeeded && it != entries_.end() && it->second.generation == item.generation) entries_.erase(it);
    }
}

}  // namespace satveto::engine
