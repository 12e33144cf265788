#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "LeaseStore.h"

namespace boost::interprocess {
class file_lock;
}

namespace elector {

/// LeaseStore on a host-local lock file (Boost.Interprocess `file_lock`, i.e. an fcntl write
/// lock; the only file that includes Boost.Interprocess). For several replicas on ONE host
/// without Redis: fcntl locks are not shared between hosts on NFS mounted with `nolock`, and
/// other NFS setups are not trusted either, so the lock file must be on a local file system.
///
/// - acquire: try_lock on `<path>`; under the lock the fencing counter in `<path>.epoch` is
///   incremented (written to a temporary file, fsynced and renamed) and the token written to
///   `<path>.holder` for the others to show.
/// - renew: Ok while this process still holds the lock (nothing expires: the kernel holds it
///   until release or process exit); the TTL argument is ignored.
/// - release: unlock. A killed holder's lock is freed by the kernel when its process dies.
///
/// The lease key argument is ignored (the path is the key). Errors are `Unknown` with the call
/// name and the system's text; nothing is thrown after construction. Thread-safe (one mutex).
/// Caveat of fcntl locks: they belong to the process, so two stores on one path in the same
/// process both "hold" it; the daemon has one store.
class FileLeaseStore : public LeaseStore {
 public:
  /// Creates `path` if missing (mode 0644). Throws Poco::FileException when it cannot be created
  /// or opened for locking.
  explicit FileLeaseStore(std::string path);
  ~FileLeaseStore() override;
  FileLeaseStore(const FileLeaseStore&) = delete;
  FileLeaseStore& operator=(const FileLeaseStore&) = delete;

  LeaseResult tryAcquire(const std::string& key, const std::string& token,
                         std::chrono::milliseconds ttl) override;
  LeaseResult renew(const std::string& key, const std::string& token,
                    std::chrono::milliseconds ttl) override;
  LeaseResult release(const std::string& key, const std::string& token) override;
  LeaseResult holder(const std::string& key) override;

  const std::string& path() const { return path_; }

 private:
  /// The counter in `<path>.epoch` (0 when the file does not exist); nullopt and `error` set
  /// when it cannot be read or is not a number. Caller holds mutex_.
  std::optional<std::int64_t> readEpoch(std::string& error) const;
  /// Replaces `target` with `content` atomically (temp file, fsync, rename). Caller holds mutex_.
  bool replaceFile(const std::string& target, const std::string& content, std::string& error) const;
  std::optional<std::string> readHolder() const;

  const std::string path_;
  std::unique_ptr<boost::interprocess::file_lock> lock_;
  mutable std::mutex mutex_;
  bool held_ = false;
  std::string token_;
};

}  // namespace elector
