#include "daemon/notify.hpp"

#include "common/log.hpp"

#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace satveto::engine {
namespace {

// Parses a decimal environment variable; nullopt when unset or not a positive integer.
std::optional<unsigned long long> env_number(const char* name) {
    const char* text = std::getenv(name);
    if (text == nullptr || *text == '\0') return std::nullopt;
    unsigned long long value = 0;
    const char* end = text + std::strlen(text);
    const auto [stop, ec] = std::from_chars(text, end, value);
    if (ec != std::errc() || stop != end || value == 0) return std::nullopt;
    return value;
}

}  // namespace

bool notify_systemd(std::string_view state) {
    const char* target = std::getenv("NOTIFY_SOCKET");
    if (target == nullptr || *target == '\0') return false;
    const std::string path(target);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    // '@' names an abstract socket: its address starts with a NUL byte and is not terminated.
    if ((path[0] != '/' && path[0] != '@') || path.size() >= sizeof(addr.sun_path)) {
        common::log_warning("NOTIFY_SOCKET is not a usable socket address; systemd not notified");
        return false;
    }
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (path[0] == '@') addr.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '/' ? 1 : 0));

    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    ssize_t sent = -1;
    do {
        sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&addr), length);
    } while (sent < 0 && errno == EINTR);
    ::close(fd);
    return sent == static_cast<ssize_t>(state.size());
}

std::optional<std::chrono::microseconds> watchdog_timeout() {
    const auto usec = env_number("WATCHDOG_USEC");
    if (!usec) return std::nullopt;
    if (const auto pid = env_number("WATCHDOG_PID"); pid && *pid != static_cast<unsigned long long>(::getpid()))
        return std::nullopt;  // meant for another process (e.g. our parent)
    return std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(*usec));
}

WatchdogPinger::WatchdogPinger(std::optional<std::chrono::microseconds> timeout) {
    if (!timeout) return;
    const auto period = std::max(*timeout / 2, std::chrono::microseconds(1000));
    common::log_info("systemd watchdog enabled", {{"period_ms", std::to_string(period.count() / 1000)}});
    thread_ = std::jthread([this, period](std::stop_token stop) {
        std::unique_lock lock(mutex_);
        while (!stop.stop_requested()) {
            notify_systemd("WATCHDOG=1");
            wake_.wait_for(lock, stop, period, [] { return false; });
        }
    });
}

WatchdogPinger::~WatchdogPinger() {
    if (thread_.joinable()) {
        thread_.request_stop();  // wakes wait_for through the stop token
        thread_.join();
    }
}

}  // namespace satveto::engine
