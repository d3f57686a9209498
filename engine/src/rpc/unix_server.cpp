#include "rpc/unix_server.hpp"

#include "common/log.hpp"
#include "methods/rpc_errors.hpp"
#include "rpc/framing.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace satveto::rpc {
namespace {

std::string errno_text() { return std::strerror(errno); }

sockaddr_un socket_address(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof(addr.sun_path))
        throw std::runtime_error("--socket: path longer than " + std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

// Whether some process accepts connections on the socket at `path`.
bool someone_listens(const sockaddr_un& addr) {
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0) return false;
    const bool live = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(probe);
    return live;
}

// Removes a stale socket left by a crashed engine; refuses to touch anything else.
void clear_stale_socket(const std::string& path, const sockaddr_un& addr) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return;
        throw std::runtime_error("--socket: cannot inspect " + path + ": " + errno_text());
    }
    if (!S_ISSOCK(st.st_mode))
        throw std::runtime_error("--socket: " + path + " exists and is not a socket; refusing to replace it");
    if (someone_listens(addr)) throw std::runtime_error("--socket: another process is listening on " + path);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        throw std::runtime_error("--socket: cannot remove stale socket " + path + ": " + errno_text());
    common::log_info("removed stale socket", {{"path", path}});
}

bool write_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

}  // namespace

UnixServer::UnixServer(std::string socket_path, std::set<uid_t> allowed_uids, ServerLimits limits,
                       const Dispatcher& dispatcher, ConnectionCounters& counters)
    : socket_path_(std::move(socket_path)),
      allowed_uids_(std::move(allowed_uids)),
      limits_(limits),
      dispatcher_(dispatcher),
      counters_(counters) {}

UnixServer::~UnixServer() {
    close_all_connections();
    if (listen_fd_ >= 0) ::close(listen_fd_);
}

void UnixServer::listen() {
    const sockaddr_un addr = socket_address(socket_path_);
    clear_stale_socket(socket_path_, addr);

    listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listen_fd_ < 0) throw std::runtime_error("socket(): " + errno_text());
    // The umask makes bind() create the file with its final mode from the start: no window in
    // which a wider mode lets another user connect, or a narrower one refuses the frontend.
    const mode_t previous_umask = ::umask(static_cast<mode_t>(~limits_.socket_mode & 0777));
    const int bound = ::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
    const int bind_errno = errno;
    ::umask(previous_umask);
    if (bound != 0) {
        errno = bind_errno;
        throw std::runtime_error("--socket: cannot bind " + socket_path_ + ": " + errno_text());
    }
    if (::chmod(socket_path_.c_str(), static_cast<mode_t>(limits_.socket_mode)) != 0)
        throw std::runtime_error("--socket: cannot chmod " + socket_path_ + ": " + errno_text());
    if (::listen(listen_fd_, 64) != 0) throw std::runtime_error("listen(): " + errno_text());
}

void UnixServer::serve(int stop_fd) {
    while (true) {
        pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd, POLLIN, 0}};
        const int ready = ::poll(fds, 2, 1000);
        if (ready < 0 && errno != EINTR) throw std::runtime_error("poll(): " + errno_text());
        if (fds[1].revents != 0) break;
        if (ready > 0 && (fds[0].revents & POLLIN)) accept_one();
        reap_finished();
    }
    ::close(listen_fd_);
    listen_fd_ = -1;
    ::unlink(socket_path_.c_str());
    close_all_connections();
}

void UnixServer::accept_one() {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;  // the peer gave up, or a transient error: the loop carries on

    ucred peer{};
    socklen_t len = sizeof(peer);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 || !allowed_uids_.contains(peer.uid)) {
        counters_.refused_peer += 1;
        common::log_warning("refused connection from a uid that is not allowed",
                            {{"uid", std::to_string(peer.uid)}, {"pid", std::to_string(peer.pid)}});
        ::close(fd);
        return;
    }
    std::lock_guard lock(connections_mutex_);
    if (connections_.size() >= limits_.max_connections) {
        counters_.refused_capacity += 1;
        common::log_warning("refused connection: too many connections",
                            {{"max_connections", std::to_string(limits_.max_connections)}});
        ::close(fd);
        return;
    }
    counters_.accepted += 1;
    counters_.active += 1;
    Connection& connection = connections_.emplace_back();
    connection.fd = fd;
    connection.thread = std::thread([this, &connection] { run_connection(connection); });
}

void UnixServer::run_connection(Connection& connection) {
    MessageFramer framer(limits_.max_message_bytes);
    std::vector<std::uint8_t> buffer;
    std::size_t filled = 0;
    constexpr std::size_t read_chunk = 64 * 1024;

    while (true) {
        if (buffer.size() < filled + read_chunk) buffer.resize(filled + read_chunk);
        const ssize_t n = ::recv(connection.fd, buffer.data() + filled, read_chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // peer closed (a truncated message just ends here), or shutdown
        filled += static_cast<std::size_t>(n);

        // Answer every complete message now in the buffer, in order.
        std::size_t consumed = 0;
        bool close_connection = false;
        while (consumed < filled) {
            const std::span<const std::uint8_t> pending(buffer.data() + consumed, filled - consumed);
            const MessageFramer::Status status = framer.scan(pending);
            if (status == MessageFramer::Status::need_more) break;
            if (status == MessageFramer::Status::complete) {
                const std::size_t size = framer.message_size();
                const msgpack::sbuffer reply = dispatcher_.handle(pending.first(size));
                framer.reset();
                consumed += size;
                if (!write_all(connection.fd, reply.data(), reply.size())) close_connection = true;
                if (close_connection) break;
                continue;
            }
            // A stream we cannot resynchronise: answer if we can address it, then hang up.
            counters_.protocol_errors += 1;
            const bool too_large = status == MessageFramer::Status::too_large;
            const msgpack::sbuffer reply = error_response(
                peek_request_msgid(pending), too_large ? code::message_too_large : code::invalid_request,
                too_large ? "message exceeds --max-message-bytes (" + std::to_string(limits_.max_message_bytes) + " bytes)"
                          : std::string("the bytes received are not a msgpack message"));
            write_all(connection.fd, reply.data(), reply.size());
            close_connection = true;
            break;
        }
        if (close_connection) break;
        if (consumed > 0) {
            std::memmove(buffer.data(), buffer.data() + consumed, filled - consumed);
            filled -= consumed;
        }
        // Do not keep a huge buffer alive after a huge message.
        if (filled == 0 && buffer.size() > 4 * read_chunk) {
            buffer.resize(read_chunk);
            buffer.shrink_to_fit();
        }
    }
    ::shutdown(connection.fd, SHUT_RDWR);
    counters_.active -= 1;
    connection.finished = true;
}

void UnixServer::reap_finished() {
    std::lock_guard lock(connections_mutex_);
    for (auto it = connections_.begin(); it != connections_.end();) {
        if (it->finished) {
            it->thread.join();
            ::close(it->fd);
            it = connections_.erase(it);
        } else {
            ++it;
        }
    }
}

void UnixServer::close_all_connections() {
    std::lock_guard lock(connections_mutex_);
    // shutdown() wakes a thread blocked in recv(); it finishes its current request first.
    for (Connection& c : connections_) ::shutdown(c.fd, SHUT_RDWR);
    for (Connection& c : connections_) {
        if (c.thread.joinable()) c.thread.join();
        ::close(c.fd);
    }
    connections_.clear();
}

}  // namespace satveto::rpc
