#include "http/WebConfig.h"

#include <crypt.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/SHA2Engine.h>
#include <Poco/String.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "common/Logging.h"

namespace promsnmp {

using common::logEvent;
using common::logger;

namespace {

// ---- YAML (yaml-cpp) ---------------------------------------------------------------------------

/// A mapping or a scalar, with the line it starts on: the shape the schema below reads, taken
/// from yaml-cpp's tree so that the schema's errors name lines.
struct Node {
  Node() {}  // user-provided: clang + libstdc++ 12 reject the implicit one for this recursive pair
  bool mapping = false;
  std::string scalar;
  std::vector<std::pair<std::string, Node>> entries;
  int line = 0;
};

[[noreturn]] void fail(const std::string& source, int line, const std::string& what) {
  throw Poco::DataFormatException(source + ":" + std::to_string(line) + ": " + what);
}

int lineOf(const YAML::Mark& mark) { return mark.is_null() ? 0 : mark.line + 1; }

// Bounds of the tree: the schema is three levels deep, and an alias can make yaml-cpp's graph
// cyclic (`a: &x [*x]`) or exponential (nested aliases), so conversion must not trust it.
constexpr int kMaxDepth = 16;
constexpr size_t kMaxNodes = 10000;

/// Converts a yaml-cpp node. A null (`key:` with nothing under it) is an empty mapping, as for
/// the toolkit; a sequence is refused (no key of this file takes a list).
Node convert(const YAML::Node& yaml, const std::string& source, int depth, size_t& nodes) {
  Node node;
  node.line = lineOf(yaml.Mark());
  if (depth > kMaxDepth || ++nodes > kMaxNodes) {
    fail(source, node.line, "nested too deeply or too large for a web config");
  }
  switch (yaml.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      node.mapping = true;
      break;
    case YAML::NodeType::Scalar:
      node.scalar = yaml.Scalar();
      break;
    case YAML::NodeType::Sequence:
      fail(source, node.line, "lists are not supported by promsnmp's web config");
    case YAML::NodeType::Map:
      node.mapping = true;
      for (const auto& entry : yaml) {
        const int keyLine = lineOf(entry.first.Mark());
        if (!entry.first.IsScalar()) {
          fail(source, keyLine, "a key must be a plain or quoted string");
        }
        const std::string key = entry.first.Scalar();
        if (key.empty()) {
          fail(source, keyLine, "empty key");
        }
        for (const auto& [seen, value] : node.entries) {
          if (seen == key) {
            fail(source, keyLine, "duplicate key '" + key + "'");
          }
        }
        Node child = convert(entry.second, source, depth + 1, nodes);
        if (child.line == 0) {
          child.line = keyLine;  // a null value has no mark of its own
        }
        node.entries.emplace_back(key, std::move(child));
      }
      break;
  }
  return node;
}

/// Where each document of a stream starts; nothing else of the events is kept.
class DocumentMarks : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

Node parseYaml(std::string_view text, const std::string& source) {
  const std::string input(text);
  YAML::Node document;
  try {
    // At most two documents are read: yaml-cpp 0.7's LoadAll() never ends on a stray ',' at
    // the top level (an empty document each time), so a second one is refused, not awaited.
    std::istringstream stream(input);
    YAML::Parser parser(stream);
    DocumentMarks marks;
    if (parser.HandleNextDocument(marks) && parser.HandleNextDocument(marks) &&
        marks.starts.size() > 1) {
      fail(source, lineOf(marks.starts[1]), "one YAML document only");
    }
    document = YAML::Load(input);
  } catch (const YAML::Exception& e) {
    fail(source, lineOf(e.mark), e.msg);
  }
  if (document.IsNull()) {
    Node empty;
    empty.mapping = true;
    return empty;
  }
  if (!document.IsMap()) {
    fail(source, lineOf(document.Mark()), "the top level must be a mapping of 'key: value'");
  }
  size_t nodes = 0;
  return convert(document, source, 0, nodes);
}

void expectMapping(const Node& node, const std::string& key, const std::string& source) {
  if (!node.mapping) {
    fail(source, node.line, "'" + key + "' must be a mapping, not a value");
  }
}

bool isBcrypt(const std::string& hash) {
  return hash.size() == 60 &&
         (hash.rfind("$2a$", 0) == 0 || hash.rfind("$2b$", 0) == 0 || hash.rfind("$2y$", 0) == 0);
}

std::string sha256(const std::string& text) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(text);
  const Poco::DigestEngine::Digest& d = engine.digest();
  return std::string(d.begin(), d.end());
}

constexpr size_t kMaxRemembered = 1024;

const std::set<std::string> kTlsVersions = {"TLS10", "TLS11", "TLS12", "TLS13"};

TlsConfig parseTls(const Node& node, const std::string& source) {
  TlsConfig tls;
  for (const auto& [name, value] : node.entries) {
    if (value.mapping) {
      fail(source, value.line, "'" + name + "' needs a value");
    }
    const std::string& v = value.scalar;
    if (name == "cert_file") {
      tls.certFile = v;
    } else if (name == "key_file") {
      tls.keyFile = v;
    } else if (name == "client_ca_file") {
      tls.clientCaFile = v;
    } else if (name == "client_auth_type") {
      if (v != "NoClientCert" && v != "VerifyClientCertIfGiven" &&
          v != "RequireAndVerifyClientCert") {
        fail(source, value.line,
             "client_auth_type '" + v +
                 "' is not supported: use NoClientCert, VerifyClientCertIfGiven or "
                 "RequireAndVerifyClientCert");
      }
      tls.clientAuthType = v;
    } else if (name == "min_version" || name == "max_version") {
      if (kTlsVersions.count(v) == 0) {
        fail(source, value.line, name + " must be TLS10, TLS11, TLS12 or TLS13");
      }
      (name == "min_version" ? tls.minVersion : tls.maxVersion) = v;
    } else if (name == "cert" || name == "key" || name == "cipher_suites" ||
               name == "curve_preferences" || name == "prefer_server_cipher_suites" ||
               name == "client_allowed_sans") {
      fail(source, value.line,
           "tls_server_config: '" + name +
               "' is not supported by promsnmp (use cert_file and key_file; OpenSSL's defaults "
               "choose ciphers and curves)");
    } else {
      fail(source, value.line, "unknown key '" + name + "' in tls_server_config");
    }
  }
  if (tls.certFile.empty() != tls.keyFile.empty()) {
    fail(source, node.line, "tls_server_config needs both cert_file and key_file");
  }
  if (tls.clientAuthType != "NoClientCert" && tls.clientCaFile.empty()) {
    fail(source, node.line, "client_auth_type " + tls.clientAuthType + " needs client_ca_file");
  }
  if (!tls.maxVersion.empty() && tls.maxVersion < tls.minVersion) {
    fail(source, node.line, "max_version is below min_version");
  }
  return tls;
}

}  // namespace

WebConfig WebConfig::parse(std::string_view text, const std::string& source) {
  Node root = parseYaml(text, source);
  WebConfig config;
  for (const auto& [key, node] : root.entries) {
    if (key == "basic_auth_users") {
      expectMapping(node, key, source);
      for (const auto& [user, hash] : node.entries) {
        if (hash.mapping || !isBcrypt(hash.scalar)) {
          fail(source, hash.line,
               "the password of '" + user +
                   "' must be a bcrypt hash ($2y$..., 60 characters: htpasswd -nBC 10 \"\" | tr "
                   "-d ':\\n')");
        }
        config.basicAuthUsers[user] = hash.scalar;
      }
    } else if (key == "http_server_config") {
      expectMapping(node, key, source);
      for (const auto& [name, value] : node.entries) {
        if (name == "headers") {
          expectMapping(value, name, source);
          for (const auto& [header, content] : value.entries) {
            if (content.mapping) {
              fail(source, content.line, "header '" + header + "' needs a value");
            }
            config.headers.emplace_back(header, content.scalar);
          }
        } else if (name == "http2") {
          // HTTP/2 is never offered (POCO speaks HTTP/1.1); true or false are both accepted.
          if (value.scalar != "true" && value.scalar != "false") {
            fail(source, value.line, "http2 must be true or false");
          }
        } else {
          fail(source, value.line, "unknown key '" + name + "' in http_server_config");
        }
      }
    } else if (key == "tls_server_config") {
      expectMapping(node, key, source);
      config.tls = parseTls(node, source);
    } else if (key == "rate_limit") {
      fail(source, node.line,
           "'rate_limit' is not supported by promsnmp: use its own limits (README, \"Limits\")");
    } else {
      fail(source, node.line, "unknown key '" + key + "'");
    }
  }
  return config;
}

WebConfig WebConfig::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Poco::FileException("cannot read web config file", path);
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

bool bcryptMatches(const std::string& password, const std::string& hash) {
  if (!isBcrypt(hash) || password.find('\0') != std::string::npos) {
    return false;
  }
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') {
    return false;
  }
  std::string_view computed(out);
  if (computed.size() != hash.size()) {
    return false;
  }
  unsigned char diff = 0;
  for (size_t i = 0; i < hash.size(); ++i) {
    diff |= static_cast<unsigned char>(computed[i] ^ hash[i]);
  }
  return diff == 0;
}

std::string bcryptHash(const std::string& password, int cost) {
  if (password.find('\0') != std::string::npos) {
    throw Poco::InvalidArgumentException("a password cannot contain NUL");
  }
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2b$", static_cast<unsigned long>(cost), nullptr, 0, salt, sizeof salt) ==
      nullptr) {
    throw Poco::InvalidArgumentException("cannot make a bcrypt salt (cost 4 to 31)");
  }
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), salt, data.get(), sizeof(crypt_data));
  if (out == nullptr || out[0] == '*') {
    throw Poco::SystemException("bcrypt failed");
  }
  return out;
}

int runHashPassword(const std::vector<std::string>& args) {
  int cost = 10;
  for (size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--cost" || args[i] == "-cost") && i + 1 < args.size()) {
      try {
        cost = std::stoi(args[++i]);
      } catch (const std::exception&) {
        cost = -1;
      }
    } else if (args[i] == "--help" || args[i] == "-h") {
      std::cout << "usage: promsnmp hash-password [--cost N]\n"
                   "Reads a password from the first line of standard input and prints its bcrypt "
                   "hash\nfor basic_auth_users in the web config file (--web.config.file). Cost "
                   "10 by default.\n  echo -n 'secret' | promsnmp hash-password\n";
      return 0;
    } else {
      std::cerr << "promsnmp hash-password: unknown argument '" << args[i] << "'\n";
      return 64;
    }
  }
  if (cost < 4 || cost > 31) {
    std::cerr << "promsnmp hash-password: --cost takes 4 to 31\n";
    return 64;
  }
  std::string password;
  if (!std::getline(std::cin, password) || password.empty()) {
    std::cerr << "promsnmp hash-password: no password on standard input\n";
    return 64;
  }
  if (!password.empty() && password.back() == '\r') {
    password.pop_back();
  }
  try {
    std::cout << bcryptHash(password, cost) << "\n";
  } catch (const Poco::Exception& e) {
    std::cerr << "promsnmp hash-password: " << e.displayText() << "\n";
    return 1;
  }
  return 0;
}

Authenticator::Authenticator(WebConfig config, std::set<std::string> adminUsers)
    : config_(std::move(config)), adminUsers_(std::move(adminUsers)) {}

AuthResult Authenticator::check(const std::string& authorization) {
  AuthResult result;
  if (!config_.authEnabled()) {
    return result;  // Open, Admin
  }
  result.scope = Scope::None;
  std::string_view header = authorization;
  size_t space = header.find(' ');
  if (header.empty() || space == std::string_view::npos ||
      Poco::icompare(header.substr(0, space), "basic") != 0) {
    result.outcome = AuthResult::Outcome::Missing;
    return result;
  }
  result.outcome = AuthResult::Outcome::Invalid;
  result.failure = "malformed credentials";
  std::string decoded;
  try {
    std::string credentials(header.substr(space + 1));
    std::istringstream in(Poco::trimInPlace(credentials));
    Poco::Base64Decoder decoder(in);
    std::ostringstream out;
    out << decoder.rdbuf();
    decoded = out.str();
  } catch (const Poco::Exception&) {
    return result;
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    return result;
  }
  result.user = decoded.substr(0, colon);
  if (!verify(result.user, decoded.substr(colon + 1))) {
    result.failure =
        config_.basicAuthUsers.count(result.user) != 0 ? "wrong password" : "unknown user";
    return result;
  }
  result.outcome = AuthResult::Outcome::Granted;
  result.failure.clear();
  result.scope = adminUsers_.count(result.user) != 0 ? Scope::Admin : Scope::Read;
  return result;
}

bool Authenticator::verify(const std::string& user, const std::string& password) {
  auto it = config_.basicAuthUsers.find(user);
  if (it == config_.basicAuthUsers.end()) {
    // Spend about the same time as for a known user, so timing does not reveal user names.
    static const std::string kDummy =
        "$2b$10$PjB9Zy5OuWcccZMKEemQxOE9rzOWm7uoMGlQm.LX2ltCJhshmXgWG";  // bcrypt of "x"
    bcryptMatches(password, kDummy);
    return false;
  }
  std::string key = sha256(user + '\0' + password);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (verified_.count(key) != 0) {
      return true;
    }
  }
  if (!bcryptMatches(password, it->second)) {
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (verified_.size() >= kMaxRemembered) {
    verified_.clear();
  }
  verified_.emplace(std::move(key), true);
  return true;
}

namespace {

int64_t modifiedNs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return -1;
  }
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

int64_t steadyNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

WebAccess::WebAccess(std::string path, std::set<std::string> adminUsers)
    : path_(std::move(path)), adminUsers_(std::move(adminUsers)) {
  mtimeNs_ = modifiedNs(path_);
  current_ = build();
  tls_ = current_->config().tls;
  checkedAtNs_ = steadyNs();
}

std::shared_ptr<Authenticator> WebAccess::build() const {
  WebConfig config = WebConfig::load(path_);
  for (const std::string& admin : adminUsers_) {
    if (config.basicAuthUsers.count(admin) == 0) {
      throw Poco::DataFormatException("web.admin_users names '" + admin +
                                      "', who is not in basic_auth_users of " + path_);
    }
  }
  return std::make_shared<Authenticator>(std::move(config), adminUsers_);
}

std::shared_ptr<Authenticator> WebAccess::current() {
  std::lock_guard<std::mutex> lock(mutex_);
  int64_t now = steadyNs();
  if (now - checkedAtNs_ < 1000000000) {
    return current_;
  }
  checkedAtNs_ = now;
  int64_t mtime = modifiedNs(path_);
  if (mtime == mtimeNs_) {
    return current_;
  }
  mtimeNs_ = mtime;
  try {
    current_ = build();
    if (!lastError_.empty()) {
      logEvent(logger("promsnmp.web"), Poco::Message::PRIO_INFORMATION, "web config reloaded",
               {{"file", path_}});
    }
    lastError_.clear();
  } catch (const Poco::Exception& e) {
    lastError_ = e.displayText();
    logEvent(logger("promsnmp.web"), Poco::Message::PRIO_ERROR,
             "web config unusable, keeping the last good one", {{"error", lastError_}});
  }
  return current_;
}

AuthResult WebAccess::check(const std::string& authorization) {
  return current()->check(authorization);
}

std::vector<std::pair<std::string, std::string>> WebAccess::headers() {
  return current()->config().headers;
}

std::string WebAccess::lastError() {
  current();
  std::lock_guard<std::mutex> lock(mutex_);
  return lastError_;
}

std::set<std::string> WebAccess::parseUsers(const std::string& list) {
  std::set<std::string> users;
  std::istringstream in(list);
  std::string user;
  while (std::getline(in, user, ',')) {
    Poco::trimInPlace(user);
    if (!user.empty()) {
      users.insert(user);
    }
  }
  return users;
}

}  // namespace promsnmp
