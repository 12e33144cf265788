#pragma once

namespace inventoryfs::detail {

/// Test hook on the write path (election-and-shared-file.md §7.2 "FAULT_POINT"). When the
/// environment variable INVENTORYFS_FAULT_POINT names this point, the process acts at it:
///   "<name>"           SIGKILL itself (crash tests)
///   "<name>:stop"      SIGSTOP itself (zombie tests; continue with SIGCONT)
///   "<name>:sleep=MS"  sleep MS milliseconds
/// Without the variable this is one cached comparison. Points: before_temp_fsync,
/// after_temp_fsync, after_link, after_head_rename. Thread-safe.
void faultPoint(const char* name);

}  // namespace inventoryfs::detail
