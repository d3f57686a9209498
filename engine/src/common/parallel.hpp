// Splits [0, count) into contiguous ranges run on up to `threads` threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace satveto::common {

// Calls body(begin, end) for disjoint ranges covering [0, count); the calling thread takes
// the first range.  Ranges smaller than `min_chunk` are not worth a thread.
template <typename Body>
void parallel_for(std::size_t count, unsigned threads, Body&& body, std::size_t min_chunk = 256) {
    const std::size_t useful = std::max<std::size_t>(1, count / std::max<std::size_t>(1, min_chunk));
    const std::size_t workers = std::min<std::size_t>(std::max(1u, threads), useful);
    if (workers <= 1) {
        body(std::size_t{0}, count);
        return;
    }
    const std::size_t chunk = (count + workers - 1) / workers;
    std::vector<std::jthread> pool;
    pool.reserve(workers - 1);
    for (std::size_t w = 1; w < workers; ++w) {
        const std::size_t begin = std::min(count, w * chunk);
        const std::size_t end = std::min(count, begin + chunk);
        pool.emplace_back([&body, begin, end] { body(begin, end); });
    }
    body(std::size_t{0}, std::min(count, chunk));
}  // the jthreads join here

}  // namespace satveto::common
