#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace inventoryfs {

/// An AES-256 key with its public id (first 8 bytes of SHA-256 over a label and the key), and,
/// when the configured text is exactly 16 bytes, the raw text the Java PromSNMP uses as its
/// AES-128 key for legacy files.
struct Key {
  std::array<uint8_t, 32> bytes{};
  std::array<uint8_t, 8> id{};
  std::optional<std::string> legacy;  // raw 16-byte AES-128 key of Java files
  std::string source;                 // where it came from: "PROM_ENCRYPT_KEY", a file path, ...

  /// The id as 16 lowercase hex digits.
  std::string idHex() const;
};

/// The keys a process may use: one current key (encrypts and decrypts) and any number of
/// previous keys (decrypt only, for rotation). Immutable after construction; thread-safe.
class Keyring {
 public:
  /// Derives a key from configured text: 64 hex digits are taken as the raw 32 bytes; any other
  /// non-empty text goes through HKDF-SHA256. Throws KeyConfigException on empty text.
  static Key deriveKey(const std::string& text, const std::string& source);

  /// Reads the key settings from an environment (a name→value map, so tests need no setenv):
  /// current key from PROM_ENCRYPT_KEY, else the file named by PROM_ENCRYPT_KEY_FILE, else the
  /// systemd credential $CREDENTIALS_DIRECTORY/promsnmp-encrypt-key; previous keys from
  /// PROM_ENCRYPT_KEY_PREVIOUS (comma-separated) and PROM_ENCRYPT_KEY_PREVIOUS_FILE.
  /// Key files may end in one newline. Throws KeyConfigException naming the setting when no
  /// key is configured, a file cannot be read, or a setting is empty.
  static Keyring fromEnvironment(const std::map<std::string, std::string>& env);

  /// The process environment as a map, for fromEnvironment.
  static std::map<std::string, std::string> processEnvironment();

  explicit Keyring(Key current, std::vector<Key> previous = {});

  const Key& current() const { return current_; }
  const std::vector<Key>& previous() const { return previous_; }

  /// The key with this id, or nullptr.
  const Key* find(const std::array<uint8_t, 8>& id) const;

  /// Keys usable for Java legacy files (those whose text is 16 bytes), current first.
  std::vector<const Key*> legacyKeys() const;

 private:
  Key current_;
  std::vector<Key> previous_;
};

}  // namespace inventoryfs
