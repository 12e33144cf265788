#include "inventoryfs/Keyring.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string_view>
#include <system_error>
#include <utility>

#include "AesGcm.h"
#include "Hex.h"
#include "inventoryfs/Exceptions.h"

extern char** environ;

namespace inventoryfs {

namespace {

constexpr char kKeyVar[] = "PROM_ENCRYPT_KEY";
constexpr char kKeyFileVar[] = "PROM_ENCRYPT_KEY_FILE";
constexpr char kPreviousVar[] = "PROM_ENCRYPT_KEY_PREVIOUS";
constexpr char kPreviousFileVar[] = "PROM_ENCRYPT_KEY_PREVIOUS_FILE";
constexpr char kCredentialsVar[] = "CREDENTIALS_DIRECTORY";
constexpr char kCredentialName[] = "promsnmp-encrypt-key";

// HKDF parameters for key text that is not 64 hex digits. Changing any of them changes every
// derived key and so makes every v2 file unreadable: they are part of the file format.
constexpr std::string_view kHkdfSalt = "promsnmp-inventory-v2";
constexpr std::string_view kHkdfInfo = "aes-256-gcm key";
constexpr std::string_view kKeyIdLabel = "promsnmp key id";
// Key ids of scrypt-derived keys use their own label: a file's key id says which derivation
// made its key, and an scrypt key id never matches a configured (HKDF or raw) key's id.
constexpr std::string_view kScryptKeyIdLabel = "promsnmp scrypt key id";
// Derived keys kept by the process (one cache for every keyring: derivedKeyCache()); beyond this
// the cache starts over (an inventory uses one salt, so only a reader of many unrelated files
// ever gets here).
constexpr size_t kMaxCachedKeys = 64;

// Key files are small; anything larger is a wrong path (a log, /dev/zero), not a key.
constexpr size_t kMaxKeyFileBytes = size_t{64} * 1024;

const std::string* lookup(const std::map<std::string, std::string>& env, const char* name) {
  auto it = env.find(name);
  return it == env.end() ? nullptr : &it->second;
}

std::string errnoText(int error) { return std::generic_category().message(error); }

// The whole content of a key file. `setting` names the variable that pointed at it, for the
// message; the content never appears in one.
std::string readFile(const std::string& path, const char* setting) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    throw KeyConfigException(std::string(setting) + ": cannot open " + path + ": " +
                             errnoText(error));
  }
  std::string content;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0) {
      const int error = errno;
      if (error == EINTR) {
        continue;
      }
      ::close(fd);
      throw KeyConfigException(std::string(setting) + ": cannot read " + path + ": " +
                               errnoText(error));
    }
    if (got == 0) {
      break;
    }
    content.append(buffer, static_cast<size_t>(got));
    if (content.size() > kMaxKeyFileBytes) {
      ::close(fd);
      throw KeyConfigException(std::string(setting) + ": " + path +
                               " is larger than 64 KiB; it is not a key file");
    }
  }
  ::close(fd);
  return content;
}

// A current-key file: its content without one trailing "\n" or "\r\n" (what `echo` and
// editors add).
std::string readKeyFile(const std::string& path, const char* setting) {
  std::string content = readFile(path, setting);
  if (content.size() >= 2 && content.compare(content.size() - 2, 2, "\r\n") == 0) {
    content.resize(content.size() - 2);
  } else if (!content.empty() && content.back() == '\n') {
    content.pop_back();
  }
  if (content.empty()) {
    throw KeyConfigException(std::string(setting) + ": " + path + " is empty");
  }
  return content;
}

// The systemd credential ($CREDENTIALS_DIRECTORY/promsnmp-encrypt-key), if present. Sets
// `looked` to a description of what was checked, for the "no key" message.
std::optional<Key> credentialKey(const std::map<std::string, std::string>& env,
                                 std::string& looked) {
  const std::string* dir = lookup(env, kCredentialsVar);
  if (dir == nullptr || dir->empty()) {
    looked = "$CREDENTIALS_DIRECTORY/promsnmp-encrypt-key (CREDENTIALS_DIRECTORY is not set)";
    return std::nullopt;
  }
  const std::string path = *dir + "/" + kCredentialName;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    const int error = errno;
    if (error == ENOENT || error == ENOTDIR) {
      looked = path + " (does not exist)";
      return std::nullopt;
    }
    throw KeyConfigException(std::string("systemd credential ") + path + ": " + errnoText(error));
  }
  return Keyring::deriveKey(readKeyFile(path, "systemd credential"), path);
}

std::array<uint8_t, 8> keyIdOf(std::string_view label, const std::array<uint8_t, 32>& bytes) {
  std::string idInput(label);
  idInput += detail::asView(bytes);
  const std::array<uint8_t, 32> digest = detail::sha256(idInput);
  std::array<uint8_t, 8> id{};
  std::copy_n(digest.begin(), id.size(), id.begin());
  return id;
}

// scrypt-derived keys of this process: configured key bytes || salt || cost -> derived key.
// Derived keys are pure functions of their inputs, so every keyring may share them.
struct DerivedKeyCache {
  std::mutex mutex;
  std::map<std::string, Key> keys;
};

DerivedKeyCache& derivedKeyCache() {
  static DerivedKeyCache cache;
  return cache;
}

}  // namespace

std::string Key::idHex() const { return detail::toHex(id.data(), id.size()); }

Key Keyring::deriveKey(const std::string& text, const std::string& source) {
  if (text.empty()) {
    throw KeyConfigException("the encryption key from " + source + " is empty");
  }
  Key key;
  key.source = source;
  std::optional<std::string> raw;
  if (text.size() == 2 * key.bytes.size()) {
    raw = detail::fromHex(text);
  }
  if (!raw) {
    raw = detail::hkdfSha256(text, kHkdfSalt, kHkdfInfo, key.bytes.size());
    key.passphrase = text;
  }
  std::copy_n(raw->begin(), key.bytes.size(), key.bytes.begin());
  if (text.size() == 16) {
    // Java PromSNMP encrypts with these raw bytes as an AES-128 key (promsnmp-java.md §4.3).
    key.legacy = text;
  }
  key.id = keyIdOf(kKeyIdLabel, key.bytes);
  return key;
}

Key Keyring::fileKey(const Key& configured, const KdfParams& kdf) const {
  if (kdf.algorithm == Kdf::Direct || !configured.passphrase) {
    return configured;
  }
  if (kdf.algorithm != Kdf::Scrypt) {
    throw DataException("unknown key derivation " +
                        std::to_string(static_cast<unsigned>(kdf.algorithm)));
  }
  std::string cacheKey(detail::asView(configured.bytes));
  cacheKey += detail::asView(kdf.salt);
  cacheKey += std::to_string(kdf.log2N) + "/" + std::to_string(kdf.r) + "/" + std::to_string(kdf.p);
  DerivedKeyCache& cache = derivedKeyCache();
  {
    std::lock_guard<std::mutex> lock(cache.mutex);
    auto it = cache.keys.find(cacheKey);
    if (it != cache.keys.end()) {
      return it->second;
    }
  }
  // Derived outside the lock: scrypt takes tens of milliseconds, and two threads deriving the
  // same key at once only waste a little work.
  Key key;
  key.source = configured.source + " (scrypt)";
  const std::string bytes =
      detail::scrypt(*configured.passphrase, detail::asView(kdf.salt), kdf.log2N, kdf.r, kdf.p,
                     key.bytes.size(), kMaxScryptMemoryBytes);
  std::copy_n(bytes.begin(), key.bytes.size(), key.bytes.begin());
  key.id = keyIdOf(kScryptKeyIdLabel, key.bytes);
  std::lock_guard<std::mutex> lock(cache.mutex);
  if (cache.keys.size() >= kMaxCachedKeys) {
    cache.keys.clear();
  }
  cache.keys.emplace(std::move(cacheKey), key);
  return key;
}

std::optional<Key> Keyring::findFileKey(const KdfParams& kdf,
                                        const std::array<uint8_t, 8>& id) const {
  if (kdf.algorithm == Kdf::Direct) {
    const Key* key = find(id);
    return key == nullptr ? std::nullopt : std::optional<Key>(*key);
  }
  auto match = [&](const Key& configured) -> std::optional<Key> {
    if (!configured.passphrase) {
      return std::nullopt;  // raw keys are never derived further
    }
    Key key = fileKey(configured, kdf);
    return key.id == id ? std::optional<Key>(std::move(key)) : std::nullopt;
  };
  if (auto key = match(current_)) {
    return key;
  }
  for (const Key& configured : previous_) {
    if (auto key = match(configured)) {
      return key;
    }
  }
  return std::nullopt;
}

Keyring Keyring::fromEnvironment(const std::map<std::string, std::string>& env) {
  // An empty variable counts as unset when the other one names a key (compose files often
  // pass `PROM_ENCRYPT_KEY=${PROM_ENCRYPT_KEY:-}` next to a _FILE setting), and as an error
  // when it is the only setting: the operator meant to configure a key and did not.
  const std::string* text = lookup(env, kKeyVar);
  const std::string* file = lookup(env, kKeyFileVar);
  const bool haveText = text != nullptr && !text->empty();
  const bool haveFile = file != nullptr && !file->empty();
  if (haveText && haveFile) {
    throw KeyConfigException("set only one of PROM_ENCRYPT_KEY and PROM_ENCRYPT_KEY_FILE");
  }
  std::optional<Key> current;
  if (haveText) {
    current = deriveKey(*text, kKeyVar);
  } else if (haveFile) {
    current = deriveKey(readKeyFile(*file, kKeyFileVar), *file);
  } else if (text != nullptr) {
    throw KeyConfigException("PROM_ENCRYPT_KEY is set but empty");
  } else if (file != nullptr) {
    throw KeyConfigException("PROM_ENCRYPT_KEY_FILE is set but empty");
  } else {
    std::string looked;
    current = credentialKey(env, looked);
    if (!current) {
      throw KeyConfigException(
          "no encryption key configured: looked at PROM_ENCRYPT_KEY, PROM_ENCRYPT_KEY_FILE "
          "and " +
          looked +
          ". Set one of them. The Java PromSNMP silently used the well-known default "
          "0123456789ABCDEF, which protects nothing; to read files it wrote with that "
          "default, set PROM_ENCRYPT_KEY=0123456789ABCDEF explicitly");
    }
  }

  // Previous keys only decrypt. Empty entries are skipped, so an empty variable simply means
  // "no previous keys" (the natural state after a rotation has finished).
  std::vector<Key> previous;
  if (const std::string* list = lookup(env, kPreviousVar)) {
    size_t index = 0;
    size_t start = 0;
    while (start <= list->size()) {
      size_t end = list->find(',', start);
      if (end == std::string::npos) {
        end = list->size();
      }
      ++index;
      if (end > start) {
        previous.push_back(
            deriveKey(list->substr(start, end - start),
                      std::string(kPreviousVar) + "[" + std::to_string(index) + "]"));
      }
      start = end + 1;
    }
  }
  if (const std::string* path = lookup(env, kPreviousFileVar); path && !path->empty()) {
    const std::string content = readFile(*path, kPreviousFileVar);
    size_t line = 0;
    size_t start = 0;
    while (start < content.size()) {
      size_t end = content.find('\n', start);
      if (end == std::string::npos) {
        end = content.size();
      }
      ++line;
      std::string entry = content.substr(start, end - start);
      if (!entry.empty() && entry.back() == '\r') {
        entry.pop_back();
      }
      if (!entry.empty()) {
        previous.push_back(deriveKey(entry, *path + ":" + std::to_string(line)));
      }
      start = end + 1;
    }
  }
  return Keyring(std::move(*current), std::move(previous));
}

std::map<std::string, std::string> Keyring::processEnvironment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) {
      continue;
    }
    // emplace keeps the first of duplicate names, as getenv does.
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

Keyring::Keyring(Key current, std::vector<Key> previous, ScryptCost cost)
    : current_(std::move(current)), cost_(cost) {
  if (current_.passphrase) {
    newFileKdf_.algorithm = Kdf::Scrypt;
    newFileKdf_.log2N = cost_.log2N;
    newFileKdf_.r = cost_.r;
    newFileKdf_.p = cost_.p;
    detail::randomBytes(newFileKdf_.salt.data(), newFileKdf_.salt.size());
  }
  // A previous key equal to the current one (or to an earlier previous one) adds nothing.
  for (Key& key : previous) {
    const bool duplicate = key.bytes == current_.bytes ||
                           std::any_of(previous_.begin(), previous_.end(),
                                       [&](const Key& kept) { return kept.bytes == key.bytes; });
    if (!duplicate) {
      previous_.push_back(std::move(key));
    }
  }
}

const Key* Keyring::find(const std::array<uint8_t, 8>& id) const {
  if (current_.id == id) {
    return &current_;
  }
  for (const Key& key : previous_) {
    if (key.id == id) {
      return &key;
    }
  }
  return nullptr;
}

std::vector<const Key*> Keyring::legacyKeys() const {
  std::vector<const Key*> keys;
  if (current_.legacy) {
    keys.push_back(&current_);
  }
  for (const Key& key : previous_) {
    if (key.legacy) {
      keys.push_back(&key);
    }
  }
  return keys;
}

}  // namespace inventoryfs
