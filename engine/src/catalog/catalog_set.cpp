#include "catalog/catalog_set.hpp"

namespace satveto::catalog {

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

}  // namespace satveto::catalog
