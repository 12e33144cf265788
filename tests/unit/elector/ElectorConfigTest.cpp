// loadElectorConfig and parseSettings: built-in defaults, the environment, the file with every
// problem reported as file:line, the precedence flags > environment > file > defaults, secrets
// never shown, and the shipped etc/elector.cfg documenting every setting.
#include "ElectorConfig.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ElectorDaemon.h"

using elector::ConfigException;
using elector::ConfigSources;
using elector::ElectorConfig;
using elector::loadElectorConfig;
using std::chrono::milliseconds;

namespace {

/// A temporary directory removed (with its plain files) by the destructor.
class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/elector-config-test.XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~ScratchDir() {
    for (const auto& file : files_) {
      std::remove(file.c_str());
    }
    ::rmdir(path_.c_str());
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string write(const std::string& name, const std::string& content) {
    const std::string file = path_ + "/" + name;
    std::ofstream(file) << content;
    files_.push_back(file);
    return file;
  }

 private:
  std::string path_;
  std::vector<std::string> files_;
};

ConfigSources noFile() {
  ConfigSources sources;
  sources.defaultFile.clear();
  return sources;
}

/// Every problem of a configuration that must fail, or a failed assertion if it loads.
std::vector<std::string> problemsOf(const ConfigSources& sources) {
  try {
    loadElectorConfig(sources);
  } catch (const ConfigException& error) {
    return error.problems();
  }
  CPPUNIT_FAIL("configuration loaded but should have failed");
  return {};
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) {
    out += line + "\n";
  }
  return out;
}

elector::ParsedSettings parse(const std::vector<std::string>& args,
                              const std::map<std::string, std::string>& env) {
  return elector::parseSettings(args, [&env](const char* name) -> const char* {
    const auto found = env.find(name);
    return found == env.end() ? nullptr : found->second.c_str();
  });
}

}  // namespace

class ElectorConfigTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectorConfigTest);
  CPPUNIT_TEST(testDefaults);
  CPPUNIT_TEST(testEnvironment);
  CPPUNIT_TEST(testFileValues);
  CPPUNIT_TEST(testFileErrorsWithLineNumbers);
  CPPUNIT_TEST(testPrecedence);
  CPPUNIT_TEST(testSecretsNeverShown);
  CPPUNIT_TEST(testCrossChecks);
  CPPUNIT_TEST(testParseSettingsExitCodes);
  CPPUNIT_TEST(testShippedFileDocumentsEverySetting);
  CPPUNIT_TEST(testCollectorGraceDefaultsToTheTtl);
  CPPUNIT_TEST(testHelpGeneratedFromTheTable);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testDefaults() {
    const ElectorConfig config = loadElectorConfig(noFile());
    CPPUNIT_ASSERT_EQUAL(std::string("redis"), config.backend);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1"), config.redis.host);
    CPPUNIT_ASSERT_EQUAL(6379, config.redis.port);
    CPPUNIT_ASSERT(!config.redisPassword.isSet());
    CPPUNIT_ASSERT(config.leaseTtl == milliseconds(10000));
    CPPUNIT_ASSERT_EQUAL(std::string("promsnmp:leader"), config.leaseKey);
    CPPUNIT_ASSERT_EQUAL(std::string("/run/promsnmp/elector.sock"), config.socketPath);
    CPPUNIT_ASSERT_EQUAL(std::string("http://localhost:4040"), config.kubernetesUrl);
    CPPUNIT_ASSERT(config.kubernetesPollInterval == milliseconds(1000));
    CPPUNIT_ASSERT(config.kubernetesTimeout == milliseconds(1000));
    CPPUNIT_ASSERT_EQUAL(std::string("/run/promsnmp/elector.lock"), config.filePath);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:9465"), config.listenAddress);
    CPPUNIT_ASSERT_EQUAL(std::string("info"), config.logLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("logfmt"), config.logFormat);
    // hostname:pid, so two electors on one host differ.
    CPPUNIT_ASSERT(config.id.find(':' + std::to_string(::getpid())) != std::string::npos);
    CPPUNIT_ASSERT(config.configFile.empty());
    CPPUNIT_ASSERT(config.sources.empty());
    CPPUNIT_ASSERT(config.describe().find("backend = \"redis\"  # default") != std::string::npos);

    // The kubernetes backend names this replica by its hostname (a pod's name).
    ConfigSources kubernetes = noFile();
    kubernetes.flags["backend"] = "kubernetes";
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    CPPUNIT_ASSERT_EQUAL(std::string(host), loadElectorConfig(kubernetes).id);
  }

  void testEnvironment() {
    ConfigSources sources = noFile();
    sources.env = {{"ELECTOR_BACKEND", "kubernetes"},
                   {"POD_NAME", "promsnmp-2"},
                   {"ELECTOR_KUBERNETES_URL", "http://127.0.0.1:4041/"},
                   {"ELECTOR_KUBERNETES_POLL_INTERVAL_MS", "250ms"},
                   {"ELECTOR_KUBERNETES_TIMEOUT_MS", "500"},
                   {"ELECTOR_LEASE_TTL_MS", "3s"},
                   {"ELECTOR_WEB_LISTEN_ADDRESS", "-"},
                   {"ELECTOR_LOG_LEVEL", "debug"},
                   {"ELECTOR_SOCKET", ""}};  // empty counts as unset
    ElectorConfig config = loadElectorConfig(sources);
    CPPUNIT_ASSERT_EQUAL(std::string("kubernetes"), config.backend);
    CPPUNIT_ASSERT_EQUAL(std::string("promsnmp-2"), config.id);
    CPPUNIT_ASSERT_EQUAL(std::string("env POD_NAME"), config.sources["id"]);
    CPPUNIT_ASSERT_EQUAL(std::string("http://127.0.0.1:4041/"), config.kubernetesUrl);
    CPPUNIT_ASSERT(config.kubernetesPollInterval == milliseconds(250));
    CPPUNIT_ASSERT(config.kubernetesTimeout == milliseconds(500));
    CPPUNIT_ASSERT(config.leaseTtl == milliseconds(3000));
    CPPUNIT_ASSERT_EQUAL(std::string("-"), config.listenAddress);
    CPPUNIT_ASSERT_EQUAL(std::string("debug"), config.logLevel);
    CPPUNIT_ASSERT_EQUAL(std::string("/run/promsnmp/elector.sock"), config.socketPath);

    // ELECTOR_ID wins over POD_NAME.
    sources.env["ELECTOR_ID"] = "explicit";
    CPPUNIT_ASSERT_EQUAL(std::string("explicit"), loadElectorConfig(sources).id);

    // REDIS_URL gives address and password; REDIS_ADDRESS wins over its address.
    ConfigSources redis = noFile();
    redis.env = {{"REDIS_URL", "redis://:pw@10.1.2.3:6380/0"}};
    config = loadElectorConfig(redis);
    CPPUNIT_ASSERT_EQUAL(std::string("10.1.2.3"), config.redis.host);
    CPPUNIT_ASSERT_EQUAL(6380, config.redis.port);
    CPPUNIT_ASSERT_EQUAL(std::string("pw"), config.redisPassword.reveal());
    redis.env["REDIS_ADDRESS"] = "[::1]:7000";
    config = loadElectorConfig(redis);
    CPPUNIT_ASSERT_EQUAL(std::string("::1"), config.redis.host);
    CPPUNIT_ASSERT_EQUAL(7000, config.redis.port);

    // Every bad variable is reported, by name.
    ConfigSources bad = noFile();
    bad.env = {{"ELECTOR_LEASE_TTL_MS", "0"},
               {"ELECTOR_BACKEND", "zookeeper"},
               {"ELECTOR_KUBERNETES_URL", "https://x"}};
    const std::string problems = joined(problemsOf(bad));
    CPPUNIT_ASSERT_MESSAGE(problems,
                           problems.find("env ELECTOR_LEASE_TTL_MS: ") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(problems, problems.find("env ELECTOR_BACKEND: ") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(problems,
                           problems.find("env ELECTOR_KUBERNETES_URL: ") != std::string::npos);
  }

  void testFileValues() {
    ScratchDir dir;
    ConfigSources sources = noFile();
    sources.file = dir.write("elector.cfg",
                             "backend = \"file\";\n"
                             "id = \"box-a\";\n"
                             "lease = { ttl_ms = 2000; };\n"
                             "file = { path = \"/tmp/x.lock\"; };\n"
                             "web = { listen_address = \"127.0.0.1:0\"; };\n"
                             "kubernetes = { poll_interval_ms = \"2s\"; };\n");
    ElectorConfig config = loadElectorConfig(sources);
    CPPUNIT_ASSERT_EQUAL(std::string("file"), config.backend);
    CPPUNIT_ASSERT_EQUAL(std::string("box-a"), config.id);
    CPPUNIT_ASSERT(config.leaseTtl == milliseconds(2000));
    CPPUNIT_ASSERT_EQUAL(std::string("/tmp/x.lock"), config.filePath);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:0"), config.listenAddress);
    CPPUNIT_ASSERT(config.kubernetesPollInterval == milliseconds(2000));
    CPPUNIT_ASSERT_EQUAL(*sources.file + ":3", config.sources["lease.ttl_ms"]);
    CPPUNIT_ASSERT_EQUAL(*sources.file, config.configFile);
  }

  void testFileErrorsWithLineNumbers() {
    ScratchDir dir;
    ConfigSources sources = noFile();
    sources.file = dir.write("bad.cfg",
                             "# a comment\n"
                             "backend = \"zookeeper\";\n"
                             "lease = {\n"
                             "  ttl_ms = 10;\n"
                             "  colour = \"red\";\n"
                             "};\n"
                             "socket = [1, 2];\n"
                             "nosuch = { a = 1; };\n");
    const std::vector<std::string> problems = problemsOf(sources);
    const std::string text = joined(problems);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(text, std::size_t{5}, problems.size());
    const std::string& file = *sources.file;
    CPPUNIT_ASSERT_MESSAGE(text, problems[0].rfind(file + ":2: backend: expected ", 0) == 0);
    CPPUNIT_ASSERT_MESSAGE(text, problems[1].rfind(file + ":4: lease.ttl_ms: expected ", 0) == 0);
    CPPUNIT_ASSERT_MESSAGE(text, problems[2] == file + ":5: unknown setting 'lease.colour'");
    CPPUNIT_ASSERT_MESSAGE(text, problems[3].rfind(file + ":7: socket: ", 0) == 0);
    CPPUNIT_ASSERT_MESSAGE(text, problems[4] == file + ":8: unknown group 'nosuch'");

    // A syntax error: the line libconfig stopped at.
    sources.file = dir.write("syntax.cfg", "backend = \"redis\";\n\nlease = { ttl_ms = ; };\n");
    const std::vector<std::string> syntax = problemsOf(sources);
    CPPUNIT_ASSERT_EQUAL(std::size_t{1}, syntax.size());
    CPPUNIT_ASSERT_MESSAGE(syntax[0], syntax[0].rfind(*sources.file + ":3: ", 0) == 0);

    // A named file must exist.
    sources.file = "/nonexistent/elector.cfg";
    const std::vector<std::string> missing = problemsOf(sources);
    CPPUNIT_ASSERT_MESSAGE(missing[0],
                           missing[0].rfind("/nonexistent/elector.cfg: cannot read", 0) == 0);
  }

  void testPrecedence() {
    ScratchDir dir;
    ConfigSources sources = noFile();
    sources.file = dir.write("elector.cfg",
                             "backend = \"file\";\n"
                             "lease = { ttl_ms = 3000; key = \"from:file\"; };\n"
                             "file = { path = \"/a.lock\"; };\n");
    sources.env = {{"ELECTOR_LEASE_TTL_MS", "4000"}, {"ELECTOR_FILE_PATH", "/b.lock"}};
    sources.flags = {{"file.path", "/c.lock"}};
    const ElectorConfig config = loadElectorConfig(sources);
    CPPUNIT_ASSERT_EQUAL(std::string("file"), config.backend);        // file > default
    CPPUNIT_ASSERT_EQUAL(std::string("from:file"), config.leaseKey);  // file > default
    CPPUNIT_ASSERT(config.leaseTtl == milliseconds(4000));            // env > file
    CPPUNIT_ASSERT_EQUAL(std::string("/c.lock"), config.filePath);    // flag > env > file
    CPPUNIT_ASSERT_EQUAL(*sources.file + ":1", config.sources.at("backend"));
    CPPUNIT_ASSERT_EQUAL(std::string("env ELECTOR_LEASE_TTL_MS"),
                         config.sources.at("lease.ttl_ms"));
    CPPUNIT_ASSERT_EQUAL(std::string("flag --file.path"), config.sources.at("file.path"));
    const std::string shown = config.describe();
    CPPUNIT_ASSERT_MESSAGE(
        shown, shown.find("file.path = \"/c.lock\"  # flag --file.path") != std::string::npos);

    // The same through parseSettings: flags > environment.
    const elector::ParsedSettings parsed =
        parse({"--config.file", *sources.file, "--lease.ttl=5000"},
              {{"ELECTOR_LEASE_TTL_MS", "4000"}, {"ELECTOR_FILE_PATH", "/b.lock"}});
    CPPUNIT_ASSERT_MESSAGE(parsed.output, !parsed.exitCode);
    CPPUNIT_ASSERT(parsed.settings.leaseTtl == milliseconds(5000));
    CPPUNIT_ASSERT_EQUAL(std::string("/b.lock"), parsed.settings.filePath);
    CPPUNIT_ASSERT_EQUAL(std::string("file"), parsed.settings.backend);
  }

  void testSecretsNeverShown() {
    ScratchDir dir;
    ConfigSources sources = noFile();
    sources.file = dir.write("elector.cfg", "redis = { password = \"file-secret\"; };\n");
    ElectorConfig config = loadElectorConfig(sources);
    CPPUNIT_ASSERT_EQUAL(std::string("file-secret"), config.redisPassword.reveal());
    CPPUNIT_ASSERT(config.describe().find("file-secret") == std::string::npos);
    CPPUNIT_ASSERT(config.describe().find("redis.password = <secret>") != std::string::npos);

    // The password file (line end dropped) wins over REDIS_URL's password; REDIS_PASSWORD wins
    // over both.
    ConfigSources env = noFile();
    env.env = {{"REDIS_URL", "redis://:url-secret@127.0.0.1:6379"},
               {"REDIS_PASSWORD_FILE", dir.write("pw", "file-pw\n")}};
    config = loadElectorConfig(env);
    CPPUNIT_ASSERT_EQUAL(std::string("file-pw"), config.redisPassword.reveal());
    env.env["REDIS_PASSWORD"] = "env-secret";
    config = loadElectorConfig(env);
    CPPUNIT_ASSERT_EQUAL(std::string("env-secret"), config.redisPassword.reveal());
    const std::string shown = config.describe();
    for (const char* secret : {"url-secret", "file-pw", "env-secret"}) {
      CPPUNIT_ASSERT_MESSAGE(shown, shown.find(secret) == std::string::npos);
    }

    // A bad REDIS_URL is reported without its password.
    ConfigSources bad = noFile();
    bad.env = {{"REDIS_URL", "redis://:hunter2@nohost"}};
    const std::string problems = joined(problemsOf(bad));
    CPPUNIT_ASSERT_MESSAGE(problems, problems.find("REDIS_URL") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(problems, problems.find("hunter2") == std::string::npos);
  }

  void testCrossChecks() {
    ConfigSources sources = noFile();
    sources.flags = {{"backend", "static"}};
    CPPUNIT_ASSERT(joined(problemsOf(sources)).find("static.role") != std::string::npos);
    sources.flags["role"] = "leader";
    CPPUNIT_ASSERT_EQUAL(std::string("leader"), loadElectorConfig(sources).role);

    ConfigSources kubernetes = noFile();
    kubernetes.flags = {
        {"backend", "kubernetes"}, {"kubernetes.timeout", "2000"}, {"lease.ttl", "2000"}};
    const std::string problems = joined(problemsOf(kubernetes));
    CPPUNIT_ASSERT_MESSAGE(
        problems, problems.find("flag --kubernetes.timeout: "
                                "kubernetes.timeout_ms: must be less than") != std::string::npos);
  }

  void testParseSettingsExitCodes() {
    elector::ParsedSettings parsed = parse({"--no-such-flag", "1"}, {});
    CPPUNIT_ASSERT_EQUAL(elector::kExitUsage, *parsed.exitCode);
    parsed = parse({"--socket"}, {});
    CPPUNIT_ASSERT_EQUAL(elector::kExitUsage, *parsed.exitCode);
    // All problems at once, from flags and environment.
    parsed =
        parse({"--lease.ttl", "ten", "--backend", "x"}, {{"ELECTOR_KUBERNETES_TIMEOUT_MS", "-1"}});
    CPPUNIT_ASSERT_EQUAL(elector::kExitConfig, *parsed.exitCode);
    CPPUNIT_ASSERT_MESSAGE(parsed.output,
                           parsed.output.find("flag --lease.ttl") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(parsed.output,
                           parsed.output.find("flag --backend") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(parsed.output, parsed.output.find("env ELECTOR_KUBERNETES_TIMEOUT_MS") !=
                                              std::string::npos);
    // --config.check prints the settings and where they came from, and exits 0.
    parsed = parse({"--config.check", "--backend", "file"}, {{"REDIS_PASSWORD", "s3cret"}});
    CPPUNIT_ASSERT_EQUAL(elector::kExitOk, *parsed.exitCode);
    CPPUNIT_ASSERT_MESSAGE(
        parsed.output,
        parsed.output.find("backend = \"file\"  # flag --backend") != std::string::npos);
    CPPUNIT_ASSERT(parsed.output.find("redis.password = <secret>  # env REDIS_PASSWORD") !=
                   std::string::npos);
    CPPUNIT_ASSERT(parsed.output.find("s3cret") == std::string::npos);
  }

  void testShippedFileDocumentsEverySetting() {
    const std::string shipped = std::string(PROMSNMP_SOURCE_DIR) + "/etc/elector.cfg";
    ConfigSources sources = noFile();
    sources.file = shipped;
    const ElectorConfig config = loadElectorConfig(sources);  // as shipped: all defaults
    CPPUNIT_ASSERT_EQUAL(std::string("redis"), config.backend);
    std::ifstream in(shipped);
    std::stringstream text;
    text << in.rdbuf();
    // Every shown setting appears, commented out, with its leaf name.
    std::istringstream lines(config.describe());
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
      const std::string key = line.substr(0, line.find(' '));
      const std::string leaf = key.substr(key.rfind('.') + 1);
      CPPUNIT_ASSERT_MESSAGE(key, text.str().find("# " + leaf + " = ") != std::string::npos);
    }
  }

  /// lease.collector_grace_ms is the lease TTL unless set; a set value must be within bounds.
  void testCollectorGraceDefaultsToTheTtl() {
    ConfigSources sources = noFile();
    sources.flags = {{"lease.ttl", "4000"}};
    CPPUNIT_ASSERT(loadElectorConfig(sources).collectorGrace == milliseconds(4000));
    sources.env = {{"ELECTOR_LEASE_COLLECTOR_GRACE_MS", "2500"}};
    CPPUNIT_ASSERT(loadElectorConfig(sources).collectorGrace == milliseconds(2500));
    sources.flags["lease.collector-grace"] = "0";
    const std::vector<std::string> problems = problemsOf(sources);
    CPPUNIT_ASSERT_MESSAGE(
        joined(problems),
        problems.size() == 1 && problems[0].rfind("flag --lease.collector-grace: ", 0) == 0);
  }

  /// --help lists every setting of the table: its flag, file key and environment variables.
  void testHelpGeneratedFromTheTable() {
    for (const char* flag : {"--help", "-h"}) {
      const elector::ParsedSettings parsed = parse({flag}, {});
      CPPUNIT_ASSERT_EQUAL(elector::kExitOk, *parsed.exitCode);
      const std::string& help = parsed.output;
      CPPUNIT_ASSERT_MESSAGE(help, help.rfind("usage: elector [flags]\n", 0) == 0);
      for (const auto& setting : elector::settingsTable()) {
        CPPUNIT_ASSERT_MESSAGE(setting.key, help.find("  " + setting.key) != std::string::npos);
        for (const auto& env : setting.env) {
          CPPUNIT_ASSERT_MESSAGE(env, help.find(env) != std::string::npos);
        }
        if (!setting.flag.empty()) {
          CPPUNIT_ASSERT_MESSAGE(setting.flag,
                                 help.find("--" + setting.flag + "=") != std::string::npos);
        }
      }
      for (const char* text : {"--config.file=PATH", "--config.check", "--version",
                               "(default \"redis\")", "78 bad setting"}) {
        CPPUNIT_ASSERT_MESSAGE(text, help.find(text) != std::string::npos);
      }
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectorConfigTest);
