// The engine's listening Unix stream socket and its connections.
//
// One thread per connection: the frontend keeps a handful of connections open and the
// requests on one connection are answered in order, so a thread each is the simplest design
// that lets several clients work at once.  Heavy methods parallelise internally.
//
// Safety rules this class owns:
//  * the socket is created with its final mode, 0600 or 0660 (umask set around bind, then chmod);
//  * an existing file at the path is replaced only when it is a socket nobody listens on;
//  * every peer is checked with SO_PEERCRED against the allowed uids before a byte is read;
//  * a connection that sends garbage, a truncated message, or a message over the size limit
//    is closed (after an error reply where one can be addressed); others carry on.
#pragma once

#include "rpc/dispatcher.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <sys/types.h>

namespace satveto::rpc {

struct ServerLimits {
    std::size_t max_message_bytes = 256u * 1024u * 1024u;
    std::size_t max_connections = 64;
    unsigned socket_mode = 0600;  // 0660 lets the engine's group connect (the uid check still applies)
};

struct ConnectionCounters {
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> refused_peer{0};      // uid not allowed
    std::atomic<std::uint64_t> refused_capacity{0};  // over max_connections
    std::atomic<std::uint64_t> protocol_errors{0};   // garbage, oversize: connection closed
    std::atomic<std::uint64_t> active{0};
};

class UnixServer {
public:
    // `counters` is shared with the stats method and must outlive the server.
    UnixServer(std::string socket_path, std::set<uid_t> allowed_uids, ServerLimits limits, const Dispatcher& dispatcher,
               ConnectionCounters& counters);
    ~UnixServer();
    UnixServer(const UnixServer&) = delete;
    UnixServer& operator=(const UnixServer&) = delete;

    // Creates the socket.  Throws std::runtime_error with a readable reason on failure.
    void listen();

    // Accepts connections until `stop_fd` becomes readable (the signal pipe), then closes
    // the listener, removes the socket file, and waits for every connection to end.
    void serve(int stop_fd);

private:
    struct Connection {
        int fd = -1;
        std::atomic<bool> finished{false};
        std::thread thread;
    };

    void accept_one();
    void run_connection(Connection& connection);
    void reap_finished();
    void close_all_connections();

    std::string socket_path_;
    std::set<uid_t> allowed_uids_;
    ServerLimits limits_;
    const Dispatcher& dispatcher_;
    int listen_fd_ = -1;
    ConnectionCounters& counters_;
    std::mutex connections_mutex_;
    std::list<Connection> connections_;
};

}  // namespace satveto::rpc
