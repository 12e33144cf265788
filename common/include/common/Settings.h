#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <Poco/Exception.h>

namespace common {

// The settings machinery both daemons use (Redis config.c style): each daemon describes its
// settings in one table of Setting rows (file key, environment variables, flag, default, how a
// value is read and shown) and keeps its own checks that need more than one setting. The table
// does the rest: defaults, then the libconfig file, then the environment, then the flags (the
// strongest); every problem found, each `file:line: message`, `env NAME: message` or
// `flag --name: message`; where each value came from; `--config.check` output and `--help`
// lines. SettingKinds.h builds the usual rows (integers, durations, strings, choices, secrets).

/// Where a configuration is read from. The daemons fill it from the process environment and the
/// command line; tests fill the maps.
struct ConfigSources {
  /// --config.file: must exist when set.
  std::optional<std::string> file;
  /// Read when `file` is unset, but only if it exists; "" for none.
  std::string defaultFile;
  /// The environment, name → value. A variable set to the empty string counts as unset
  /// (compose files often pass `VAR: ${VAR}` through), except for settings whose mere presence
  /// matters (Setting::emptyEnvSets).
  std::map<std::string, std::string> env;
  /// Setting flags by name without the dashes ("web.listen-address" → ":9116").
  std::map<std::string, std::string> flags;
};

/// A configuration that cannot be used. problems() holds every problem found, each as
/// `file:line: message`, `env NAME: message` or `flag --name: message`; message() is them
/// joined by newlines. The daemons print them and exit with 78 (EX_CONFIG).
class ConfigException : public Poco::Exception {
 public:
  explicit ConfigException(std::vector<std::string> problems);

  const std::vector<std::string>& problems() const { return problems_; }

  const char* name() const noexcept override;
  const char* className() const noexcept override;
  Poco::Exception* clone() const override;
  void rethrow() const override;

 private:
  std::vector<std::string> problems_;
};

/// What loading records beside the values; each daemon's config struct derives from it.
struct ConfigProvenance {
  /// The file read, empty when none.
  std::string configFile;
  /// Where each shown setting's value came from, by file key: "file:line", "env NAME" or
  /// "flag --name" (a setting not listed has its default).
  std::map<std::string, std::string> sources;
  /// Non-fatal notes for the operator (an ignored alias); the daemon logs them as warnings.
  std::vector<std::string> warnings;
};

/// A setting's names and rules: what the loader and --help need, whatever the value's type.
struct SettingSpec {
  std::string key;        ///< file key, dotted ("collection.interval_ms")
  std::string sourceKey;  ///< key whose provenance a value sets; "" = `key`
  /// Environment variables. The first one present wins; a later one set to another value is
  /// noted in the warnings as ignored (an alias), unless `envFallbacks`.
  std::vector<std::string> env;
  std::string flag;           ///< flag name without dashes; "" = none
  std::string help;           ///< one line for --help
  bool inFile = true;         ///< may appear in the config file
  std::string fileHint;       ///< when !inFile: what to do instead
  bool shown = true;          ///< listed by items() and describe()
  bool emptyEnvSets = false;  ///< an empty variable counts as set (secrets: presence matters)
  bool envFallbacks = false;  ///< later variables are fallbacks, not aliases: never warned
};

/// One row of a settings table for the config struct `C`.
template <typename C>
struct Setting : SettingSpec {
  std::function<void(C&)> setDefault;
  /// Reads a value given as text (a file scalar is turned into text first). Returns "" when
  /// fine, else the problem (without the `where: key:` prefix).
  std::function<std::string(C&, const std::string&)> fromText;
  /// The value as describe() shows it (secrets masked, strings quoted).
  std::function<std::string(const C&)> show;
};

/// One shown setting: its file key, its value as text and where it came from.
struct SettingItem {
  std::string key;
  std::string value;
  std::string source;
};

/// One setting as --help and the documentation tests see it.
struct SettingInfo {
  std::string key;               ///< file key, e.g. "collection.interval_ms"
  std::vector<std::string> env;  ///< environment variables, first wins
  std::string flag;              ///< flag name without dashes, empty when none
  std::string defaultValue;      ///< as describe() shows it
  std::string help;              ///< one line
  bool inFile = true;            ///< false: environment only
};

/// What a --help text says besides the table's settings (usageText).
struct UsageSpec {
  std::string program;
  /// After `usage: <program> [flags]` and a blank line: what the program is (ends with '\n').
  std::string about;
  /// The flags that are no setting, as shown ("-h, --help", "    --config.file=PATH") with
  /// their help; an empty usage continues the help of the line before.
  std::vector<std::pair<std::string, std::string>> processFlags;
  /// The paragraph before the table of settings (ends with '\n').
  std::string settingsAbout;
  /// After the table (starts with '\n' for a blank line).
  std::string epilogue;
};

/// The --help text: the usage line, `about`, the process flags, one line per setting flag with
/// its help and default (the metavariable is the key's last word: listen_address → ADDRESS),
/// `settingsAbout`, a table of every setting (file key, environment variables, default; `*`
/// marks the environment-only ones) and `epilogue`. Thread-safe (pure).
std::string usageText(const UsageSpec& spec, const std::vector<SettingInfo>& settings);

namespace detail {

/// The table-independent part of SettingsTable::load: reads the file, the environment and the
/// flags in that order, calling `apply(row, text)` for each value given (it returns the problem
/// or ""), and records sources, the file read and warnings in `provenance`.
void loadSettings(const std::vector<const SettingSpec*>& rows,
                  const std::function<std::string(std::size_t, const std::string&)>& apply,
                  const ConfigSources& sources, ConfigProvenance& provenance,
                  std::vector<std::string>& problems);

/// SettingsTable::describe's text from its items.
std::string describe(const std::string& program, const ConfigProvenance& provenance,
                     const std::vector<SettingItem>& items);

}  // namespace detail

/// A daemon's settings table for its config struct `C` (derived from ConfigProvenance). Built
/// once (a function-local static); every member is const and thread-safe.
template <typename C>
class SettingsTable {
 public:
  explicit SettingsTable(std::vector<Setting<C>> rows) : rows_(std::move(rows)) {
    for (auto& row : rows_) {
      if (row.sourceKey.empty()) {
        row.sourceKey = row.key;
      }
    }
    for (const auto& row : rows_) {
      specs_.push_back(&row);
    }
  }
  SettingsTable(const SettingsTable&) = delete;
  SettingsTable& operator=(const SettingsTable&) = delete;

  const std::vector<Setting<C>>& rows() const { return rows_; }

  /// Sets every setting of `config` to its default.
  void setDefaults(C& config) const {
    for (const auto& row : rows_) {
      row.setDefault(config);
    }
  }

  /// Reads the file (`sources.file`, else `sources.defaultFile` if it exists), then the
  /// environment, then the flags into `config`, which holds the defaults. Rejects unknown file
  /// keys and flags. Adds every problem to `problems`; never throws for bad input.
  void load(C& config, const ConfigSources& sources, std::vector<std::string>& problems) const {
    static_assert(std::is_base_of_v<ConfigProvenance, C>);
    detail::loadSettings(
        specs_,
        [this, &config](std::size_t row, const std::string& text) {
          return rows_[row].fromText(config, text);
        },
        sources, config, problems);
  }

  /// A config with the defaults, then load(); when the sources gave no problem,
  /// `crossCheck(config, problems)` (the daemon's checks that need more than one setting; it may
  /// also fill in derived values and warnings). Returns the config or throws ConfigException
  /// with every problem found.
  C loadChecked(const ConfigSources& sources,
                const std::function<void(C&, std::vector<std::string>&)>& crossCheck) const {
    C config;
    setDefaults(config);
    std::vector<std::string> problems;
    load(config, sources, problems);
    if (problems.empty()) {
      crossCheck(config, problems);
    }
    if (!problems.empty()) {
      throw ConfigException(std::move(problems));
    }
    return config;
  }

  /// Every shown setting in table order, secrets masked.
  std::vector<SettingItem> items(const C& config) const {
    std::vector<SettingItem> out;
    for (const auto& row : rows_) {
      if (!row.shown) {
        continue;
      }
      const auto source = config.sources.find(row.key);
      out.push_back(
          {row.key, row.show(config), source == config.sources.end() ? "default" : source->second});
    }
    return out;
  }

  /// `# <program> configuration; file: <file or none>`, then one `key = value  # source` line
  /// per shown setting, then one `# warning: …` line per warning. Never contains a secret value
  /// (as long as secret rows show Secret::display()).
  std::string describe(const std::string& program, const C& config) const {
    return detail::describe(program, config, items(config));
  }

  /// Every row for --help, with the defaults as `defaults` shows them.
  std::vector<SettingInfo> info(const C& defaults) const {
    std::vector<SettingInfo> out;
    for (const auto& row : rows_) {
      out.push_back({row.key, row.env, row.flag, row.show(defaults), row.help, row.inFile});
    }
    return out;
  }

  /// Every environment variable the table reads, in table order.
  std::vector<std::string> environmentNames() const {
    std::vector<std::string> names;
    for (const auto& row : rows_) {
      names.insert(names.end(), row.env.begin(), row.env.end());
    }
    return names;
  }

  /// True when `flag` (without dashes) is the flag of a setting.
  bool hasFlag(const std::string& flag) const {
    for (const auto& row : rows_) {
      if (!row.flag.empty() && row.flag == flag) {
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<Setting<C>> rows_;
  std::vector<const SettingSpec*> specs_;
};

}  // namespace common
