#include "inventoryfs/DirectorySlotStore.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>

#include "FaultPoint.h"
#include "inventoryfs/Exceptions.h"

namespace inventoryfs {

namespace {

constexpr const char* kTempPrefix = ".tmp.";
constexpr int kMaxEstaleRetries = 3;

[[noreturn]] void throwErrno(const char* call, const std::string& path, int err) {
  throw StorageException(std::string(call) + "(" + path + ")", std::strerror(err), err);
}

/// Closes a descriptor on scope exit unless released; close errors there are ignored because
/// the paths that care call checkedClose().
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

/// close(2) checked and never retried: on NFS a failed close can be the only report of a lost
/// write, and retrying may close someone else's descriptor.
void checkedClose(Fd& fd, const std::string& path) {
  if (::close(fd.release()) != 0) {
    throwErrno("close", path, errno);
  }
}

void writeAll(int fd, const std::string& bytes, const std::string& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      throwErrno("write", path, errno);
    }
    done += static_cast<size_t>(n);
  }
}

std::string randomSuffix() {
  unsigned char raw[8];
  if (::getrandom(raw, sizeof raw, 0) != static_cast<ssize_t>(sizeof raw)) {
    throwErrno("getrandom", "", errno);
  }
  char hex[17];
  for (size_t i = 0; i < sizeof raw; ++i) {
    std::snprintf(hex + 2 * i, 3, "%02x", raw[i]);
  }
  return std::string(hex, 16);
}

/// Parses "v" + 20 digits; anything else (".nfs1234", temps, the head) is not a slot.
bool parseSlotName(const char* name, uint64_t& version) {
  if (name[0] != 'v' || std::strlen(name) != 21) {
    return false;
  }
  uint64_t v = 0;
  for (int i = 1; i <= 20; ++i) {
    if (name[i] < '0' || name[i] > '9') {
      return false;
    }
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  version = v;
  return true;
}

}  // namespace

DirectorySlotStore::DirectorySlotStore(std::string headPath) : head_(std::move(headPath)) {
  auto slash = head_.rfind('/');
  if (slash == std::string::npos) {
    dir_ = ".";
  } else if (slash == 0) {
    dir_ = "/";
  } else {
    dir_ = head_.substr(0, slash);
  }
}

std::string DirectorySlotStore::describe() const { return head_; }

std::string DirectorySlotStore::slotPath(uint64_t version) const {
  char name[32];
  std::snprintf(name, sizeof name, "v%020" PRIu64, version);
  return dir_ + "/" + name;
}

std::optional<std::string> DirectorySlotStore::readFile(const std::string& path, size_t maxBytes) {
  // ESTALE means the name now points elsewhere (replaced or collected on another NFS client):
  // resolve the name again, never treat it as "no inventory".
  for (int attempt = 0;; ++attempt) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT) {
        return std::nullopt;
      }
      if (errno == ESTALE && attempt < kMaxEstaleRetries) {
        continue;
      }
      if (errno == ELOOP) {
        throw DataException(path + ": is a symbolic link; refusing to follow it");
      }
      throwErrno("open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
      throwErrno("fstat", path, errno);
    }
    if (!S_ISREG(st.st_mode)) {
      throw DataException(path + ": not a regular file");
    }
    std::string out;
    out.resize(std::min<size_t>(maxBytes, static_cast<size_t>(st.st_size) + 1));
    size_t done = 0;
    bool stale = false;
    while (done < out.size()) {
      ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        if (errno == ESTALE && attempt < kMaxEstaleRetries) {
          stale = true;
          break;
        }
        throwErrno("read", path, errno);
      }
      if (n == 0) {
        break;
      }
      done += static_cast<size_t>(n);
    }
    if (stale) {
      continue;
    }
    out.resize(done);
    return out;
  }
}

std::optional<std::string> DirectorySlotStore::readHead(size_t maxBytes) {
  return readFile(head_, maxBytes);
}

std::optional<std::string> DirectorySlotStore::readSlot(uint64_t version, size_t maxBytes) {
  return readFile(slotPath(version), maxBytes);
}

bool DirectorySlotStore::slotExists(uint64_t version) {
  struct stat st {};
  std::string path = slotPath(version);
  if (::lstat(path.c_str(), &st) == 0) {
    return true;
  }
  if (errno == ENOENT) {
    return false;
  }
  throwErrno("lstat", path, errno);
}

SlotStore::Claim DirectorySlotStore::claim(uint64_t version, const std::string& bytes) {
  if (!markerPresent()) {
    throw NotMountedException(dir_ + "/" + kMarkerName +
                              " is missing: the share is not mounted or not initialised "
                              "(run `promsnmp-inventory init`); refusing to write");
  }
  std::string temp = dir_ + "/" + kTempPrefix + randomSuffix();
  std::string slot = slotPath(version);
  struct Cleanup {
    const std::string& path;
    ~Cleanup() { ::unlink(path.c_str()); }
  } cleanup{temp};

  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0640));
  if (fd.get() < 0) {
    throwErrno("open", temp, errno);
  }
  writeAll(fd.get(), bytes, temp);
  detail::faultPoint("before_temp_fsync");
  if (::fsync(fd.get()) != 0) {
    throwErrno("fsync", temp, errno);
  }
  detail::faultPoint("after_temp_fsync");
  struct stat mine {};
  if (::fstat(fd.get(), &mine) != 0) {
    throwErrno("fstat", temp, errno);
  }
  checkedClose(fd, temp);

  // link(2) is the compare-and-set: it creates `slot` only if no one has. Its result can lie
  // on NFSv3 (a retransmitted LINK answers EEXIST for our own success), so every failure is
  // checked against the slot's inode.
  Claim result;
  if (::link(temp.c_str(), slot.c_str()) == 0) {
    result = Claim::Claimed;
  } else {
    int err = errno;
    struct stat there {};
    if (::lstat(slot.c_str(), &there) == 0) {
      bool ours = there.st_ino == mine.st_ino && there.st_dev == mine.st_dev;
      result = ours ? Claim::Claimed : Claim::Taken;
    } else if (err == EEXIST) {
      result = Claim::Taken;  // existed at link time, collected since: someone else's
    } else {
      throwErrno("link", slot, err);
    }
  }
  detail::faultPoint("after_link");
  if (::unlink(temp.c_str()) != 0 && errno != ENOENT) {
    throwErrno("unlink", temp, errno);
  }
  fsyncDirectory();
  return result;
}

void DirectorySlotStore::publishHead(uint64_t version) {
  // The head is a hard link to the slot, swapped in by rename: readers see the old or the new
  // version, never a partial file, and no bytes are copied.
  std::string temp = dir_ + "/" + kTempPrefix + "head." + randomSuffix();
  std::string slot = slotPath(version);
  if (::link(slot.c_str(), temp.c_str()) != 0) {
    if (errno == ENOENT) {
      return;  // already collected: a newer version exists and its writer publishes it
    }
    throwErrno("link", temp, errno);
  }
  if (::rename(temp.c_str(), head_.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    throwErrno("rename", head_, err);
  }
  detail::faultPoint("after_head_rename");
  fsyncDirectory();
}

std::vector<uint64_t> DirectorySlotStore::listSlots() {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_.c_str()), ::closedir);
  if (!dir) {
    if (errno == ENOENT) {
      return {};
    }
    throwErrno("opendir", dir_, errno);
  }
  std::vector<uint64_t> versions;
  while (struct dirent* entry = ::readdir(dir.get())) {
    uint64_t v = 0;
    if (parseSlotName(entry->d_name, v)) {
      versions.push_back(v);
    }
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

void DirectorySlotStore::removeSlot(uint64_t version) {
  std::string path = slotPath(version);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    throwErrno("unlink", path, errno);
  }
}

size_t DirectorySlotStore::removeStaleTemps(int64_t maxAgeSeconds) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_.c_str()), ::closedir);
  if (!dir) {
    if (errno == ENOENT) {
      return 0;
    }
    throwErrno("opendir", dir_, errno);
  }
  time_t cutoff = ::time(nullptr) - maxAgeSeconds;
  size_t removed = 0;
  while (struct dirent* entry = ::readdir(dir.get())) {
    // Only our own temp names; `.nfs*` silly-rename files belong to the NFS client.
    if (std::strncmp(entry->d_name, kTempPrefix, std::strlen(kTempPrefix)) != 0) {
      continue;
    }
    std::string path = dir_ + "/" + entry->d_name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && st.st_mtime < cutoff && ::unlink(path.c_str()) == 0) {
      ++removed;
    }
  }
  return removed;
}

bool DirectorySlotStore::markerPresent() {
  struct stat st {};
  std::string path = dir_ + "/" + kMarkerName;
  if (::stat(path.c_str(), &st) == 0) {
    return S_ISREG(st.st_mode);
  }
  if (errno == ENOENT || errno == ENOTDIR) {
    return false;
  }
  throwErrno("stat", path, errno);
}

void DirectorySlotStore::createMarker(const std::string& clusterId) {
  if (::mkdir(dir_.c_str(), 0750) != 0 && errno != EEXIST) {
    throwErrno("mkdir", dir_, errno);
  }
  std::string temp = dir_ + "/" + kTempPrefix + "marker." + randomSuffix();
  std::string marker = dir_ + "/" + kMarkerName;
  Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (fd.get() < 0) {
    throwErrno("open", temp, errno);
  }
  try {
    writeAll(fd.get(), clusterId + "\n", temp);
    if (::fsync(fd.get()) != 0) {
      throwErrno("fsync", temp, errno);
    }
    checkedClose(fd, temp);
    if (::link(temp.c_str(), marker.c_str()) != 0 && errno != EEXIST) {
      throwErrno("link", marker, errno);
    }
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  ::unlink(temp.c_str());
  fsyncDirectory();
}

void DirectorySlotStore::fsyncDirectory() {
  Fd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) {
    throwErrno("open", dir_, errno);
  }
  if (::fsync(fd.get()) != 0 && errno != EINVAL) {
    throwErrno("fsync", dir_, errno);
  }
}

}  // namespace inventoryfs
