#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inventoryfs {

/// How a file's AES-256 key was derived from the configured key text (the envelope's kdf
/// field, Envelope.h). Part of the file format: values are never reused.
enum class Kdf : uint8_t {
  Direct = 0,  // the configured key as is: 64 hex digits, or HKDF-SHA256 of other text
  Scrypt = 1,  // scrypt(passphrase, salt, N = 2^log2N, r, p): a password KDF
};

/// The key derivation of one file: algorithm, cost and salt. All zero for Kdf::Direct.
struct KdfParams {
  Kdf algorithm = Kdf::Direct;
  uint8_t log2N = 0;
  uint16_t r = 0;
  uint16_t p = 0;
  std::array<uint8_t, 16> salt{};
  bool operator==(const KdfParams&) const = default;
};

/// The cost of scrypt for files this process writes. The default costs about 16 MiB and
/// 50-100 ms on one core of a current server; tests may pass a smaller cost explicitly.
struct ScryptCost {
  uint8_t log2N = 14;
  uint16_t r = 8;
  uint16_t p = 1;
};

/// Readers refuse scrypt parameters needing more memory than this (a file is no reason to
/// exhaust the host).
inline constexpr uint64_t kMaxScryptMemoryBytes = uint64_t{256} << 20;

/// An AES-256 key with its public id (first 8 bytes of SHA-256 over a label and the key), and,
/// when the configured text is exactly 16 bytes, the raw text the Java PromSNMP uses as its
/// AES-128 key for legacy files. Text that is not 64 hex digits is a passphrase: `bytes` is then
/// its HKDF derivation (what format-2 files use) and `passphrase` keeps the text, from which
/// files of format 3 derive their key with scrypt.
struct Key {
  std::array<uint8_t, 32> bytes{};
  std::array<uint8_t, 8> id{};
  std::optional<std::string> legacy;      // raw 16-byte AES-128 key of Java files
  std::optional<std::string> passphrase;  // set unless the text was 64 hex digits
  // Where it came from, as an operator would look for it: "PROM_ENCRYPT_KEY",
  // "PROM_ENCRYPT_KEY_FILE=/run/secrets/key", "systemd credential /run/credentials/...",
  // "PROM_ENCRYPT_KEY_PREVIOUS[2]", "PROM_ENCRYPT_KEY_PREVIOUS_FILE=/etc/old-keys:3".
  std::string source;
  // Whitespace in the configured text that is probably not meant (Keyring::whitespaceProblem),
  // or "": it is part of the key all the same.
  std::string whitespace;

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
  /// Key files may end in one newline ("\n" or "\r\n"; lines of the previous-keys file may end
  /// in "\r"), which is not part of the key; any other whitespace is (see warnings()). Throws
  /// KeyConfigException naming the setting when no key is configured, a file cannot be read, or
  /// a setting is empty.
  static Keyring fromEnvironment(const std::map<std::string, std::string>& env);

  /// The process environment as a map, for fromEnvironment.
  static std::map<std::string, std::string> processEnvironment();

  /// What in configured key text is whitespace an operator probably did not mean, or "" when
  /// nothing is: leading or trailing whitespace, and inner whitespace other than a space (tabs,
  /// line breaks, a CR), each shown escaped (`ends in whitespace " \r"`); inner spaces only
  /// when the rest is 64 hex digits (a raw key split for reading, taken as a passphrase). Such
  /// text is still the key (changing that would change key ids of existing files); fromEnvironment
  /// sets Key::whitespace and warnings() from it. Never shows key text. Thread-safe.
  static std::string whitespaceProblem(std::string_view text);

  /// One line per configured key whose text has a whitespaceProblem, or whose file ended in a
  /// Windows line end (CR LF, stripped like "\n"), naming the source, never the key: for the
  /// daemon's log and the CLI's stderr at load. Empty for a keyring not made by
  /// fromEnvironment.
  const std::vector<std::string>& warnings() const { return warnings_; }

  /// "PROM_ENCRYPT_KEY_FILE=/k (key id 9f3e...), PROM_ENCRYPT_KEY_PREVIOUS[1] (key id ...)":
  /// every configured key in the order tried (current first), with the id it gives for a file
  /// of this kdf (a passphrase's scrypt derivation for Kdf::Scrypt, cached as fileKey) and its
  /// whitespace problem; for a WrongKeyException. Throws as fileKey. Thread-safe.
  std::string describeTried(const KdfParams& kdf) const;

  /// `cost` is the scrypt cost of passphrase keys for files written with this keyring.
  explicit Keyring(Key current, std::vector<Key> previous = {}, ScryptCost cost = {});

  const Key& current() const { return current_; }
  const std::vector<Key>& previous() const { return previous_; }
  const ScryptCost& scryptCost() const { return cost_; }

  /// The kdf of a new file sealed with the current key: Direct for a 64-hex-digit key, else
  /// scrypt with this keyring's cost and a salt drawn once at construction (so stand-alone
  /// seals derive once per process; an inventory keeps the salt of its first version).
  const KdfParams& newFileKdf() const { return newFileKdf_; }

  /// The key with this id among the configured keys as they are (Kdf::Direct), or nullptr.
  const Key* find(const std::array<uint8_t, 8>& id) const;

  /// The key a file with `kdf` uses when sealed with the configured key `configured`: the key
  /// itself for Kdf::Direct and for raw 64-hex-digit keys, else scrypt of its passphrase with
  /// the salt and cost of `kdf`; a derived key's id is over a label of its own, so it never
  /// equals a Direct key id. Derived keys are cached in the process per (key, salt, cost), so
  /// a reader or writer of one inventory pays scrypt once, whichever keyring asks. Throws
  /// InventoryException on parameters beyond kMaxScryptMemoryBytes. Thread-safe.
  Key fileKey(const Key& configured, const KdfParams& kdf) const;

  /// The configured key that opens a file with this kdf and key id (fileKey of the current key,
  /// then of the previous ones), or nullopt. Thread-safe.
  std::optional<Key> findFileKey(const KdfParams& kdf, const std::array<uint8_t, 8>& id) const;

  /// Keys usable for Java legacy files (those whose text is 16 bytes), current first.
  std::vector<const Key*> legacyKeys() const;

 private:
  Key current_;
  std::vector<Key> previous_;
  ScryptCost cost_;
  KdfParams newFileKdf_;
  std::vector<std::string> warnings_;
};

}  // namespace inventoryfs
