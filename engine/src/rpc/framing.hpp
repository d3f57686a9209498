// Finds the boundaries of msgpack messages in a byte stream, without decoding them.
//
// Why not hand the bytes straight to msgpack::unpacker?  msgpack-c allocates an array's
// storage as soon as it reads the array header, so a five-byte header claiming four
// billion elements would make it try to allocate ~100 GB before a single element arrived.
// The framer walks the message structure first, counting what each header promises, and
// only a message that is complete (so every promised element really is present) and within
// the size limit is ever given to msgpack-c.  It keeps its position between calls, so a
// large message arriving in many reads is scanned once, not once per read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace satveto::rpc {

class MessageFramer {
public:
    enum class Status {
        need_more,  // the message is not complete yet
        complete,   // message_size() bytes form one message
        too_large,  // the message is, or promises to be, longer than the limit
        malformed,  // a byte that no msgpack message may contain, or nesting too deep
    };

    static constexpr std::size_t max_depth = 32;

    explicit MessageFramer(std::size_t max_message_bytes);

    // Continues scanning `buffered`, which must start at the first byte of the current
    // message and may have grown since the previous call (earlier bytes unchanged).
    Status scan(std::span<const std::uint8_t> buffered);

    // Length of the completed message; valid after scan() returned `complete`.
    std::size_t message_size() const { return offset_; }

    // Forgets the current message; the next scan() starts a new one.
    void reset();

private:
    std::size_t max_message_bytes_;
    std::size_t offset_ = 0;           // bytes of the current message already walked
    std::uint64_t skip_ = 0;           // payload bytes (str/bin/ext) still to pass over
    std::vector<std::uint64_t> open_;  // items still expected at each open nesting level
    bool started_ = false;
};

// The msgid of a request whose first bytes are `[0, msgid, ...`, if those bytes are present
// and well formed.  Used to address an error reply to a message that is refused unread.
std::optional<std::uint32_t> peek_request_msgid(std::span<const std::uint8_t> prefix);

}  // namespace satveto::rpc
