#include "inventoryfs/Keyring.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
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

// The text of a current-key file.
struct KeyFileText {
  std::string text;
  bool crlf = false;  // the file ended in "\r\n" (a Windows editor), stripped
};

// A current-key file: its content without one trailing "\n" or "\r\n" (what `echo` and
// editors add). A trailing CR LF is stripped too, as it always was: files written on Windows
// keep working (and key ids stay what they were); fromEnvironment warns about it.
KeyFileText readKeyFile(const std::string& path, const char* setting) {
  KeyFileText file{readFile(path, setting)};
  std::string& content = file.text;
  if (content.size() >= 2 && content.compare(content.size() - 2, 2, "\r\n") == 0) {
    content.resize(content.size() - 2);
    file.crlf = true;
  } else if (!content.empty() && content.back() == '\n') {
    content.pop_back();
  }
  if (content.empty()) {
    throw KeyConfigException(std::string(setting) + ": " + path + " is empty");
  }
  return file;
}

bool isKeySpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Whitespace as an operator would type it in C or a shell: " \t\r\n", quoted; long runs cut.
std::string escapedWhitespace(std::string_view run) {
  constexpr size_t kShown = 8;
  std::string text = "\"";
  for (size_t i = 0; i < run.size() && i < kShown; ++i) {
    switch (run[i]) {
      case '\t':
        text += "\\t";
        break;
      case '\n':
        text += "\\n";
        break;
      case '\r':
        text += "\\r";
        break;
      case '\v':
        text += "\\v";
        break;
      case '\f':
        text += "\\f";
        break;
      default:
        text += run[i];
    }
  }
  text += "\"";
  if (run.size() > kShown) {
    text += " (" + std::to_string(run.size()) + " characters)";
  }
  return text;
}

// A key derived from configured text, with its whitespace problem noted (and warned about).
Key keyFrom(const std::string& text, const std::string& source,
            std::vector<std::string>& warnings) {
  Key key = Keyring::deriveKey(text, source);
  key.whitespace = Keyring::whitespaceProblem(text);
  if (!key.whitespace.empty()) {
    // No key id: a passphrase's id differs per file (scrypt salt); the mismatch error has them.
    warnings.push_back(source + ": the key text " + key.whitespace +
                       ", which is part of the key; if it is not meant, remove it");
  }
  return key;
}

// A current key read from a file, with the file's Windows line end warned about.
Key keyFromFile(const std::string& path, const char* setting, const std::string& source,
                std::vector<std::string>& warnings) {
  const KeyFileText file = readKeyFile(path, setting);
  Key key = keyFrom(file.text, source, warnings);
  if (file.crlf) {
    warnings.push_back(source +
                       ": the file ends in a Windows line end (CR LF), stripped like a final "
                       "newline; a tool that strips only the newline, such as "
                       "PROM_ENCRYPT_KEY=\"$(cat file)\", reads another key from it");
  }
  return key;
}

// The systemd credential ($CREDENTIALS_DIRECTORY/promsnmp-encrypt-key), if present. Sets
// `looked` to a description of what was checked, for the "no key" message.
std::optional<Key> credentialKey(const std::map<std::string, std::string>& env, std::string& looked,
                                 std::vector<std::string>& warnings) {
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
  return keyFromFile(path, "systemd credential", "systemd credential " + path, warnings);
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
  std::vector<std::string> warnings;
  std::optional<Key> current;
  if (haveText) {
    current = keyFrom(*text, kKeyVar, warnings);
  } else if (haveFile) {
    current = keyFromFile(*file, kKeyFileVar, std::string(kKeyFileVar) + "=" + *file, warnings);
  } else if (text != nullptr) {
    throw KeyConfigException("PROM_ENCRYPT_KEY is set but empty");
  } else if (file != nullptr) {
    throw KeyConfigException("PROM_ENCRYPT_KEY_FILE is set but empty");
  } else {
    std::string looked;
    current = credentialKey(env, looked, warnings);
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
        previous.push_back(keyFrom(list->substr(start, end - start),
                                   std::string(kPreviousVar) + "[" + std::to_string(index) + "]",
                                   warnings));
      }
      start = end + 1;
    }
  }
  if (const std::string* path = lookup(env, kPreviousFileVar); path && !path->empty()) {
    const std::string content = readFile(*path, kPreviousFileVar);
    const std::string source = std::string(kPreviousFileVar) + "=" + *path;
    size_t line = 0;
    size_t start = 0;
    size_t crlfLines = 0;
    while (start < content.size()) {
      size_t end = content.find('\n', start);
      if (end == std::string::npos) {
        end = content.size();
      }
      ++line;
      std::string entry = content.substr(start, end - start);
      if (!entry.empty() && entry.back() == '\r') {
        entry.pop_back();
        ++crlfLines;
      }
      if (!entry.empty()) {
        previous.push_back(keyFrom(entry, source + ":" + std::to_string(line), warnings));
      }
      start = end + 1;
    }
    if (crlfLines > 0) {
      warnings.push_back(source + ": " + std::to_string(crlfLines) +
                         " line(s) end in a Windows line end (CR LF); the CR was stripped with "
                         "the newline");
    }
  }
  Keyring keyring(std::move(*current), std::move(previous));
  keyring.warnings_ = std::move(warnings);
  return keyring;
}

std::string Keyring::whitespaceProblem(std::string_view text) {
  const auto first = std::find_if_not(text.begin(), text.end(), isKeySpace);
  if (first == text.end()) {
    return text.empty() ? "" : "is only whitespace " + escapedWhitespace(text);
  }
  const auto last = std::find_if_not(text.rbegin(), text.rend(), isKeySpace).base();
  std::vector<std::string> problems;
  if (first != text.begin()) {
    problems.push_back("starts with whitespace " +
                       escapedWhitespace(text.substr(0, first - text.begin())));
  }
  if (last != text.end()) {
    problems.push_back("ends in whitespace " + escapedWhitespace(text.substr(last - text.begin())));
  }
  // Inside: each kind of whitespace other than a space once, in order of appearance.
  std::string inner;
  bool spaces = false;
  size_t hexDigits = 0;
  bool onlyHex = true;
  for (auto it = first; it != last; ++it) {
    const char c = *it;
    if (c == ' ') {
      spaces = true;
    } else if (isKeySpace(c)) {
      if (inner.find(c) == std::string::npos) {
        inner += c;
      }
    } else if (std::isxdigit(static_cast<unsigned char>(c)) != 0) {
      ++hexDigits;
    } else {
      onlyHex = false;
    }
  }
  if (!inner.empty()) {
    problems.push_back("contains whitespace " + escapedWhitespace(inner) + " inside");
  }
  if (spaces && inner.empty() && onlyHex && hexDigits == 64) {
    problems.push_back(
        "is 64 hex digits with spaces between them, so it is taken as a passphrase, not as a "
        "raw key");
  }
  std::string joined;
  for (const std::string& problem : problems) {
    joined += (joined.empty() ? "" : " and ") + problem;
  }
  return joined;
}

std::string Keyring::describeTried(const KdfParams& kdf) const {
  auto describe = [&](const Key& configured) {
    std::string text = configured.source + " (key id ";
    if (kdf.algorithm == Kdf::Direct) {
      text += configured.idHex();
    } else if (configured.passphrase) {
      text += fileKey(configured, kdf).idHex() + " with the file's scrypt parameters";
    } else {
      text += configured.idHex() + ": 64 hex digits, a raw key, not a passphrase";
    }
    if (!configured.whitespace.empty()) {
      text += "; the key text " + configured.whitespace;
    }
    return text + ")";
  };
  std::string text = describe(current_);
  for (const Key& key : previous_) {
    text += ", " + describe(key);
  }
  return text;
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
