#include "daemon/hardening.hpp"

#include <fstream>
#include <string>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>

namespace satveto::engine {
namespace {

[[maybe_unused]] constexpr int cap_ipc_lock_bit = 14;  // linux/capability.h: CAP_IPC_LOCK

// Reads the effective capability set from /proc, so no libcap is needed.
[[maybe_unused]] bool has_effective_capability(int bit) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("CapEff:", 0) == 0) {
            const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
            return (mask >> bit) & 1ULL;
        }
    }
    return false;
}

}  // namespace

bool forbid_memory_dumps() {
    const rlimit no_core{0, 0};
    const bool core_off = ::setrlimit(RLIMIT_CORE, &no_core) == 0;
    const bool undumpable = ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
    return core_off && undumpable;
}

LockResult lock_memory() {
#if defined(SATVETO_SANITIZER_BUILD)
    return LockResult::skipped_sanitizer;
#else
    rlimit limit{};
    ::getrlimit(RLIMIT_MEMLOCK, &limit);
    if (!has_effective_capability(cap_ipc_lock_bit) && limit.rlim_cur != RLIM_INFINITY)
        return LockResult::not_permitted;
    // MCL_ONFAULT: lock pages as they are touched instead of pre-faulting every mapping
    // (each thread's 8 MiB stack reservation would otherwise become resident).
    if (::mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0) return LockResult::failed;
    return LockResult::locked;
#endif
}

}  // namespace satveto::engine
