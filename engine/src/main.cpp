// satveto-engine: holds the satellite catalog in memory and answers msgpack-RPC on a Unix
// socket.  main() only wires the parts together: flags, process hardening, the method table,
// the server, and the signal that ends it.
#include "common/log.hpp"
#include "daemon/hardening.hpp"
#include "daemon/notify.hpp"
#include "daemon/options.hpp"
#include "methods/services.hpp"
#include "rpc/dispatcher.hpp"
#include "rpc/method_table.hpp"
#include "rpc/unix_server.hpp"
#include "state/state.hpp"

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace {

using namespace satveto;

// Blocks SIGTERM/SIGINT in every thread (threads inherit the mask) and returns a signalfd
// that becomes readable when one arrives: shutdown is then an ordinary event in the accept
// loop, with no async-signal-safety concerns.
int shutdown_signal_fd() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    return signalfd(-1, &signals, SFD_CLOEXEC);
}

bool apply_hardening(bool require_mlock) {
    if (!engine::forbid_memory_dumps()) common::log_warning("could not disable core dumps");
    switch (engine::lock_memory()) {
        case engine::LockResult::locked: common::log_info("memory locked (mlockall)"); return true;
        case engine::LockResult::skipped_sanitizer:
            common::log_warning("memory not locked: sanitizer build (shadow memory cannot be locked)");
            return !require_mlock;
        case engine::LockResult::not_permitted:
        case engine::LockResult::failed:
            if (require_mlock) {
                common::log_error("memory cannot be locked and --require-mlock is set (grant CAP_IPC_LOCK)");
                return false;
            }
            common::log_warning("memory not locked: the process lacks CAP_IPC_LOCK; the catalog could be swapped out");
            return true;
    }
    return false;
}

int run(const engine::Options& options) {
    if (!apply_hardening(options.require_mlock)) return 1;
    const int stop_fd = shutdown_signal_fd();
    if (stop_fd < 0) {
        common::log_error("signalfd() failed");
        return 1;
    }

    const unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    std::set<uid_t> allowed = options.allowed_uids;
    if (allowed.empty()) allowed.insert(::geteuid());

    engine::EngineState state(threads);
    engine::EngineServices services(state, options.visit_cache_size);
    rpc::ConnectionCounters connections;
    rpc::Dispatcher dispatcher;
    rpc::register_methods(dispatcher, services, connections);
    services.keeper.start();

    rpc::ServerLimits limits;
    limits.max_message_bytes = options.max_message_bytes;
    limits.max_connections = options.max_connections;
    limits.socket_mode = options.socket_mode;
    rpc::UnixServer server(options.socket_path, allowed, limits, dispatcher, connections);
    server.listen();
    common::log_info("listening", {{"socket", options.socket_path},
                                   {"instance_id", state.instance_id()},
                                   {"threads", std::to_string(threads)},
                                   {"version", SATVETO_VERSION}});
    engine::WatchdogPinger watchdog(engine::watchdog_timeout());
    engine::notify_systemd("READY=1\nSTATUS=listening");
    server.serve(stop_fd);
    engine::notify_systemd("STOPPING=1");
    common::log_info("stopped", {{"socket", options.socket_path}});
    ::close(stop_fd);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    std::string error;
    const auto options = satveto::engine::parse_options(args, error);
    if (!options) {
        std::fprintf(stderr, "satveto-engine: %s\n\n%s", error.c_str(), satveto::engine::usage_text().c_str());
        return 2;
    }
    if (options->show_help) {
        std::fputs(satveto::engine::usage_text().c_str(), stdout);
        return 0;
    }
    if (options->show_version) {
        std::printf("satveto-engine %s\n", SATVETO_VERSION);
        return 0;
    }
    try {
        return run(*options);
    } catch (const std::exception& e) {
        satveto::common::log_error(e.what());
        return 1;
    }
}
