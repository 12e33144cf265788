// Tests of the daemon's command line: both flag spellings, boolean flags, actions, every usage
// error, and the --help and --version texts.
#include "app/CommandLine.h"

#include <string>
#include <vector>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "config/Config.h"

using namespace promsnmp;

namespace {

using Args = std::vector<std::string>;

std::string usageError(const Args& args) {
  try {
    parseCommandLine(args);
  } catch (const UsageException& e) {
    return e.message();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class CommandLineTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(CommandLineTest);
  CPPUNIT_TEST(testNoArguments);
  CPPUNIT_TEST(testValueFlagSpellings);
  CPPUNIT_TEST(testLastRepeatWins);
  CPPUNIT_TEST(testBooleanFlags);
  CPPUNIT_TEST(testActionPriority);
  CPPUNIT_TEST(testUsageErrors);
  CPPUNIT_TEST(testFlagsReachLoadConfig);
  CPPUNIT_TEST(testHelpText);
  CPPUNIT_TEST(testVersionText);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testNoArguments() {
    const CommandLine c = parseCommandLine({});
    CPPUNIT_ASSERT(c.action == CommandLine::Action::Run);
    CPPUNIT_ASSERT(!c.configFile);
    CPPUNIT_ASSERT(c.settingFlags.empty());
  }

  void testValueFlagSpellings() {
    CommandLine c = parseCommandLine({"--config.file=/etc/p.cfg", "--web.listen-address", ":9116",
                                      "--log.level=debug", "--log.format", "json"});
    CPPUNIT_ASSERT_EQUAL(std::string("/etc/p.cfg"), *c.configFile);
    CPPUNIT_ASSERT_EQUAL(std::string(":9116"), c.settingFlags.at("web.listen-address"));
    CPPUNIT_ASSERT_EQUAL(std::string("debug"), c.settingFlags.at("log.level"));
    CPPUNIT_ASSERT_EQUAL(std::string("json"), c.settingFlags.at("log.format"));
    c = parseCommandLine({"--config.file", "relative.cfg"});
    CPPUNIT_ASSERT_EQUAL(std::string("relative.cfg"), *c.configFile);
    // A value may contain '=' after the first one.
    c = parseCommandLine({"--config.file=/a=b.cfg"});
    CPPUNIT_ASSERT_EQUAL(std::string("/a=b.cfg"), *c.configFile);
  }

  void testLastRepeatWins() {
    const CommandLine c = parseCommandLine(
        {"--log.level=debug", "--log.level=warn", "--config.file=a", "--config.file=b"});
    CPPUNIT_ASSERT_EQUAL(std::string("warn"), c.settingFlags.at("log.level"));
    CPPUNIT_ASSERT_EQUAL(std::string("b"), *c.configFile);
  }

  void testBooleanFlags() {
    CPPUNIT_ASSERT(parseCommandLine({"--config.check"}).action == CommandLine::Action::CheckConfig);
    CPPUNIT_ASSERT(parseCommandLine({"--dry-run"}).action == CommandLine::Action::CheckConfig);
    CPPUNIT_ASSERT(parseCommandLine({"--config.check=TRUE"}).action ==
                   CommandLine::Action::CheckConfig);
    CPPUNIT_ASSERT(parseCommandLine({"--config.check", "--config.check=false"}).action ==
                   CommandLine::Action::Run);
    // A boolean flag never takes the next argument as its value.
    CPPUNIT_ASSERT(contains(usageError({"--config.check", "true"}), "unexpected argument 'true'"));
    CPPUNIT_ASSERT(contains(usageError({"--config.check=maybe"}), "takes true or false"));
  }

  void testActionPriority() {
    CPPUNIT_ASSERT(parseCommandLine({"--version"}).action == CommandLine::Action::Version);
    CPPUNIT_ASSERT(parseCommandLine({"-h"}).action == CommandLine::Action::Help);
    CPPUNIT_ASSERT(parseCommandLine({"--help"}).action == CommandLine::Action::Help);
    CPPUNIT_ASSERT(parseCommandLine({"--config.check", "--version", "--help"}).action ==
                   CommandLine::Action::Help);
    CPPUNIT_ASSERT(parseCommandLine({"--config.check", "--version"}).action ==
                   CommandLine::Action::Version);
  }

  void testUsageErrors() {
    CPPUNIT_ASSERT_EQUAL(std::string("unknown flag --web.listen-adress"),
                         usageError({"--web.listen-adress=:1"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown flag --daemon"), usageError({"--daemon"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unknown flag '-v'"), usageError({"-v"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unexpected argument 'serve'"), usageError({"serve"}));
    CPPUNIT_ASSERT_EQUAL(std::string("unexpected argument '--'"), usageError({"--"}));
    CPPUNIT_ASSERT_EQUAL(std::string("flag --log.level needs a value"),
                         usageError({"--log.level"}));
    CPPUNIT_ASSERT_EQUAL(std::string("flag --log.level needs a value"),
                         usageError({"--log.level="}));
    CPPUNIT_ASSERT_EQUAL(std::string("flag --config.file needs a value"),
                         usageError({"--config.file", "--config.check"}));
    // Settings without a flag are not flags: they live in the file and the environment.
    CPPUNIT_ASSERT(contains(usageError({"--collection.interval_ms=1000"}), "unknown flag"));
    CPPUNIT_ASSERT_EQUAL(2, kExitUsage);
    CPPUNIT_ASSERT_EQUAL(78, kExitConfig);
  }

  void testFlagsReachLoadConfig() {
    const CommandLine c =
        parseCommandLine({"--web.listen-address=127.0.0.1:0", "--log.level=warn"});
    ConfigSources sources;
    sources.defaultFile = "";
    sources.file = c.configFile;
    sources.flags = c.settingFlags;
    sources.env = {{"SERVER_PORT", "9999"}};
    const Config config = loadConfig(sources);
    CPPUNIT_ASSERT_EQUAL(std::string("127.0.0.1:0"), config.listenAddress);
    CPPUNIT_ASSERT_EQUAL(std::string("warn"), config.logLevel);
    // A value the parser accepted but the table rejects is a configuration error (78).
    sources.flags = parseCommandLine({"--log.format=yaml"}).settingFlags;
    CPPUNIT_ASSERT_THROW(loadConfig(sources), ConfigException);
  }

  void testHelpText() {
    const std::string help = usageText("promsnmp");
    CPPUNIT_ASSERT(help.rfind("usage: promsnmp [flags]\n", 0) == 0);
    for (const char* flag :
         {"--help", "--version", "--config.file=PATH", "--config.check", "--dry-run",
          "--web.listen-address=ADDRESS", "--log.level=LEVEL", "--log.format=FORMAT"}) {
      CPPUNIT_ASSERT_MESSAGE(flag, contains(help, flag));
    }
    for (const auto& setting : settingsTable()) {
      CPPUNIT_ASSERT_MESSAGE(setting.key, contains(help, setting.key));
      for (const auto& env : setting.env) {
        CPPUNIT_ASSERT_MESSAGE(env, contains(help, env));
      }
    }
    CPPUNIT_ASSERT(contains(help, "\"0 0 2 * * *\""));
    CPPUNIT_ASSERT(contains(help, "78 bad configuration"));
    CPPUNIT_ASSERT(contains(help, "PROM_ENCRYPT_KEY_FILE"));
  }

  void testVersionText() {
    const std::string version = versionText("promsnmp");
    CPPUNIT_ASSERT_MESSAGE(version, version.rfind("promsnmp, version ", 0) == 0);
    CPPUNIT_ASSERT(contains(version, "(branch: "));
    CPPUNIT_ASSERT(contains(version, "revision: "));
    CPPUNIT_ASSERT(contains(version, "poco version:     1."));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CommandLineTest);
