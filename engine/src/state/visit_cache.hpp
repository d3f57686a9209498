// Precomputed visits, bounded in number, least recently used evicted first.
#pragma once

#include "matching/visit.hpp"

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace satveto::engine {

class VisitCache {
public:
    explicit VisitCache(std::size_t capacity) : capacity_(capacity) {}

    std::shared_ptr<const matching::VisitTracks> find(std::uint64_t visit_id);

    // Stores `visit` unless one with the same id is there already; returns the one in force
    // (which the caller compares for conflicting parameters).
    std::shared_ptr<const matching::VisitTracks> insert(std::shared_ptr<const matching::VisitTracks> visit);

    bool erase(std::uint64_t visit_id);
    std::size_t size() const;
    std::uint64_t evictions() const;

private:
    using Order = std::list<std::uint64_t>;  // most recently used first
    struct Entry {
        std::shared_ptr<const matching::VisitTracks> visit;
        Order::iterator position;
    };
    std::size_t capacity_;
    mutable std::mutex mutex_;
    Order order_;
    std::unordered_map<std::uint64_t, Entry> entries_;
    std::uint64_t evictions_ = 0;
};

}  // namespace satveto::engine
