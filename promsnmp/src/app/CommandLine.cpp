#include "app/CommandLine.h"

#include <algorithm>
#include <typeinfo>

#include <Poco/Environment.h>

#include "common/Settings.h"
#include "config/Config.h"

#ifndef PROMSNMP_VERSION
#define PROMSNMP_VERSION "unknown"
#endif
#ifndef PROMSNMP_BRANCH
#define PROMSNMP_BRANCH "unknown"
#endif
#ifndef PROMSNMP_REVISION
#define PROMSNMP_REVISION "unknown"
#endif

namespace promsnmp {

POCO_IMPLEMENT_EXCEPTION(UsageException, Poco::Exception, "Usage error")

namespace {

enum class FlagKind { Value, Boolean };

struct FlagSpec {
  std::string name;
  FlagKind kind;
};

/// The process flags, then one flag per table setting that has one.
std::vector<FlagSpec> flagSpecs() {
  std::vector<FlagSpec> specs = {{"help", FlagKind::Boolean},
                                 {"version", FlagKind::Boolean},
                                 {"config.file", FlagKind::Value},
                                 {"config.check", FlagKind::Boolean},
                                 {"dry-run", FlagKind::Boolean}};
  for (const auto& setting : settingsTable()) {
    if (!setting.flag.empty()) {
      specs.push_back({setting.flag, FlagKind::Value});
    }
  }
  return specs;
}

bool parseFlagBoolean(const std::string& flag, const std::string& value) {
  std::string text = value;
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (text == "true") {
    return true;
  }
  if (text == "false") {
    return false;
  }
  throw UsageException("flag --" + flag + " takes true or false, not '" + value + "'");
}

}  // namespace

CommandLine parseCommandLine(const std::vector<std::string>& args) {
  const std::vector<FlagSpec> specs = flagSpecs();
  CommandLine result;
  bool help = false;
  bool version = false;
  bool check = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      throw UsageException(arg == "--" || arg.empty() || arg[0] != '-'
                               ? "unexpected argument '" + arg + "'"
                               : "unknown flag '" + arg + "'");
    }
    const auto equals = arg.find('=');
    const std::string name =
        arg.substr(2, equals == std::string::npos ? std::string::npos : equals - 2);
    const auto spec =
        std::find_if(specs.begin(), specs.end(), [&](const FlagSpec& s) { return s.name == name; });
    if (spec == specs.end()) {
      throw UsageException("unknown flag --" + name);
    }
    bool on = true;
    std::string value;
    if (spec->kind == FlagKind::Boolean) {
      if (equals != std::string::npos) {
        on = parseFlagBoolean(name, arg.substr(equals + 1));
      }
    } else if (equals != std::string::npos) {
      value = arg.substr(equals + 1);
      if (value.empty()) {
        throw UsageException("flag --" + name + " needs a value");
      }
    } else {
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0) {
        throw UsageException("flag --" + name + " needs a value");
      }
      value = args[++i];
    }
    if (name == "help") {
      help = on;
    } else if (name == "version") {
      version = on;
    } else if (name == "config.check" || name == "dry-run") {
      check = on;
    } else if (name == "config.file") {
      result.configFile = value;
    } else {
      result.settingFlags[name] = value;
    }
  }
  result.action = help      ? CommandLine::Action::Help
                  : version ? CommandLine::Action::Version
                  : check   ? CommandLine::Action::CheckConfig
                            : CommandLine::Action::Run;
  return result;
}

std::string usageText(const std::string& program) {
  common::UsageSpec spec;
  spec.program = program;
  spec.about =
      "SNMP collector for Prometheus: polls the devices of a shared inventory and serves their\n"
      "metrics (/snmp?target=, /metrics, /targets).\n";
  spec.processFlags = {
      {"-h, --help", "show this help and exit"},
      {"    --version", "show version information and exit"},
      {"    --config.file=PATH",
       std::string("libconfig file (default: ") + kDefaultConfigFile + " if it exists)"},
      {"    --config.check", "load and validate the configuration, print it with secrets"},
      {"", "masked, and exit (0 valid, 78 invalid); alias --dry-run"}};
  spec.settingsAbout =
      "Settings. Precedence: flags > environment > config file > defaults. An environment\n"
      "variable set to the empty string counts as unset. Durations are milliseconds, or a\n"
      "number with a unit (500ms, 30s, 5m, 1h). etc/promsnmp.cfg documents each one.\n";
  spec.epilogue =
      "\nThe inventory key is read from PROM_ENCRYPT_KEY, else the file named by\n"
      "PROM_ENCRYPT_KEY_FILE, else the systemd credential promsnmp-encrypt-key.\n"
      "\n" +
      program +
      " healthcheck [--url=URL] [--timeout=SECONDS] [flags]: asks a running collector for its\n"
      "readiness (by default on the listen address the flags, environment and file give);\n"
      "exit 0 when it answers 200, else 1. For container healthchecks without curl.\n"
      "\n" +
      program +
      " hash-password [--cost N]: prints the bcrypt hash of the password on standard input,\n"
      "for basic_auth_users in the web config file (--web.config.file).\n"
      "\nExit codes: 0 ok, " +
      std::to_string(kExitUsage) + " bad command line, " + std::to_string(kExitConfig) +
      " bad configuration.\n";
  return common::usageText(spec, settingsTable());
}

std::string versionText(const std::string& program) {
  const Poco::UInt32 poco = Poco::Environment::libraryVersion();
  const std::string pocoVersion = std::to_string((poco >> 24) & 0xff) + "." +
                                  std::to_string((poco >> 16) & 0xff) + "." +
                                  std::to_string((poco >> 8) & 0xff);
  std::string compiler =
#if defined(__clang__)
      "clang " __clang_version__;
#elif defined(__GNUC__)
      "gcc " __VERSION__;
#else
      "unknown";
#endif
  return program +
         ", version " PROMSNMP_VERSION " (branch: " PROMSNMP_BRANCH ", revision: " PROMSNMP_REVISION
         ")\n"
         "  compiler:         " +
         compiler + "\n  poco version:     " + pocoVersion + "\n";
}

}  // namespace promsnmp
