// The settings machinery on a table of its own (the daemons' tables are tested in ConfigTest and
// ElectorConfigTest): defaults, the precedence flags > environment > file > defaults, where each
// value came from, every problem reported as file:line / env NAME / flag --name, unknown keys
// with a suggestion, environment aliases and fallbacks, describe() and the --help text, and the
// value parsers (white space as Poco::trim sees it).
#include "common/Settings.h"

#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ProcessHelpers.h"
#include "common/SettingKinds.h"

using namespace common;
using std::chrono::milliseconds;

namespace {

struct Toy : ConfigProvenance {
  int64_t count = 0;
  milliseconds interval{};
  bool enabled = false;
  std::string name;
  std::string mode;
  std::string id;
  std::optional<std::string> socket;
  std::optional<double> ratio;
  Secret password;
};

const SettingsTable<Toy>& toyTable() {
  static const SettingsTable<Toy> kTable([] {
    std::vector<Setting<Toy>> t;
    t.push_back(
        withFlag(integer("a.count", {"TOY_COUNT"}, &Toy::count, 3, 1, 10, "how many"), "a.count"));
    t.push_back(withFlag(duration("a.interval_ms", {"TOY_INTERVAL", "TOY_INTERVAL_OLD"},
                                  &Toy::interval, 1000, 100, 60000, "how often"),
                         "a.interval"));
    t.push_back(boolean("b.enabled", {"TOY_ENABLED"}, &Toy::enabled, false, "on or off"));
    t.push_back(text("b.name", {"TOY_NAME"}, &Toy::name, "toy", nonEmpty, "a name"));
    t.push_back(withFlag(
        choice("b.mode", {"TOY_MODE"}, &Toy::mode, "fast", {"fast", "slow"}, "how it runs"),
        "mode"));
    Setting<Toy> id = text("id", {"TOY_ID", "HOSTNAME"}, &Toy::id, "", anything, "identity");
    id.envFallbacks = true;
    t.push_back(id);
    t.push_back(optionalText("c.socket", {"TOY_SOCKET"}, &Toy::socket, "a socket"));
    t.push_back(optionalNumber("c.ratio", {"TOY_RATIO"}, &Toy::ratio, 0, 1, "a ratio"));
    Setting<Toy> password =
        environmentOnly(secret("c.password", {"TOY_PASSWORD"}, &Toy::password, "a password"),
                        "set TOY_PASSWORD in the environment instead");
    password.emptyEnvSets = true;
    t.push_back(password);
    return t;
  }());
  return kTable;
}

Toy defaults() {
  Toy toy;
  toyTable().setDefaults(toy);
  return toy;
}

std::vector<std::string> problemsOf(const ConfigSources& sources, Toy* loaded = nullptr) {
  Toy toy = defaults();
  std::vector<std::string> problems;
  toyTable().load(toy, sources, problems);
  if (loaded != nullptr) {
    *loaded = toy;
  }
  return problems;
}

Toy load(const ConfigSources& sources) {
  return toyTable().loadChecked(sources, [](Toy&, std::vector<std::string>&) {});
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Writes `text` to `dir`/`name` and returns the path.
std::string write(const testing::TempDir& dir, const std::string& name, const std::string& text) {
  const std::string file = dir.path() + "/" + name;
  std::ofstream(file) << text;
  return file;
}

}  // namespace

class SettingsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SettingsTest);
  CPPUNIT_TEST(testDefaults);
  CPPUNIT_TEST(testPrecedenceAndSources);
  CPPUNIT_TEST(testDefaultFileOnlyWhenPresent);
  CPPUNIT_TEST(testFileProblemsWithLines);
  CPPUNIT_TEST(testIncludeBesideTheFile);
  CPPUNIT_TEST(testEnvironmentRules);
  CPPUNIT_TEST(testFlags);
  CPPUNIT_TEST(testDescribe);
  CPPUNIT_TEST(testUsageText);
  CPPUNIT_TEST(testParsers);
  CPPUNIT_TEST(testKindsWording);
  CPPUNIT_TEST(testExceptionMessageJoinsProblems);
  CPPUNIT_TEST(testCrossCheckOnlyOnGoodSources);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testDefaults() {
    const Toy toy = load({});
    CPPUNIT_ASSERT_EQUAL(int64_t{3}, toy.count);
    CPPUNIT_ASSERT(toy.interval == milliseconds(1000));
    CPPUNIT_ASSERT_EQUAL(std::string("toy"), toy.name);
    CPPUNIT_ASSERT_EQUAL(std::string("fast"), toy.mode);
    CPPUNIT_ASSERT(!toy.socket && !toy.ratio && !toy.password.isSet());
    CPPUNIT_ASSERT(toy.sources.empty() && toy.warnings.empty() && toy.configFile.empty());
  }

  void testPrecedenceAndSources() {
    testing::TempDir dir;
    ConfigSources sources;
    sources.file = write(dir, "toy.cfg",
                         "a = {\n"
                         "  count = 4;\n"
                         "  interval_ms = \"2s\";\n"
                         "};\n"
                         "b = { name = \"from file\"; mode = \"SLOW\"; };\n");
    sources.env = {{"TOY_COUNT", "5"}, {"TOY_INTERVAL", "3000"}};
    sources.flags = {{"a.count", "6"}};
    const Toy toy = load(sources);
    CPPUNIT_ASSERT_EQUAL(int64_t{6}, toy.count);               // flag > env > file
    CPPUNIT_ASSERT(toy.interval == milliseconds(3000));        // env > file
    CPPUNIT_ASSERT_EQUAL(std::string("from file"), toy.name);  // file > default
    CPPUNIT_ASSERT_EQUAL(std::string("slow"), toy.mode);       // any case, stored lower
    CPPUNIT_ASSERT_EQUAL(std::string("flag --a.count"), toy.sources.at("a.count"));
    CPPUNIT_ASSERT_EQUAL(std::string("env TOY_INTERVAL"), toy.sources.at("a.interval_ms"));
    CPPUNIT_ASSERT_EQUAL(*sources.file + ":5", toy.sources.at("b.name"));
    CPPUNIT_ASSERT_EQUAL(*sources.file, toy.configFile);
  }

  void testDefaultFileOnlyWhenPresent() {
    ConfigSources sources;
    sources.defaultFile = "/nonexistent/toy.cfg";
    CPPUNIT_ASSERT(load(sources).configFile.empty());
    testing::TempDir dir;
    sources.defaultFile = write(dir, "toy.cfg", "a = { count = 7; };\n");
    const Toy toy = load(sources);
    CPPUNIT_ASSERT_EQUAL(sources.defaultFile, toy.configFile);
    CPPUNIT_ASSERT_EQUAL(int64_t{7}, toy.count);
    // A named file must exist.
    sources.file = "/nonexistent/named.cfg";
    const auto problems = problemsOf(sources);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, problems.size());
    CPPUNIT_ASSERT(problems[0].rfind("/nonexistent/named.cfg: cannot read config file: ", 0) == 0);
  }

  void testFileProblemsWithLines() {
    testing::TempDir dir;
    ConfigSources sources;
    sources.file = write(dir, "bad.cfg",
                         "a = {\n"
                         "  count = 11;\n"  // 2: out of bounds
                         "  cuont = 2;\n"   // 3: near miss
                         "};\n"
                         "b = { name = [1, 2]; mode = (\"x\"); };\n"  // 5: array, list
                         "c = { password = \"p4ssw0rd\"; };\n"        // 6: environment only
                         "id = { x = 1; };\n"                         // 7: not a group
                         "zzz = { y = 1; };\n");                      // 8: unknown group
    const auto problems = problemsOf(sources);
    std::string all;
    for (const auto& problem : problems) {
      all += problem + "\n";
    }
    const std::string& path = *sources.file;
    CPPUNIT_ASSERT_MESSAGE(all, contains(all, path + ":2: a.count: must be an integer from 1 to "
                                                     "10 (got \"11\")\n"));
    CPPUNIT_ASSERT_MESSAGE(
        all, contains(all, path + ":3: unknown setting 'a.cuont' (did you mean 'a.count'?)\n"));
    CPPUNIT_ASSERT_MESSAGE(
        all, contains(all, path + ":5: b.name: must be a single value, not an array"));
    CPPUNIT_ASSERT_MESSAGE(all,
                           contains(all, path + ":5: b.mode: must be a single value, not a list"));
    CPPUNIT_ASSERT_MESSAGE(all, contains(all, path + ":6: c.password cannot be set in the config "
                                                     "file; set TOY_PASSWORD in the environment "
                                                     "instead\n"));
    CPPUNIT_ASSERT_MESSAGE(all, !contains(all, "p4ssw0rd"));
    CPPUNIT_ASSERT_MESSAGE(all,
                           contains(all, path + ":7: id: must be a single value, not a group"));
    CPPUNIT_ASSERT_MESSAGE(all, contains(all, path + ":8: unknown group 'zzz'"));

    // A syntax error: the one problem, at the line libconfig stopped.
    sources.file = write(dir, "syntax.cfg", "a = {\n  count = ;\n};\n");
    const auto syntax = problemsOf(sources);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, syntax.size());
    CPPUNIT_ASSERT_MESSAGE(syntax[0], syntax[0].rfind(*sources.file + ":2: ", 0) == 0);
  }

  void testIncludeBesideTheFile() {
    testing::TempDir dir;
    write(dir, "more.cfg", "\nb = { name = \"\"; };\n");
    ConfigSources sources;
    sources.file = write(dir, "main.cfg", "a = { count = 2; };\n@include \"more.cfg\"\n");
    const auto problems = problemsOf(sources);
    CPPUNIT_ASSERT_EQUAL(size_t{1}, problems.size());
    // Named as the @include names it, relative to the main file's directory (not the working
    // directory).
    CPPUNIT_ASSERT_EQUAL(std::string("more.cfg:2: b.name: must not be empty"), problems[0]);
  }

  void testEnvironmentRules() {
    ConfigSources sources;
    // An empty variable counts as unset, except where presence matters.
    sources.env = {{"TOY_COUNT", ""}, {"TOY_PASSWORD", ""}};
    Toy toy = load(sources);
    CPPUNIT_ASSERT_EQUAL(int64_t{3}, toy.count);
    CPPUNIT_ASSERT(toy.password.isSet());
    CPPUNIT_ASSERT_EQUAL(std::string("env TOY_PASSWORD"), toy.sources.at("c.password"));

    // An alias: the first wins; the other is named in a warning when it differs.
    sources.env = {{"TOY_INTERVAL", "2000"}, {"TOY_INTERVAL_OLD", "5000"}};
    toy = load(sources);
    CPPUNIT_ASSERT(toy.interval == milliseconds(2000));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, toy.warnings.size());
    CPPUNIT_ASSERT_EQUAL(
        std::string("TOY_INTERVAL_OLD=\"5000\" is ignored: TOY_INTERVAL is also set and wins"),
        toy.warnings[0]);
    sources.env = {{"TOY_INTERVAL", "2000"}, {"TOY_INTERVAL_OLD", " 2000\t"}};
    CPPUNIT_ASSERT(load(sources).warnings.empty());
    sources.env = {{"TOY_INTERVAL_OLD", "4000"}};
    CPPUNIT_ASSERT(load(sources).interval == milliseconds(4000));

    // A fallback: the first wins and the other is never a warning.
    sources.env = {{"TOY_ID", "explicit"}, {"HOSTNAME", "box"}};
    toy = load(sources);
    CPPUNIT_ASSERT_EQUAL(std::string("explicit"), toy.id);
    CPPUNIT_ASSERT(toy.warnings.empty());
    sources.env = {{"HOSTNAME", "box"}};
    CPPUNIT_ASSERT_EQUAL(std::string("env HOSTNAME"), load(sources).sources.at("id"));

    // Every bad variable, by name.
    sources.env = {{"TOY_COUNT", "x"}, {"TOY_ENABLED", "maybe"}};
    const auto problems = problemsOf(sources);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, problems.size());
    CPPUNIT_ASSERT_EQUAL(std::string("env TOY_COUNT: must be an integer from 1 to 10 (got \"x\")"),
                         problems[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("env TOY_ENABLED: must be true or false (got \"maybe\")"),
                         problems[1]);
  }

  void testFlags() {
    ConfigSources sources;
    sources.flags = {{"mode", "slow"}, {"a.interval", "1m"}};
    const Toy toy = load(sources);
    CPPUNIT_ASSERT_EQUAL(std::string("slow"), toy.mode);
    CPPUNIT_ASSERT(toy.interval == milliseconds(60000));
    CPPUNIT_ASSERT_EQUAL(std::string("flag --a.interval"), toy.sources.at("a.interval_ms"));
    sources.flags = {{"b.name", "x"}, {"mode", "medium"}};
    const auto problems = problemsOf(sources);
    CPPUNIT_ASSERT_EQUAL(size_t{2}, problems.size());
    CPPUNIT_ASSERT_EQUAL(std::string("flag --b.name: unknown flag"), problems[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("flag --mode: must be one of fast, slow (got \"medium\")"),
                         problems[1]);
    CPPUNIT_ASSERT(toyTable().hasFlag("a.count"));
    CPPUNIT_ASSERT(!toyTable().hasFlag("b.name"));
  }

  void testDescribe() {
    ConfigSources sources;
    sources.env = {{"TOY_PASSWORD", "hunter2"},
                   {"TOY_RATIO", "0.25"},
                   {"TOY_INTERVAL", "2000"},
                   {"TOY_INTERVAL_OLD", "3000"}};
    const Toy toy = load(sources);
    const std::string text = toyTable().describe("toy", toy);
    CPPUNIT_ASSERT(text.rfind("# toy configuration; file: none\n", 0) == 0);
    CPPUNIT_ASSERT(contains(text, "a.count = 3  # default\n"));
    CPPUNIT_ASSERT(contains(text, "b.name = \"toy\"  # default\n"));
    CPPUNIT_ASSERT(contains(text, "c.socket = <unset>  # default\n"));
    CPPUNIT_ASSERT(contains(text, "c.ratio = 0.25  # env TOY_RATIO\n"));
    CPPUNIT_ASSERT(contains(text, "c.password = <secret>  # env TOY_PASSWORD\n"));
    CPPUNIT_ASSERT(contains(text, "# warning: TOY_INTERVAL_OLD="));
    CPPUNIT_ASSERT(!contains(text, "hunter2"));
    CPPUNIT_ASSERT_EQUAL(size_t{9}, toyTable().items(toy).size());
    const std::vector<std::string> names = toyTable().environmentNames();
    CPPUNIT_ASSERT_EQUAL(size_t{11}, names.size());
    CPPUNIT_ASSERT_EQUAL(std::string("TOY_INTERVAL_OLD"), names[2]);
  }

  void testUsageText() {
    UsageSpec spec;
    spec.program = "toy";
    spec.about = "A toy.\n";
    spec.processFlags = {{"-h, --help", "show this help and exit"}};
    spec.settingsAbout = "Settings.\n";
    spec.epilogue = "\nThe end.\n";
    const std::string help = usageText(spec, toyTable().info(defaults()));
    CPPUNIT_ASSERT_MESSAGE(help, help.rfind("usage: toy [flags]\n\nA toy.\n\nFlags:\n"
                                            "  -h, --help                        show this help "
                                            "and exit\n",
                                            0) == 0);
    // The metavariable is the key's last word; the default follows the help.
    CPPUNIT_ASSERT_MESSAGE(help, contains(help,
                                          "\n      --a.interval=MS               how often\n"
                                          "                                    (default "
                                          "1000)\n"));
    CPPUNIT_ASSERT_MESSAGE(help, contains(help,
                                          "\n      --mode=MODE                   how it "
                                          "runs\n"));
    CPPUNIT_ASSERT_MESSAGE(help, !contains(help, "--b.name"));
    CPPUNIT_ASSERT_MESSAGE(help, contains(help, "\nSettings.\n\n  file key"));
    CPPUNIT_ASSERT_MESSAGE(help, contains(help,
                                          "a.interval_ms    TOY_INTERVAL, TOY_INTERVAL_OLD  "
                                          "1000\n"));
    CPPUNIT_ASSERT_MESSAGE(help, contains(help, "  c.password *"));
    CPPUNIT_ASSERT_MESSAGE(help, contains(help, "  * environment only\n\nThe end.\n"));
  }

  void testParsers() {
    CPPUNIT_ASSERT_EQUAL(int64_t{42}, *parseInteger("+42"));
    CPPUNIT_ASSERT_EQUAL(int64_t{-7}, *parseInteger("-7"));
    // White space around a value, as Poco::trim sees it (\v and \f included).
    CPPUNIT_ASSERT_EQUAL(int64_t{5}, *parseInteger(" \t5\r\n"));
    CPPUNIT_ASSERT_EQUAL(int64_t{5}, *parseInteger("\v5\f"));
    CPPUNIT_ASSERT(!parseInteger(""));
    CPPUNIT_ASSERT(!parseInteger("5 5"));
    CPPUNIT_ASSERT(!parseInteger("99999999999999999999"));
    CPPUNIT_ASSERT_EQUAL(int64_t{1500}, *parseDurationMs("1500"));
    CPPUNIT_ASSERT_EQUAL(int64_t{30000}, *parseDurationMs(" 30s "));
    CPPUNIT_ASSERT_EQUAL(int64_t{300000}, *parseDurationMs("5M"));
    CPPUNIT_ASSERT_EQUAL(int64_t{3600000}, *parseDurationMs("1h"));
    CPPUNIT_ASSERT_EQUAL(int64_t{86400000}, *parseDurationMs("1d"));
    CPPUNIT_ASSERT_EQUAL(int64_t{500}, *parseDurationMs("500ms"));
    CPPUNIT_ASSERT(!parseDurationMs("5 s"));
    CPPUNIT_ASSERT(!parseDurationMs("s"));
    CPPUNIT_ASSERT(!parseDurationMs("5w"));
    CPPUNIT_ASSERT(!parseDurationMs("9223372036854775807d"));  // overflow
    CPPUNIT_ASSERT(*parseBoolean("Yes") && *parseBoolean("on") && *parseBoolean(" 1 "));
    CPPUNIT_ASSERT(!*parseBoolean("FALSE") && !*parseBoolean("off") && !*parseBoolean("0"));
    CPPUNIT_ASSERT(!parseBoolean("maybe"));
    CPPUNIT_ASSERT_EQUAL(41.5, *parseNumber("+41.5"));
    CPPUNIT_ASSERT_EQUAL(-1000.0, *parseNumber("-1e3"));
    CPPUNIT_ASSERT(!parseNumber("nan") && !parseNumber("inf") && !parseNumber("1,5"));
    CPPUNIT_ASSERT_EQUAL(std::string("41.5"), formatNumber(41.5));
    CPPUNIT_ASSERT_EQUAL(std::string("-90"), formatNumber(-90));
  }

  void testKindsWording() {
    ConfigSources sources;
    sources.env = {{"TOY_INTERVAL", "1"},
                   {"TOY_RATIO", "2"},
                   {"TOY_MODE", "medium"},
                   {"TOY_NAME", "  "},
                   {"TOY_SOCKET", " "}};
    Toy toy;
    const auto problems = problemsOf(sources, &toy);
    CPPUNIT_ASSERT_EQUAL(size_t{4}, problems.size());
    CPPUNIT_ASSERT_EQUAL(std::string("env TOY_INTERVAL: must be a duration in milliseconds from "
                                     "100 to 60000 (a number, or with a unit: 30s, 5m, 1h) (got "
                                     "\"1\")"),
                         problems[0]);
    CPPUNIT_ASSERT_EQUAL(std::string("env TOY_NAME: must not be empty"), problems[1]);
    CPPUNIT_ASSERT_EQUAL(std::string("env TOY_MODE: must be one of fast, slow (got \"medium\")"),
                         problems[2]);
    CPPUNIT_ASSERT_EQUAL(std::string("env TOY_RATIO: must be a number from 0 to 1 (got \"2\")"),
                         problems[3]);
    CPPUNIT_ASSERT(!toy.socket);  // a blank optional is unset
  }

  // Moved from ConfigTest: the exception both daemons throw.
  void testExceptionMessageJoinsProblems() {
    try {
      ConfigSources sources;
      sources.env = {{"TOY_COUNT", "x"}, {"TOY_INTERVAL", "y"}};
      load(sources);
      CPPUNIT_FAIL("no exception");
    } catch (const Poco::Exception& e) {
      CPPUNIT_ASSERT_EQUAL(std::string("Configuration error"), std::string(e.name()));
      CPPUNIT_ASSERT(contains(e.message(), "env TOY_COUNT"));
      CPPUNIT_ASSERT(contains(e.message(), "\nenv TOY_INTERVAL"));
      std::unique_ptr<Poco::Exception> copy(e.clone());
      CPPUNIT_ASSERT_EQUAL(size_t{2}, dynamic_cast<ConfigException&>(*copy).problems().size());
      CPPUNIT_ASSERT_THROW(copy->rethrow(), ConfigException);
    }
  }

  void testCrossCheckOnlyOnGoodSources() {
    int calls = 0;
    const auto check = [&calls](Toy& toy, std::vector<std::string>& problems) {
      ++calls;
      if (toy.count > 5 && !toy.enabled) {
        problems.push_back(toy.sources["a.count"] + ": a.count above 5 needs b.enabled");
      }
      toy.warnings.push_back("checked");
    };
    ConfigSources sources;
    sources.flags = {{"a.count", "7"}};
    try {
      toyTable().loadChecked(sources, check);
      CPPUNIT_FAIL("no exception");
    } catch (const ConfigException& e) {
      CPPUNIT_ASSERT_EQUAL(std::string("flag --a.count: a.count above 5 needs b.enabled"),
                           e.message());
    }
    sources.env = {{"TOY_ENABLED", "yes"}};
    CPPUNIT_ASSERT_EQUAL(std::string("checked"),
                         toyTable().loadChecked(sources, check).warnings[0]);
    CPPUNIT_ASSERT_EQUAL(2, calls);
    // Not called when a source already has a problem: its values may be half set.
    sources.flags = {{"a.count", "x"}};
    CPPUNIT_ASSERT_THROW(toyTable().loadChecked(sources, check), ConfigException);
    CPPUNIT_ASSERT_EQUAL(2, calls);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SettingsTest);
