// systemd service notification (sd_notify protocol) without libsystemd.
//
// Under `Type=notify` systemd passes $NOTIFY_SOCKET, a Unix datagram socket (a path, or an
// abstract name written with a leading '@'); the service sends newline-separated `KEY=VALUE`
// states to it: READY=1 once it serves, WATCHDOG=1 keep-alives when $WATCHDOG_USEC is set,
// STOPPING=1 when it begins to shut down.  Outside systemd every call is a no-op.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

namespace satveto::engine {

// Sends one notification (e.g. "READY=1\nSTATUS=listening") to $NOTIFY_SOCKET.  Returns true
// when it was sent, false when there is no $NOTIFY_SOCKET or sending failed (never throws:
// notification trouble must not stop the engine).
bool notify_systemd(std::string_view state);

// The keep-alive period systemd expects, from $WATCHDOG_USEC (when $WATCHDOG_PID is unset or
// names this process); nullopt when no watchdog is requested.
std::optional<std::chrono::microseconds> watchdog_timeout();

// Sends WATCHDOG=1 from its own thread every `timeout / 2` while it lives; does nothing when
// constructed with nullopt.  The destructor stops the thread promptly.
class WatchdogPinger {
public:
    explicit WatchdogPinger(std::optional<std::chrono::microseconds> timeout);
    ~WatchdogPinger();
    WatchdogPinger(const WatchdogPinger&) = delete;
    WatchdogPinger& operator=(const WatchdogPinger&) = delete;

private:
    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::jthread thread_;  // last: started after the members it uses exist
};

}  // namespace satveto::engine
