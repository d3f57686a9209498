#include "methods/catalog_params.hpp"

#include "catalog/catalog_set.hpp"

namespace satveto::engine {

std::string read_catalog_name(const rpc::Params& params) {
    if (!params.has("catalog")) return std::string(catalog::current_catalog_name);
    std::string name = params.require_string("catalog");
    if (name.empty() || name.size() > 64) params.fail("catalog", "must have 1 to 64 characters");
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == ':' || c == '-';
        if (!ok) params.fail("catalog", "only letters, digits and . _ : - are allowed");
    }
    return name;
}

}  // namespace satveto::engine
