#include "rpc/framing.hpp"

namespace satveto::rpc {
namespace {

// Big-endian unsigned integer of `width` bytes at `p`.
std::uint64_t read_be(const std::uint8_t* p, std::size_t width) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < width; ++i) value = (value << 8) | p[i];
    return value;
}

// What one msgpack header says: its own length, the payload bytes that follow it, and how
// many nested items (array elements, or map keys plus values) it opens.
struct Header {
    std::size_t header_bytes = 1;         // including any length field
    std::size_t length_bytes = 0;         // width of the big-endian length field, read afterwards
    std::uint64_t payload = 0;            // fixed payload bytes beyond the length field's value
    std::uint64_t children_per_unit = 0;  // 1 for arrays, 2 for maps, 0 otherwise
    bool length_is_payload = false;       // str/bin/ext: the length field counts payload bytes
    bool valid = true;
};

Header describe(std::uint8_t b) {
    Header h;
    if (b <= 0x7f || b >= 0xe0) return h;  // fixint
    if (b >= 0x80 && b <= 0x8f) {
        h.children_per_unit = 2;
        return h;
    }  // fixmap
    if (b >= 0x90 && b <= 0x9f) {
        h.children_per_unit = 1;
        return h;
    }  // fixarray
    if (b >= 0xa0 && b <= 0xbf) {
        h.payload = b & 0x1f;
        return h;
    }  // fixstr
    switch (b) {
        case 0xc0:
        case 0xc2:
        case 0xc3: return h;  // nil, false, true
        case 0xc4:
            h.length_bytes = 1;
            h.length_is_payload = true;
            break;  // bin8
        case 0xc5:
            h.length_bytes = 2;
            h.length_is_payload = true;
            break;
        case 0xc6:
            h.length_bytes = 4;
            h.length_is_payload = true;
            break;
        case 0xc7:
            h.length_bytes = 1;
            h.length_is_payload = true;
            h.payload = 1;
            break;  // ext8 (+type)
        case 0xc8:
            h.length_bytes = 2;
            h.length_is_payload = true;
            h.payload = 1;
            break;
        case 0xc9:
            h.length_bytes = 4;
            h.length_is_payload = true;
            h.payload = 1;
            break;
        case 0xca: h.payload = 4; break;  // float32
        case 0xcb: h.payload = 8; break;  // float64
        case 0xcc:
        case 0xd0: h.payload = 1; break;
        case 0xcd:
        case 0xd1: h.payload = 2; break;
        case 0xce:
        case 0xd2: h.payload = 4; break;
        case 0xcf:
        case 0xd3: h.payload = 8; break;
        case 0xd4: h.payload = 2; break;  // fixext1 (+type)
        case 0xd5: h.payload = 3; break;
        case 0xd6: h.payload = 5; break;
        case 0xd7: h.payload = 9; break;
        case 0xd8: h.payload = 17; break;
        case 0xd9:
            h.length_bytes = 1;
            h.length_is_payload = true;
            break;  // str8
        case 0xda:
            h.length_bytes = 2;
            h.length_is_payload = true;
            break;
        case 0xdb:
            h.length_bytes = 4;
            h.length_is_payload = true;
            break;
        case 0xdc:
            h.length_bytes = 2;
            h.children_per_unit = 1;
            break;  // array16
        case 0xdd:
            h.length_bytes = 4;
            h.children_per_unit = 1;
            break;
        case 0xde:
            h.length_bytes = 2;
            h.children_per_unit = 2;
            break;  // map16
        case 0xdf:
            h.length_bytes = 4;
            h.children_per_unit = 2;
            break;
        default: h.valid = false;  // 0xc1 is never used
    }
    h.header_bytes = 1 + h.length_bytes;
    return h;
}

// Items opened by a fix-size container header (whose count lives in the type byte).
std::uint64_t fixed_container_count(std::uint8_t b) {
    if (b >= 0x80 && b <= 0x8f) return b & 0x0f;
    if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
    return 0;
}

}  // namespace

MessageFramer::MessageFramer(std::size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

void MessageFramer::reset() {
    offset_ = 0;
    skip_ = 0;
    open_.clear();
    started_ = false;
}

MessageFramer::Status MessageFramer::scan(std::span<const std::uint8_t> buffered) {
    if (!started_) {
        open_.assign(1, 1);  // one top-level item
        started_ = true;
    }
    while (true) {
        if (skip_ > 0) {
            const std::uint64_t available = buffered.size() - offset_;
            const std::uint64_t step = skip_ < available ? skip_ : available;
            offset_ += static_cast<std::size_t>(step);
            skip_ -= step;
            if (skip_ > 0) return Status::need_more;
        }
        // Close every level whose items have all been read.
        while (!open_.empty() && open_.back() == 0) open_.pop_back();
        if (open_.empty()) return Status::complete;
        if (offset_ > max_message_bytes_) return Status::too_large;
        if (offset_ >= buffered.size()) return Status::need_more;

        const std::uint8_t type = buffered[offset_];
        const Header h = describe(type);
        if (!h.valid) return Status::malformed;
        if (buffered.size() - offset_ < h.header_bytes) return Status::need_more;

        std::uint64_t length = h.length_bytes ? read_be(&buffered[offset_ + 1], h.length_bytes)
                                              : fixed_container_count(type);
        offset_ += h.header_bytes;
        open_.back() -= 1;

        if (h.children_per_unit > 0) {
            const std::uint64_t children = length * h.children_per_unit;
            // Every promised item takes at least one byte: refuse early what cannot fit.
            if (children > max_message_bytes_ || offset_ + children > max_message_bytes_) return Status::too_large;
            if (children > 0) {
                if (open_.size() >= max_depth) return Status::malformed;
                open_.push_back(children);
            }
        } else {
            skip_ = h.payload + (h.length_is_payload ? length : 0);
            if (skip_ > max_message_bytes_ || offset_ + skip_ > max_message_bytes_) return Status::too_large;
        }
    }
}

std::optional<std::uint32_t> peek_request_msgid(std::span<const std::uint8_t> prefix) {
    // fixarray of 4, then the positive fixint 0 (request type), then the msgid.
    if (prefix.size() < 3 || prefix[0] != 0x94 || prefix[1] != 0x00) return std::nullopt;
    const std::uint8_t b = prefix[2];
    if (b <= 0x7f) return b;
    std::size_t width = 0;
    if (b == 0xcc) width = 1;
    else if (b == 0xcd)
        width = 2;
    else if (b == 0xce)
        width = 4;
    else
        return std::nullopt;
    if (prefix.size() < 3 + width) return std::nullopt;
    return static_cast<std::uint32_t>(read_be(&prefix[3], width));
}

}  // namespace satveto::rpc
