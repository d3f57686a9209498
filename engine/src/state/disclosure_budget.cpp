#include "state/disclosure_budget.hpp"

#include <algorithm>
#include <functional>

namespace satveto::engine {
namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
    // splitmix64's finaliser over a running combination: consecutive visit ids and NORAD ids
    // spread over the table.
    h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBULL;
    return h ^ (h >> 31);
}

}  // namespace

std::uint64_t catalog_key(std::string_view name) { return std::hash<std::string_view>{}(name); }

std::size_t DisclosureBudget::PairHash::operator()(const RevealedPair& p) const {
    return static_cast<std::size_t>(mix(mix(p.catalog, p.visit_id), static_cast<std::uint64_t>(p.object)));
}

void DisclosureBudget::forget_old(Clock::time_point now) {
    // The clock is monotonic, but callers read it before taking the lock: an earlier `now`
    // than one already seen is taken as that one, so the times in order_ never decrease.
    latest_ = std::max(latest_, now);
    while (!order_.empty() && order_.front().at + window <= latest_) {
        counted_.erase(order_.front().pair);
        order_.pop_front();
    }
}

bool DisclosureBudget::refuses(Clock::time_point now, std::uint64_t limit) {
    const std::lock_guard lock(mutex_);
    forget_old(now);
    if (counted_.size() < limit) return false;
    ++refusals_;
    return true;
}

bool DisclosureBudget::admit(std::span<const RevealedPair> pairs, Clock::time_point now, std::uint64_t limit) {
    const std::lock_guard lock(mutex_);
    forget_old(now);
    if (counted_.size() >= limit) {
        ++refusals_;
        return false;
    }
    for (const RevealedPair& pair : pairs)
        if (counted_.insert(pair).second) order_.push_back({latest_, pair});
    return true;
}

std::uint64_t DisclosureBudget::revealed(Clock::time_point now) const {
    const std::lock_guard lock(mutex_);
    // order_ holds one entry per counted pair, oldest first: those still in the window are the
    // tail after the first one within it.
    const Clock::time_point at = std::max(latest_, now);
    const auto first_kept = std::partition_point(order_.begin(), order_.end(),
                                                 [&](const Entry& e) { return e.at + window <= at; });
    return static_cast<std::uint64_t>(order_.end() - first_kept);
}

std::uint64_t DisclosureBudget::refusals() const {
    const std::lock_guard lock(mutex_);
    return refusals_;
}

}  // namespace satveto::engine
