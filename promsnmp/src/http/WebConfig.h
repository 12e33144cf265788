#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace promsnmp {

// Access control: `--web.config.file` in the Prometheus exporter-toolkit format, so that
// `promtool check web-config` validates the same file:
//
//   basic_auth_users:
//     prometheus: $2y$10$...   # bcrypt: htpasswd -nBC 10 "" | tr -d ':\n'
//     ops: $2y$10$...
//   http_server_config:
//     headers:
//       X-Frame-Options: deny
//
// Scopes are promsnmp's (the toolkit has none) and live in promsnmp.cfg, not in this file, so the
// file stays toolkit-valid: every user of basic_auth_users has `read` (scrapes, targets, health,
// the inventory without credentials); the users named in `web.admin_users` also have `admin`
// (inventory writes, discovery, evictCache, reload, includeCredentials=true).
//
// The file is YAML, read with yaml-cpp (flow mappings such as `basic_auth_users: {}`, quoting
// and comments as YAML defines them); the schema is checked on the result and every error names
// file:line — as the toolkit, unknown keys and duplicate keys are refused.
//
// `tls_server_config` serves HTTPS (POCO NetSSL over OpenSSL): cert_file and key_file (PEM),
// min_version/max_version (TLS10 … TLS13; default min TLS12), client_auth_type NoClientCert,
// VerifyClientCertIfGiven or RequireAndVerifyClientCert with client_ca_file. The toolkit's other
// TLS keys (inline cert/key, cipher_suites, curve_preferences, client_allowed_sans, the other
// client auth types) are refused with a clear message rather than ignored. Certificates are read
// at start; rotating them needs a restart (users and passwords are re-read on change).

/// `tls_server_config`. Plain data; empty certFile = no TLS.
struct TlsConfig {
  std::string certFile;
  std::string keyFile;
  std::string clientCaFile;
  std::string clientAuthType = "NoClientCert";
  std::string minVersion = "TLS12";
  std::string maxVersion;  // "" = the library's newest

  bool enabled() const { return !certFile.empty(); }
};

/// The parsed file. Plain data.
struct WebConfig {
  TlsConfig tls;
  std::map<std::string, std::string> basicAuthUsers;         // user → bcrypt hash
  std::vector<std::pair<std::string, std::string>> headers;  // added to every response

  bool authEnabled() const { return !basicAuthUsers.empty(); }

  /// Parses `text` (from `source`, for messages). Throws Poco::DataFormatException naming
  /// source:line on bad YAML, an unknown or unsupported key, or a hash that is not bcrypt.
  static WebConfig parse(std::string_view text, const std::string& source);
  /// Reads and parses `path`. Throws Poco::FileException or Poco::DataFormatException.
  static WebConfig load(const std::string& path);
};

/// What a request may do.
enum class Scope : uint8_t { None, Read, Admin };

/// The answer to Authenticator::check().
struct AuthResult {
  enum class Outcome {
    Open,     // no auth configured: everything allowed, as in the Java PromSNMP
    Granted,  // valid credentials
    Missing,  // no (or a non-Basic) Authorization header
    Invalid,  // unknown user, wrong password, malformed header
  };
  Outcome outcome = Outcome::Open;
  Scope scope = Scope::Admin;
  std::string user;     // for logs: the user the credentials name (Granted or Invalid), or ""
  std::string failure;  // Invalid: "wrong password", "unknown user" or "malformed credentials"

  bool allows(Scope needed) const {
    return static_cast<uint8_t>(scope) >= static_cast<uint8_t>(needed);
  }
};

/// Checks `Authorization: Basic` headers against a WebConfig. bcrypt costs tens of milliseconds
/// per check by design, and Prometheus sends the same credentials on every scrape: like the
/// toolkit, a successful check is remembered (keyed by a SHA-256 of user and password, never the
/// password itself), bounded in size. Failures are never remembered. Thread-safe.
class Authenticator {
 public:
  Authenticator(WebConfig config, std::set<std::string> adminUsers);

  /// `authorization` is the header's value ("" when absent).
  AuthResult check(const std::string& authorization);

  const WebConfig& config() const { return config_; }

 private:
  bool verify(const std::string& user, const std::string& password);

  const WebConfig config_;
  const std::set<std::string> adminUsers_;
  std::mutex mutex_;
  std::unordered_map<std::string, bool> verified_;  // sha256(user NUL password) → true
};

/// The access control of a running server. The file is re-read when it changes (checked at most
/// once a second, one stat), so users and passwords change without a restart; a file that no
/// longer loads keeps the last good configuration in force and is reported (lastError(), logged
/// once per change). Thread-safe.
class WebAccess {
 public:
  /// Loads `path`. `adminUsers` must all be users of the file. Throws Poco::Exception on a bad
  /// file or an unknown admin: the server must not start with access control it cannot enforce.
  WebAccess(std::string path, std::set<std::string> adminUsers);

  /// Checks an Authorization header value against the current configuration.
  AuthResult check(const std::string& authorization);
  /// Headers to add to every response.
  std::vector<std::pair<std::string, std::string>> headers();
  /// "" when the file in force is the file on disk, else why the file on disk is not used.
  std::string lastError();
  /// The TLS settings read at start (the server socket is made once).
  const TlsConfig& tls() const { return tls_; }

  /// Parses the comma-separated `web.admin_users` value.
  static std::set<std::string> parseUsers(const std::string& list);

 private:
  std::shared_ptr<Authenticator> current();
  std::shared_ptr<Authenticator> build() const;

  const std::string path_;
  const std::set<std::string> adminUsers_;
  TlsConfig tls_;
  std::mutex mutex_;
  std::shared_ptr<Authenticator> current_;
  int64_t mtimeNs_ = 0;
  int64_t checkedAtNs_ = 0;  // steady clock
  std::string lastError_;
};

/// A new bcrypt ($2b$) hash of `password` at `cost` (4 to 31), with a random salt from the
/// system. Throws Poco::Exception when libcrypt cannot make one.
std::string bcryptHash(const std::string& password, int cost = 10);

/// `promsnmp hash-password [--cost N]`: reads a password (the first line of stdin) and prints its
/// bcrypt hash for basic_auth_users. Returns the exit code.
int runHashPassword(const std::vector<std::string>& args);

/// True when `password` matches the bcrypt `hash` ($2a$, $2b$ or $2y$). Constant time in the
/// comparison; bcrypt's own cost dominates. Thread-safe.
bool bcryptMatches(const std::string& password, const std::string& hash);

}  // namespace promsnmp
