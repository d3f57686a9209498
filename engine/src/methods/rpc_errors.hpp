// The error half of a msgpack-RPC response: {"code": str, "message": str}.
//
// Handlers report failure by throwing RpcError; the dispatcher (rpc/dispatcher.hpp) turns it
// (and any other exception) into an error response, so no exception ever crosses the RPC
// boundary.  It sits with the methods, which throw it, below the transport that catches it.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace satveto::rpc {

// Error codes of the protocol (protocol/README.md lists when each is used).
namespace code {
inline constexpr std::string_view invalid_request = "invalid_request";
inline constexpr std::string_view unknown_method = "unknown_method";
inline constexpr std::string_view invalid_params = "invalid_params";
inline constexpr std::string_view message_too_large = "message_too_large";
inline constexpr std::string_view no_catalog = "no_catalog";
inline constexpr std::string_view unknown_visit = "unknown_visit";
inline constexpr std::string_view visit_conflict = "visit_conflict";
inline constexpr std::string_view disclosure_budget_exhausted = "disclosure_budget_exhausted";
inline constexpr std::string_view resource_exhausted = "resource_exhausted";
inline constexpr std::string_view internal = "internal";
}  // namespace code

class RpcError : public std::runtime_error {
public:
    RpcError(std::string_view code, const std::string& message) : std::runtime_error(message), code_(code) {}
    const std::string& code() const { return code_; }

private:
    std::string code_;
};

}  // namespace satveto::rpc
