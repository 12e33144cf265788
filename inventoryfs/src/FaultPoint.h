#pragma once

namespace inventoryfs::detail {

/// Test hook on the write path (election-and-shared-file.md §7.2 "FAULT_POINT"), compiled in
/// only where INVENTORYFS_FAULT_POINTS is defined: the test variants of the library and the CLI
/// (inventoryfs_faultpoints, promsnmp-inventory-faultpoints) and builds configured with
/// -DPROMSNMP_FAULT_POINTS=ON. Everywhere else — the release binaries — it is an empty inline
/// function: the environment is never read and the calls compile to nothing.
///
/// When compiled in and the environment variable INVENTORYFS_FAULT_POINT names this point, the
/// process acts at it:
///   "<name>"           SIGKILL itself (crash tests)
///   "<name>:stop"      SIGSTOP itself (zombie tests; continue with SIGCONT)
///   "<name>:sleep=MS"  sleep MS milliseconds
/// Without the variable this is one cached comparison. Points: before_temp_fsync,
/// after_temp_fsync, after_link, after_head_rename. Thread-safe.
#ifdef INVENTORYFS_FAULT_POINTS
void faultPoint(const char* name);
#else
inline void faultPoint(const char*) {}
#endif

}  // namespace inventoryfs::detail
