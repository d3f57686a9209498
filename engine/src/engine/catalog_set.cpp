#include "engine/catalog_set.hpp"

#include "engine/state.hpp"

namespace satveto::engine {

std::shared_ptr<const Catalog> HistoricalCatalogs::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    const auto it = catalogs_.find(name);
    return it == catalogs_.end() ? nullptr : it->second;
}

bool HistoricalCatalogs::store(const std::string& name, std::shared_ptr<const Catalog> catalog) {
    std::lock_guard lock(mutex_);
    const auto it = catalogs_.find(name);
    if (it != catalogs_.end()) {
        it->second = std::move(catalog);
        return true;
    }
    if (catalogs_.size() >= max_historical_catalogs) return false;
    catalogs_.emplace(name, std::move(catalog));
    return true;
}

bool HistoricalCatalogs::drop(std::string_view name) {
    std::shared_ptr<const Catalog> released;  // destroyed outside the lock: it may be large
    {
        std::lock_guard lock(mutex_);
        const auto it = catalogs_.find(name);
        if (it == catalogs_.end()) return false;
        released = std::move(it->second);
        catalogs_.erase(it);
    }
    return true;
}

std::vector<std::pair<std::string, std::shared_ptr<const Catalog>>> HistoricalCatalogs::list() const {
    std::lock_guard lock(mutex_);
    return {catalogs_.begin(), catalogs_.end()};
}

std::string read_catalog_name(const rpc::Params& params) {
    if (!params.has("catalog")) return std::string(current_catalog_name);
    std::string name = params.require_string("catalog");
    if (name.empty() || name.size() > 64) params.fail("catalog", "must have 1 to 64 characters");
    for (const char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == ':' || c == '-';
        if (!ok) params.fail("catalog", "only letters, digits and . _ : - are allowed");
    }
    return name;
}

std::shared_ptr<const Catalog> catalog_named(const EngineState& state, std::string_view name) {
    if (name == current_catalog_name) return state.catalog();
    return state.historical().find(name);
}

}  // namespace satveto::engine
