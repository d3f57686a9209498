// The disclosure budget: a direct bound on what filter_sources answers reveal of the catalog,
// across every client and catalog (docs/design.md "Security model").
//
// An answer reveals an object in a visit when the object's corridor vetoes at least one of its
// sources (matching/veto.hpp, Revealed).  The budget counts the distinct (catalog, visit,
// object) pairs revealed in the last hour of monotonic time, each from its first revelation;
// a pair already counted costs nothing again (a repeat, another detector the same object
// crosses in the same visit).
//
// The rule: while the count is below the limit, answers are given and their new pairs counted;
// once it has reached the limit, every answer is refused and nothing is counted, until pairs
// fall out of the window.  The refusal depends only on what earlier answers revealed, never on
// what the refused request would reveal: a refusal decided on the request's own pairs would
// answer "does any new object cross these boxes?" for free, and a client could bisect a
// lattice with refusals alone.  So the count may pass the limit by the new pairs of the one
// answer that reaches it, and by no more.
//
// Memory: one entry per counted pair, and the count never passes the limit by more than one
// answer's pairs, so at most limit + (the largest answer) entries, each gone after an hour.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <span>
#include <string_view>
#include <unordered_set>

namespace satveto::engine {

// configure's `max_revealed_per_hour`: its default (also before any configure: fail-safe) and
// the largest value accepted.
inline constexpr std::uint64_t default_max_revealed_per_hour = 300;
inline constexpr std::uint64_t max_max_revealed_per_hour = 1'000'000;

// One object revealed in one visit of one catalog.
struct RevealedPair {
    std::uint64_t catalog = 0;  // catalog_key of the visit's catalog name
    std::uint64_t visit_id = 0;
    std::int64_t object = 0;  // NORAD id

    bool operator==(const RevealedPair&) const = default;
};

// A catalog name ("current", "hist-...") as a pair's key.  Two names sharing a key would only
// merge pairs of one visit id, and a visit id names one visit in one catalog at a time.
std::uint64_t catalog_key(std::string_view name);

class DisclosureBudget {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr Clock::duration window = std::chrono::hours(1);

    // True when an answer would be refused now (the count has reached `limit`), the refusal
    // then counted: a cheap look before the veto's work.  A false still leaves admit() to decide.
    bool refuses(Clock::time_point now, std::uint64_t limit);

    // Whether an answer revealing `pairs` may be given at `now`: if so its pairs not yet in the
    // window are counted; if not (the count has reached `limit`) nothing is counted and the
    // refusal is counted.  Thread-safe; the look and the count are one step.
    bool admit(std::span<const RevealedPair> pairs, Clock::time_point now, std::uint64_t limit);

    // Distinct pairs counted in the window ending at `now`.
    std::uint64_t revealed(Clock::time_point now) const;
    std::uint64_t refusals() const;

private:
    struct PairHash {
        std::size_t operator()(const RevealedPair& p) const;
    };
    struct Entry {
        Clock::time_point at;
        RevealedPair pair;
    };

    void forget_old(Clock::time_point now);  // with mutex_ held

    mutable std::mutex mutex_;
    std::unordered_set<RevealedPair, PairHash> counted_;
    std::deque<Entry> order_;  // counted_ in the order counted, times non-decreasing
    Clock::time_point latest_{};
    std::uint64_t refusals_ = 0;
};

}  // namespace satveto::engine
