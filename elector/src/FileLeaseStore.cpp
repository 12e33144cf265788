#include "FileLeaseStore.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include <Poco/Exception.h>
#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/sync/file_lock.hpp>

namespace elector {
namespace {

std::string systemError(const std::string& call, const std::string& path) {
  return call + " " + path + ": " + std::strerror(errno);
}

}  // namespace

FileLeaseStore::FileLeaseStore(std::string path) : path_(std::move(path)) {
  // Opened and closed before any lock is taken: closing a descriptor of a file drops every
  // fcntl lock the process holds on it, so after this the lock file is only touched by lock_.
  const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw Poco::FileException(systemError("open", path_));
  }
  ::close(fd);
  try {
    lock_ = std::make_unique<boost::interprocess::file_lock>(path_.c_str());
  } catch (const boost::interprocess::interprocess_exception& error) {
    throw Poco::FileException("file_lock " + path_ + ": " + error.what());
  }
}

FileLeaseStore::~FileLeaseStore() {
  const std::lock_guard<std::mutex> guard(mutex_);
  if (held_) {
    try {
      lock_->unlock();
    } catch (const boost::interprocess::interprocess_exception&) {
      // Closing the descriptor below frees the lock anyway.
    }
  }
}

std::optional<std::int64_t> FileLeaseStore::readEpoch(std::string& error) const {
  const std::string file = path_ + ".epoch";
  std::ifstream in(file);
  if (!in) {
    if (::access(file.c_str(), F_OK) != 0 && errno == ENOENT) {
      return 0;
    }
    error = systemError("open", file);
    return std::nullopt;
  }
  std::int64_t value = -1;
  in >> value;
  if (!in || value < 0) {
    // Never start again from 0: a reset counter would hand out an epoch an earlier leader had.
    error = "read " + file + ": not a non-negative number";
    return std::nullopt;
  }
  return value;
}

bool FileLeaseStore::replaceFile(const std::string& target, const std::string& content,
                                 std::string& error) const {
  const std::string temp = target + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = systemError("open", temp);
    return false;
  }
  const bool written =
      ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
      ::fsync(fd) == 0;
  if (!written) {
    error = systemError("write", temp);
  }
  ::close(fd);
  if (!written) {
    return false;
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    error = systemError("rename", temp);
    return false;
  }
  return true;
}

std::optional<std::string> FileLeaseStore::readHolder() const {
  std::ifstream in(path_ + ".holder");
  std::string token;
  if (!std::getline(in, token) || token.empty()) {
    return std::nullopt;
  }
  return token;
}

LeaseResult FileLeaseStore::tryAcquire(const std::string& /*key*/, const std::string& token,
                                       std::chrono::milliseconds /*ttl*/) {
  const std::lock_guard<std::mutex> guard(mutex_);
  LeaseResult result;
  if (held_) {
    result.outcome = LeaseResult::NotHeld;  // held under an older token of ours
    result.holder = token_;
    return result;
  }
  try {
    if (!lock_->try_lock()) {
      result.outcome = LeaseResult::NotHeld;
      result.holder = readHolder();
      return result;
    }
  } catch (const boost::interprocess::interprocess_exception& error) {
    result.error = std::string("file_lock try_lock ") + path_ + ": " + error.what();
    return result;
  }
  std::string error;
  const std::optional<std::int64_t> epoch = readEpoch(error);
  if (!epoch || !replaceFile(path_ + ".epoch", std::to_string(*epoch + 1) + "\n", error)) {
    // Without a new epoch there is no leadership: let the lock go and report the failure.
    // Unknown, so the failure is counted and logged; the election then finds, through
    // holder(), that the lock is not ours.
    lock_->unlock();
    result.error = error;
    return result;
  }
  std::string holderError;
  replaceFile(path_ + ".holder", token + "\n", holderError);  // informational only
  held_ = true;
  token_ = token;
  result.outcome = LeaseResult::Ok;
  result.epoch = *epoch + 1;
  return result;
}

LeaseResult FileLeaseStore::renew(const std::string& /*key*/, const std::string& token,
                                  std::chrono::milliseconds /*ttl*/) {
  const std::lock_guard<std::mutex> guard(mutex_);
  LeaseResult result;
  result.outcome = held_ && token == token_ ? LeaseResult::Ok : LeaseResult::NotHeld;
  return result;
}

LeaseResult FileLeaseStore::release(const std::string& /*key*/, const std::string& token) {
  const std::lock_guard<std::mutex> guard(mutex_);
  LeaseResult result;
  if (!held_ || token != token_) {
    result.outcome = LeaseResult::NotHeld;
    return result;
  }
  // Removed while still locked, so it can never delete the next holder's name.
  ::unlink((path_ + ".holder").c_str());
  try {
    lock_->unlock();
  } catch (const boost::interprocess::interprocess_exception& error) {
    result.error = std::string("file_lock unlock ") + path_ + ": " + error.what();
    return result;  // Unknown: the lock may still be ours
  }
  held_ = false;
  token_.clear();
  result.outcome = LeaseResult::Ok;
  return result;
}

LeaseResult FileLeaseStore::holder(const std::string& /*key*/) {
  const std::lock_guard<std::mutex> guard(mutex_);
  LeaseResult result;
  std::string error;
  const std::optional<std::int64_t> epoch = readEpoch(error);
  if (!epoch) {
    result.error = error;
    return result;
  }
  result.outcome = LeaseResult::Ok;
  result.epoch = *epoch;
  result.holder = held_ ? std::optional<std::string>(token_) : readHolder();
  return result;
}

}  // namespace elector
