#include "state/visit_cache.hpp"

namespace satveto::engine {

std::shared_ptr<const matching::VisitTracks> VisitCache::find(std::uint64_t visit_id) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(visit_id);
    if (it == entries_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second.position);
    return it->second.visit;
}

std::shared_ptr<const matching::VisitTracks> VisitCache::insert(std::shared_ptr<const matching::VisitTracks> visit) {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = visit->params.visit_id;
    if (const auto it = entries_.find(id); it != entries_.end()) {
        order_.splice(order_.begin(), order_, it->second.position);
        return it->second.visit;
    }
    order_.push_front(id);
    entries_.emplace(id, Entry{visit, order_.begin()});
    while (entries_.size() > capacity_) {
        entries_.erase(order_.back());
        order_.pop_back();
        ++evictions_;
    }
    return visit;
}

bool VisitCache::erase(std::uint64_t visit_id) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(visit_id);
    if (it == entries_.end()) return false;
    order_.erase(it->second.position);
    entries_.erase(it);
    return true;
}

std::size_t VisitCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::uint64_t VisitCache::evictions() const {
    std::lock_guard lock(mutex_);
    return evictions_;
}

}  // namespace satveto::engine
