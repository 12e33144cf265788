#include "DaemonHelpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <Poco/Base64Encoder.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include "ProcessHelpers.h"

namespace testing {

namespace {

// The secret-leak audit (issue 7: secrets never appear in logs, /targets, metrics, error bodies
// or /config). Every answer a test receives through httpRequest is kept per port, except those
// to an explicit `includeCredentials=true`; when a Daemon is destroyed, its log and the answers
// from its port are searched for every secret it held: the encryption keys and passwords in its
// environment and each community and passphrase of its last inventory (read with the CLI).
// Leaks are collected, and at exit a test binary that saw any prints them and exits 1.
constexpr std::size_t kTranscriptCap = std::size_t{32} << 20;
constexpr std::size_t kMinSecretBytes = 6;  // shorter test values ("x", "c") match anything
const char kAnswerMark = '\x1e';            // starts each answer's request line in a transcript
std::mutex auditMutex;
std::map<int, std::string> transcripts;  // port -> the answers received from it
std::vector<std::string> leaks;

void reportLeaksAtExit() {
  std::lock_guard<std::mutex> lock(auditMutex);
  if (leaks.empty()) {
    return;
  }
  std::cerr << "\nSECRET LEAK AUDIT: " << leaks.size() << " secret(s) found where none may be:\n";
  for (const std::string& leak : leaks) {
    std::cerr << "  " << leak << "\n";
  }
  std::cerr.flush();
  std::_Exit(1);
}

void recordAnswer(int port, const std::string& method, const std::string& pathAndQuery,
                  const HttpAnswer& answer) {
  if (pathAndQuery.find("includeCredentials=true") != std::string::npos) {
    return;  // credentials asked for (the admin's explicit export)
  }
  std::lock_guard<std::mutex> lock(auditMutex);
  std::string& text = transcripts[port];
  if (text.size() > kTranscriptCap) {
    return;
  }
  text += kAnswerMark + method + " " + pathAndQuery + " -> " + std::to_string(answer.status) + "\n";
  for (const auto& [name, value] : answer.headers) {
    text += name + ": " + value + "\n";
  }
  text += answer.body + "\n";
}

/// The secrets a daemon with `env` held: keys and passwords from the environment, and the
/// credentials of its inventory's newest version when the CLI can read it.
std::map<std::string, std::string> secretsOf(const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> secrets;  // value -> what it is
  for (const auto& [name, value] : env) {
    const bool secretName = name.rfind("PROM_ENCRYPT_KEY", 0) == 0 ||
                            name.find("PASSWORD") != std::string::npos ||
                            name.find("SECRET") != std::string::npos;
    if (secretName && name.find("_FILE") == std::string::npos && !value.empty() &&
        value[0] != '/') {
      secrets[value] = name;
    }
  }
  if (env.count("PROM_INV_FILE") != 0) {
    ProcessResult shown = runProcess({std::string(PROMSNMP_BIN_DIR) + "/promsnmp-inventory", "show",
                                      "--json", "--include-credentials"},
                                     env, 30);
    if (shown.code == 0) {
      static const std::regex credential(
          R"re("(readCommunity|writeCommunity|authPassphrase|privPassphrase)"\s*:\s*"([^"]+)")re");
      for (std::sregex_iterator it(shown.out.begin(), shown.out.end(), credential), end; it != end;
           ++it) {
        secrets[(*it)[2].str()] = (*it)[1].str();
      }
    }
  }
  for (auto it = secrets.begin(); it != secrets.end();) {
    it = it->first.size() < kMinSecretBytes ? secrets.erase(it) : std::next(it);
  }
  return secrets;
}

/// Records each secret of `secrets` found in `text` (from `where`).
void searchForLeaks(const std::map<std::string, std::string>& secrets, const std::string& text,
                    const std::string& where) {
  for (const auto& [value, what] : secrets) {
    const std::size_t at = text.find(value);
    if (at == std::string::npos) {
      continue;
    }
    const std::size_t from = at > 60 ? at - 60 : 0;
    std::string context = text.substr(from, value.size() + 120);
    for (char& c : context) {
      c = c == '\n' ? ' ' : c;
    }
    // In a transcript, name the request whose answer it was.
    const std::size_t mark = text.rfind(kAnswerMark, at);
    const std::string request =
        mark == std::string::npos
            ? ""
            : " (" + text.substr(mark + 1, text.find('\n', mark) - mark - 1) + ")";
    std::lock_guard<std::mutex> lock(auditMutex);
    leaks.push_back(what + " \"" + value + "\" in " + where + request + ": ..." + context + "...");
  }
}

std::string unescape(const std::string& raw) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      char c = raw[++i];
      out += c == 'n' ? '\n' : c;
    } else {
      out += raw[i];
    }
  }
  return out;
}

}  // namespace

int freeTcpPort() { return freePort(SOCK_STREAM); }

HttpAnswer httpRequest(int port, const std::string& method, const std::string& pathAndQuery,
                       const std::map<std::string, std::string>& headers, const std::string& body,
                       int timeoutMs) {
  HttpAnswer answer;
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<uint16_t>(port));
    session.setTimeout(Poco::Timespan(static_cast<long>(timeoutMs) * 1000));
    Poco::Net::HTTPRequest request(method, pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : headers) {
      request.set(name, value);
    }
    if (!body.empty()) {
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      request.setContentType("application/json");
    }
    std::ostream& out = session.sendRequest(request);
    out << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Poco::StreamCopier::copyToString(in, answer.body);
    answer.status = static_cast<int>(response.getStatus());
    answer.reason = response.getReason();
    answer.contentType = response.getContentType();
    for (const auto& [name, value] : response) {
      answer.headers[name] = value;
    }
  } catch (const Poco::Exception&) {
    answer.status = 0;
  }
  recordAnswer(port, method, pathAndQuery, answer);
  return answer;
}

std::vector<Sample> parseSamples(const std::string& text) {
  std::vector<Sample> samples;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    Sample s;
    size_t i = line.find_first_of("{ ");
    s.name = line.substr(0, i);
    if (i != std::string::npos && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        std::string key = line.substr(i, eq - i);
        size_t j = eq + 2;  // after ="
        std::string raw;
        while (j < line.size() && line[j] != '"') {
          if (line[j] == '\\') {
            raw += line[j++];
          }
          raw += line[j++];
        }
        s.labels[key] = unescape(raw);
        i = j + 1;
        if (i < line.size() && line[i] == ',') {
          ++i;
        }
      }
      ++i;
    }
    size_t start = line.find_first_not_of(' ', i);
    s.value = line.substr(start, line.find(' ', start) - start);
    samples.push_back(std::move(s));
  }
  return samples;
}

std::string sampleValue(const std::vector<Sample>& samples, const std::string& name,
                        const std::map<std::string, std::string>& labels) {
  for (const Sample& s : samples) {
    if (s.name != name) {
      continue;
    }
    bool match = true;
    for (const auto& [key, value] : labels) {
      auto it = s.labels.find(key);
      match = match && it != s.labels.end() && it->second == value;
    }
    if (match) {
      return s.value;
    }
  }
  return "";
}

Daemon::Daemon(const std::string& dir, const std::map<std::string, std::string>& env,
               const std::vector<std::string>& args, int readyTimeoutMs,
               const std::function<bool(int)>& ready)
    : dir_(dir), env_(env), port_(freeTcpPort()) {
  static std::once_flag auditAtExit;
  std::call_once(auditAtExit, [] { std::atexit(reportLeaksAtExit); });
  pid_ = ::fork();
  if (pid_ < 0) {
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    int logFd = ::open((dir + "/promsnmp.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(logFd, 1);
    ::dup2(logFd, 2);
    for (const auto& [name, value] : env) {
      ::setenv(name.c_str(), value.c_str(), 1);
    }
    std::string binary = std::string(PROMSNMP_BIN_DIR) + "/promsnmp";
    std::vector<std::string> argv = {binary,
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_)};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (std::string& a : argv) {
      raw.push_back(a.data());
    }
    raw.push_back(nullptr);
    ::execv(raw[0], raw.data());
    ::_exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(readyTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("promsnmp exited during start-up:\n" + log());
    }
    if (ready ? ready(port_) : httpRequest(port_, "GET", "/-/ready", {}, {}, 1000).status == 200) {
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  signal(SIGKILL, 5000);
  throw std::runtime_error("promsnmp not ready in time:\n" + log());
}

Daemon::~Daemon() {
  if (pid_ > 0) {
    signal(SIGTERM, 15000);
  }
  try {
    const std::map<std::string, std::string> secrets = secretsOf(env_);
    searchForLeaks(secrets, log(), dir_ + "/promsnmp.log");
    std::string answers;
    {
      std::lock_guard<std::mutex> lock(auditMutex);
      answers.swap(transcripts[port_]);
      transcripts.erase(port_);
    }
    searchForLeaks(secrets, answers, "answers from port " + std::to_string(port_));
  } catch (const std::exception& error) {
    std::cerr << "secret-leak audit of " << dir_ << " failed: " << error.what() << std::endl;
  }
}

bool Daemon::alive() {
  if (pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == pid_) {
    pid_ = -1;
  }
  return pid_ > 0;
}

HttpAnswer Daemon::get(const std::string& pathAndQuery,
                       const std::map<std::string, std::string>& headers) const {
  return httpRequest(port_, "GET", pathAndQuery, headers);
}

int Daemon::signal(int sig, int waitMs) {
  if (pid_ <= 0) {
    return -1;
  }
  ::kill(pid_, sig);
  if (sig != SIGTERM && sig != SIGKILL && sig != SIGINT) {
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(waitMs);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

std::string Daemon::log() const {
  std::ifstream in(dir_ + "/promsnmp.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> takeLeaks() {
  std::lock_guard<std::mutex> lock(auditMutex);
  std::vector<std::string> taken;
  taken.swap(leaks);
  return taken;
}

std::string inventoryCli(const std::map<std::string, std::string>& env,
                         const std::vector<std::string>& args) {
  std::vector<std::string> argv = {std::string(PROMSNMP_BIN_DIR) + "/promsnmp-inventory"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessResult r = runProcess(argv, env, 60);
  if (r.code != 0) {
    throw std::runtime_error("promsnmp-inventory failed (" + std::to_string(r.code) +
                             "): " + r.err);
  }
  return r.out;
}

std::string basicAuth(const std::string& user, const std::string& password) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder << user << ':' << password;
  encoder.close();
  return "Basic " + out.str();
}

}  // namespace testing
