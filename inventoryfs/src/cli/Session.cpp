#include "cli/Session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "InventoryCli.h"
#include "Json.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Merge.h"

namespace inventoryfs::cli {

std::string directoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

void writeDurably(const std::string& path, const std::string& bytes, mode_t mode) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    throw StorageException("open(" + temp + ")", std::strerror(errno), errno);
  }
  auto fail = [&](const std::string& call) {
    const int error = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    ::unlink(temp.c_str());
    throw StorageException(call, std::strerror(error), error);
  };
  for (size_t written = 0; written < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("write(" + temp + ")");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    fail("fsync(" + temp + ")");
  }
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) {
    fail("close(" + temp + ")");
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    fail("rename(" + temp + ", " + path + ")");
  }
  const std::string dir = directoryOf(path);
  const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) {
    throw StorageException("open(" + dir + ")", std::strerror(errno), errno);
  }
  const int synced = ::fsync(dirFd);
  const int error = errno;
  ::close(dirFd);
  if (synced != 0) {
    throw StorageException("fsync(" + dir + ")", std::strerror(error), error);
  }
}

namespace {

constexpr const char* kDefaultInventoryFile = "/app/data/promsnmp-inventory.json";
constexpr size_t kMaxInputBytes = 256u << 20;

}  // namespace

Session::Session(const CommandLine& cl, const std::map<std::string, std::string>& env,
                 std::ostream& out, std::ostream& err)
    : cl_(cl), env_(env), out_(out), err_(err), json_(cl.flag("json")) {
  auto file = cl.value("file");
  auto envFile = env.find("PROM_INV_FILE");
  headPath_ = file ? *file
                   : (envFile != env.end() && !envFile->second.empty() ? envFile->second
                                                                       : kDefaultInventoryFile);
  auto keep = env.find("PROM_INV_KEEP");
  if (keep != env.end() && !keep->second.empty()) {
    char* end = nullptr;
    long long n = std::strtoll(keep->second.c_str(), &end, 10);
    if (*end != '\0' || n < 2) {
      throw KeyConfigException("PROM_INV_KEEP: expected an integer >= 2, got '" + keep->second +
                               "'");
    }
    options_.keep = static_cast<size_t>(n);
  }
}

const Keyring& Session::keys() {
  if (!keys_) {
    keys_ = std::make_unique<Keyring>(Keyring::fromEnvironment(env_));
    for (const std::string& warning : keys_->warnings()) {
      err_ << "warning: " << warning << "\n";
    }
  }
  return *keys_;
}

InventoryStore& Session::store() {
  if (!store_) {
    slots_ = std::make_unique<DirectorySlotStore>(headPath_);
    store_ = std::make_unique<InventoryStore>(*slots_, keys(), options_);
  }
  return *store_;
}

std::string Session::onePositional(const char* what) const {
  if (cl_.positional.size() != 1) {
    throw UsageError{cl_.command + ": expected one " + what};
  }
  return cl_.positional[0];
}

Inventory Session::readInventoryFile(const std::string& path) {
  Opened opened = open(readWholeFile(path), keys());
  return inventoryFromJson(opened.plaintext);
}

void Session::writeOutput(const std::optional<std::string>& path, const std::string& bytes) {
  if (!path) {
    out_ << bytes;
    return;
  }
  writeDurably(*path, bytes, 0666);
}

int Session::reportCommit(const std::string& what, const CommitResult& r,
                          const Inventory* inventory) {
  if (json_) {
    return printJsonResult([&](detail::JsonWriter& w) {
      w.key("version");
      w.integer(static_cast<int64_t>(r.version));
      w.key("epoch");
      w.integer(static_cast<int64_t>(r.epoch));
      w.key("attempts");
      w.integer(r.attempts);
      if (inventory != nullptr) {
        w.key("devices");
        w.integer(static_cast<int64_t>(inventory->devices.size()));
        w.key("seeds");
        w.integer(static_cast<int64_t>(inventory->discoverySeeds.size()));
      }
    });
  }
  out_ << what << ": version " << r.version << " (epoch " << r.epoch << ")";
  if (r.attempts > 1) {
    out_ << " after " << r.attempts - 1 << " lost race(s)";
  }
  if (inventory != nullptr) {
    out_ << ", " << inventory->devices.size() << " devices, " << inventory->discoverySeeds.size()
         << " seeds";
  }
  out_ << "\n";
  return kExitOk;
}

int Session::printJsonResult(const std::function<void(detail::JsonWriter&)>& members) {
  std::string s;
  detail::JsonWriter w(s, false);
  w.beginObject();
  w.key("ok");
  w.boolean(true);
  w.key("command");
  w.string(cl_.command);
  members(w);
  w.endObject();
  out_ << s << "\n";
  return kExitOk;
}

void Session::printTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) {
        line += std::string(widths[i] - row[i].size() + 2, ' ');
      }
    }
    out_ << line << "\n";
  }
}

JsonWriteOptions Session::jsonOptions(bool prettyByDefault) const {
  JsonWriteOptions o;
  o.style = cl_.flag("pretty") || prettyByDefault ? JsonStyle::Pretty : JsonStyle::Compact;
  o.maskCredentials = !cl_.flag("include-credentials");
  return o;
}

std::string readWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw StorageException("cannot open " + path, std::strerror(errno), errno);
  }
  std::string bytes;
  in.seekg(0, std::ios::end);
  std::streamoff size = in.tellg();
  if (size < 0 || static_cast<size_t>(size) > kMaxInputBytes) {
    throw DataException(path + ": larger than the " + std::to_string(kMaxInputBytes) +
                        "-byte limit");
  }
  bytes.resize(static_cast<size_t>(size));
  in.seekg(0);
  in.read(bytes.data(), size);
  if (!in) {
    throw StorageException("cannot read " + path);
  }
  return bytes;
}

std::string isoTime(int64_t unixMs) {
  if (unixMs <= 0) {
    return "-";
  }
  return formatInstant(Instant{unixMs / 1000, static_cast<int32_t>((unixMs % 1000) * 1000000)});
}

void checkReplace(const Inventory& current, const Inventory& replacement, bool force) {
  const size_t removed = devicesRemovedBy(current, replacement);
  if (!force && replaceNeedsForce(removed, current.devices.size())) {
    throw ConflictException(replaceRefusal(removed, current.devices.size(), "--force"));
  }
}

}  // namespace inventoryfs::cli
