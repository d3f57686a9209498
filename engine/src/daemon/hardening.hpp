// Process-level protection of the catalog held in memory.
#pragma once

namespace satveto::engine {

// No core dumps (RLIMIT_CORE 0) and not dumpable (no ptrace by same-uid processes, no
// /proc/PID/mem).  Returns false if either could not be applied.
bool forbid_memory_dumps();

enum class LockResult { locked, skipped_sanitizer, not_permitted, failed };

// Locks current and future pages in RAM so the catalog is never written to swap.
// Without CAP_IPC_LOCK and an unlimited RLIMIT_MEMLOCK the lock is not attempted at all:
// MCL_FUTURE under a finite limit would make later allocations fail instead.
LockResult lock_memory();

}  // namespace satveto::engine
