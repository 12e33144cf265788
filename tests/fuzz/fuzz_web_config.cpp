// --web.config.file (WebConfig::parse) and the Authorization header check (Authenticator::check).
//
// Part 1: the input as a web config file. Refusal is a Poco::Exception (DataFormatException with
// file:line); anything else escaping is a bug. A file that parses gets an Authenticator, and the
// header check runs against it with headers made from the input: "Basic " + base64 of
// "<a configured user>:scrape-secret" and of "<user>:<the input's last line>", and the last line
// itself as the raw header value.
// Part 2: the whole input as the raw Authorization value against a fixed one-user config.
//
// bcrypt dominates: only users whose hash has cost <= 5 are checked with their own name (the
// seeds use cost 4), and a header naming an unknown user, which costs one cost-10 bcrypt (the
// dummy check that hides which users exist), is checked for 1 input in 16 only.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/Exception.h>

#include "http/WebConfig.h"

using promsnmp::Authenticator;
using promsnmp::AuthResult;
using promsnmp::Scope;
using promsnmp::WebConfig;

namespace {

// bcrypt of "scrape-secret" at cost 4.
const std::string kSecretHash = "$2b$04$sS/x/m8z7kypTCYIlizwjOg24empDwRA0DPXqysUlxR419Jv2kMFu";

void check(bool condition) {
  if (!condition) {
    std::abort();
  }
}

std::string base64(const std::string& text) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder << text;
  encoder.close();
  return out.str();
}

std::string trimSpaces(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) {
    return "";
  }
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

/// The user name check() would look up for `header`, or nullopt when it stops before bcrypt
/// (not Basic, not base64, no colon). Mirrors Authenticator::check only to budget the fuzzer's
/// time; the verdict itself always comes from check().
std::optional<std::string> userOf(const std::string& header) {
  size_t space = header.find(' ');
  if (space == std::string::npos || space != 5) {
    return std::nullopt;
  }
  std::string scheme = header.substr(0, 5);
  for (char& c : scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (scheme != "basic") {
    return std::nullopt;
  }
  std::string decoded;
  try {
    std::istringstream in(trimSpaces(std::string_view(header).substr(space + 1)));
    Poco::Base64Decoder decoder(in);
    std::ostringstream out;
    out << decoder.rdbuf();
    decoded = out.str();
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
  size_t colon = decoded.find(':');
  if (colon == std::string::npos) {
    return std::nullopt;
  }
  return decoded.substr(0, colon);
}

/// The cost field of a bcrypt hash ("$2b$04$..."), or 99 when it is not two digits.
int costOf(const std::string& hash) {
  if (hash.size() < 7 || !std::isdigit(static_cast<unsigned char>(hash[4])) ||
      !std::isdigit(static_cast<unsigned char>(hash[5]))) {
    return 99;
  }
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

/// Whether checking `header` against `config` is cheap enough: no bcrypt, or a cost <= 5 one,
/// or (1 input in 16, by `salt`) the cost-10 dummy for an unknown user.
bool affordable(const WebConfig& config, const std::string& header, uint32_t salt) {
  if (!config.authEnabled()) {
    return true;
  }
  std::optional<std::string> user = userOf(header);
  if (!user) {
    return true;
  }
  auto it = config.basicAuthUsers.find(*user);
  if (it == config.basicAuthUsers.end()) {
    return salt % 16 == 0;
  }
  return costOf(it->second) <= 5;
}

/// Checks `header` and the invariants of the answer; a granted check is repeated to exercise the
/// remembered-success path, which must agree.
void checkHeader(Authenticator& auth, const std::set<std::string>& admins,
                 const std::string& header) {
  const WebConfig& config = auth.config();
  AuthResult result = auth.check(header);
  if (!config.authEnabled()) {
    check(result.outcome == AuthResult::Outcome::Open && result.scope == Scope::Admin);
    return;
  }
  switch (result.outcome) {
    case AuthResult::Outcome::Open:
      std::abort();  // auth is configured: never open
    case AuthResult::Outcome::Granted: {
      check(config.basicAuthUsers.count(result.user) == 1);
      check(result.scope == (admins.count(result.user) != 0 ? Scope::Admin : Scope::Read));
      AuthResult again = auth.check(header);
      check(again.outcome == AuthResult::Outcome::Granted && again.user == result.user &&
            again.scope == result.scope);
      break;
    }
    case AuthResult::Outcome::Missing:
      check(result.scope == Scope::None && result.user.empty() && result.failure.empty());
      check(!result.allows(Scope::Read));
      break;
    case AuthResult::Outcome::Invalid:
      // The user the credentials name stays for the failed-login log; it grants nothing.
      check(result.scope == Scope::None && !result.allows(Scope::Read));
      check(result.failure == "malformed credentials" ||
            (result.failure == "wrong password" && config.basicAuthUsers.count(result.user) == 1) ||
            (result.failure == "unknown user" && config.basicAuthUsers.count(result.user) == 0));
      break;
  }
}

uint32_t saltOf(std::string_view text) {
  uint32_t h = 2166136261u;
  for (char c : text) {
    h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  return h;
}

void fuzzConfigFile(std::string_view text, uint32_t salt) {
  WebConfig config;
  try {
    config = WebConfig::parse(text, "fuzz");
  } catch (const Poco::Exception&) {
    return;  // the expected refusal
  }
  check(config.authEnabled() == !config.basicAuthUsers.empty());
  for (const auto& [user, hash] : config.basicAuthUsers) {
    check(!user.empty() && hash.size() == 60 && hash[0] == '$');
  }
  // The first user is an admin, the others read-only.
  std::set<std::string> admins;
  if (!config.basicAuthUsers.empty()) {
    admins.insert(config.basicAuthUsers.begin()->first);
  }
  Authenticator auth(config, admins);

  std::string lastLine(
      text.substr(text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1));
  if (lastLine.size() > 200) {
    lastLine.resize(200);
  }
  std::vector<std::string> headers = {"", lastLine};
  for (const auto& [user, hash] : config.basicAuthUsers) {
    headers.push_back("Basic " + base64(user + ":scrape-secret"));
    headers.push_back("basic  " + base64(user + ":" + lastLine) + " ");
    if (headers.size() >= 8) {
      break;
    }
  }
  for (const std::string& header : headers) {
    if (affordable(config, header, salt)) {
      checkHeader(auth, admins, header);
    }
  }
  // The known password against the known hash must be granted.
  for (const auto& [user, hash] : config.basicAuthUsers) {
    if (hash == kSecretHash && user.find(':') == std::string::npos) {
      AuthResult granted = auth.check("Basic " + base64(user + ":scrape-secret"));
      check(granted.outcome == AuthResult::Outcome::Granted && granted.user == user);
      break;
    }
  }
}

void fuzzRawHeader(const std::string& header, uint32_t salt) {
  static const std::set<std::string> admins = {"ops"};
  static Authenticator* auth = [] {
    WebConfig config;
    config.basicAuthUsers["prometheus"] = kSecretHash;
    config.basicAuthUsers["ops"] = kSecretHash;
    return new Authenticator(config, admins);
  }();
  if (affordable(auth->config(), header, salt)) {
    checkHeader(*auth, admins, header);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 16384) {
    return 0;  // web config files are small; the conversion is bounded in nodes and depth
  }
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const uint32_t salt = saltOf(text);
  fuzzConfigFile(text, salt);
  fuzzRawHeader(std::string(text), salt);
  return 0;
}
