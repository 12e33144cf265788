#include "common/Settings.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <typeinfo>

#include <Poco/String.h>
#include <libconfig.h++>

#include "common/SettingKinds.h"
#include "common/Text.h"

namespace common {

ConfigException::ConfigException(std::vector<std::string> problems)
    : Poco::Exception([&problems] {
        std::string text;
        for (const auto& problem : problems) {
          text += text.empty() ? "" : "\n";
          text += problem;
        }
        return text;
      }()),
      problems_(std::move(problems)) {}

const char* ConfigException::name() const noexcept { return "Configuration error"; }

const char* ConfigException::className() const noexcept { return typeid(*this).name(); }

Poco::Exception* ConfigException::clone() const { return new ConfigException(*this); }

void ConfigException::rethrow() const { throw *this; }

namespace {

using Rows = std::vector<const SettingSpec*>;
using Apply = std::function<std::string(std::size_t, const std::string&)>;

std::optional<std::size_t> findByKey(const Rows& rows, const std::string& key) {
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (rows[i]->key == key) {
      return i;
    }
  }
  return std::nullopt;
}

std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

/// " (did you mean 'x'?)" for a near miss of a file key, else "".
std::string suggestion(const Rows& rows, const std::string& key) {
  const SettingSpec* best = nullptr;
  std::size_t bestDistance = 4;
  for (const SettingSpec* row : rows) {
    const std::size_t distance = editDistance(key, row->key);
    if (row->inFile && distance < bestDistance) {
      best = row;
      bestDistance = distance;
    }
  }
  return best != nullptr ? " (did you mean '" + best->key + "'?)" : "";
}

bool isGroupPrefix(const Rows& rows, const std::string& path) {
  return std::any_of(rows.begin(), rows.end(),
                     [&](const SettingSpec* row) { return row->key.rfind(path + ".", 0) == 0; });
}

/// A scalar setting as the text the table's parsers take.
std::optional<std::string> scalarText(const libconfig::Setting& setting) {
  switch (setting.getType()) {
    case libconfig::Setting::TypeInt:
    case libconfig::Setting::TypeInt64:
      return std::to_string(static_cast<long long>(setting));
    case libconfig::Setting::TypeFloat:
      return formatNumber(static_cast<double>(setting));
    case libconfig::Setting::TypeBoolean:
      return std::string(static_cast<bool>(setting) ? "true" : "false");
    case libconfig::Setting::TypeString:
      return std::string(static_cast<const char*>(setting));
    default:
      return std::nullopt;
  }
}

/// Reads the config file into the table's rows, adding `file:line: message` problems.
class FileReader {
 public:
  FileReader(const Rows& rows, const Apply& apply, ConfigProvenance& provenance,
             std::vector<std::string>& problems)
      : rows_(rows),
        apply_(apply),
        path_(provenance.configFile),
        provenance_(provenance),
        problems_(problems) {}

  void read() {
    if (::access(path_.c_str(), R_OK) != 0) {
      problems_.push_back(path_ + ": cannot read config file: " + std::strerror(errno));
      return;
    }
    libconfig::Config file;
    file.setAutoConvert(true);  // an int read as long long
    // @include names a file beside this one.
    const auto slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
    file.setIncludeDir(dir.c_str());
    try {
      file.readFile(path_.c_str());
    } catch (const libconfig::ParseException& e) {
      problems_.push_back(std::string(e.getFile() != nullptr ? e.getFile() : path_.c_str()) + ":" +
                          std::to_string(e.getLine()) + ": " + e.getError());
      return;
    } catch (const libconfig::FileIOException&) {
      problems_.push_back(path_ + ": cannot read config file");
      return;
    }
    try {
      walk(file.getRoot());
    } catch (const libconfig::SettingException& e) {
      problems_.push_back(path_ + ": " + e.getPath() + ": " + e.what());
    }
  }

 private:
  std::string where(const libconfig::Setting& setting) const {
    const char* file = setting.getSourceFile();
    return std::string(file != nullptr ? file : path_) + ":" +
           std::to_string(setting.getSourceLine());
  }

  void walk(const libconfig::Setting& group) {
    for (int i = 0; i < group.getLength(); ++i) {
      const libconfig::Setting& setting = group[i];
      const std::string key = setting.getPath();
      const std::optional<std::size_t> row = findByKey(rows_, key);
      if (setting.isGroup()) {
        if (row) {
          problems_.push_back(where(setting) + ": " + key +
                              ": must be a single value, not a group");
        } else if (isGroupPrefix(rows_, key)) {
          walk(setting);
        } else {
          problems_.push_back(where(setting) + ": unknown group '" + key + "'");
        }
        continue;
      }
      if (!row) {
        problems_.push_back(where(setting) + ": unknown setting '" + key + "'" +
                            suggestion(rows_, key));
        continue;
      }
      const SettingSpec& spec = *rows_[*row];
      if (!spec.inFile) {
        // Never echo the value: this is where a key pasted into the file would show up.
        problems_.push_back(where(setting) + ": " + key + " cannot be set in the config file; " +
                            spec.fileHint);
        continue;
      }
      const auto value = scalarText(setting);
      if (!value) {
        problems_.push_back(where(setting) + ": " + key + ": must be a single value, not " +
                            (setting.isArray() ? "an array" : "a list"));
        continue;
      }
      const std::string problem = apply_(*row, *value);
      if (!problem.empty()) {
        std::string line = where(setting);
        line += ": " + key + ": ";
        line += problem;
        problems_.push_back(std::move(line));
      } else {
        provenance_.sources[spec.sourceKey] = where(setting);
      }
    }
  }

  const Rows& rows_;
  const Apply& apply_;
  const std::string& path_;
  ConfigProvenance& provenance_;
  std::vector<std::string>& problems_;
};

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) {
    text.append(width - text.size(), ' ');
  } else {
    text += "  ";
  }
  return text;
}

}  // namespace

namespace detail {

void loadSettings(const Rows& rows, const Apply& apply, const ConfigSources& sources,
                  ConfigProvenance& provenance, std::vector<std::string>& problems) {
  // 1. the file
  if (sources.file) {
    provenance.configFile = *sources.file;
  } else if (!sources.defaultFile.empty() && ::access(sources.defaultFile.c_str(), F_OK) == 0) {
    provenance.configFile = sources.defaultFile;
  }
  if (!provenance.configFile.empty()) {
    FileReader(rows, apply, provenance, problems).read();
  }

  // 2. the environment, in table order (so a row may refine an earlier one: the collector's
  // SERVER_PORT comes before web.listen_address, and a full PROMSNMP_WEB_LISTEN_ADDRESS wins)
  for (std::size_t row = 0; row < rows.size(); ++row) {
    const SettingSpec& spec = *rows[row];
    const std::string* chosen = nullptr;
    const std::string* chosenName = nullptr;
    for (const auto& name : spec.env) {
      const auto it = sources.env.find(name);
      if (it == sources.env.end() || (it->second.empty() && !spec.emptyEnvSets)) {
        continue;
      }
      if (chosen == nullptr) {
        chosen = &it->second;
        chosenName = &name;
      } else if (!spec.envFallbacks && Poco::trim(it->second) != Poco::trim(*chosen)) {
        provenance.warnings.push_back(name + "=" + quoted(it->second) +
                                      " is ignored: " + *chosenName + " is also set and wins");
      }
    }
    if (chosen == nullptr) {
      continue;
    }
    const std::string problem = apply(row, *chosen);
    if (!problem.empty()) {
      problems.push_back("env " + *chosenName + ": " + problem);
    } else {
      provenance.sources[spec.sourceKey] = "env " + *chosenName;
    }
  }

  // 3. the flags
  for (const auto& [flag, value] : sources.flags) {
    const auto row = std::find_if(rows.begin(), rows.end(), [&flag = flag](const SettingSpec* s) {
      return !s->flag.empty() && s->flag == flag;
    });
    if (row == rows.end()) {
      problems.push_back("flag --" + flag + ": unknown flag");
      continue;
    }
    const std::string problem = apply(static_cast<std::size_t>(row - rows.begin()), value);
    if (!problem.empty()) {
      std::string line = "flag --" + flag;
      line += ": ";
      line += problem;
      problems.push_back(std::move(line));
    } else {
      provenance.sources[(*row)->sourceKey] = "flag --" + flag;
    }
  }
}

std::string describe(const std::string& program, const ConfigProvenance& provenance,
                     const std::vector<SettingItem>& items) {
  std::string out = "# " + program + " configuration; file: " +
                    (provenance.configFile.empty() ? "none" : provenance.configFile) + "\n";
  for (const auto& item : items) {
    out += item.key + " = " + item.value + "  # " + item.source + "\n";
  }
  for (const auto& warning : provenance.warnings) {
    out += "# warning: " + warning + "\n";
  }
  return out;
}

}  // namespace detail

std::string usageText(const UsageSpec& spec, const std::vector<SettingInfo>& settings) {
  std::string out = "usage: " + spec.program + " [flags]\n\n" + spec.about + "\nFlags:\n";
  auto flag = [&out](const std::string& usage, const std::string& help) {
    out += "  " + pad(usage, 34) + help + "\n";
  };
  for (const auto& [usage, help] : spec.processFlags) {
    flag(usage, help);
  }
  for (const auto& setting : settings) {
    if (setting.flag.empty()) {
      continue;
    }
    // The metavariable is the last word of the key: listen_address → ADDRESS.
    const std::string leaf = setting.key.substr(setting.key.rfind('.') + 1);
    std::string meta = leaf.substr(leaf.rfind('_') == std::string::npos ? 0 : leaf.rfind('_') + 1);
    Poco::toUpperInPlace(meta);
    flag("    --" + setting.flag + "=" + meta, setting.help);
    flag("", "(default " + setting.defaultValue + ")");
  }
  out += "\n" + spec.settingsAbout + "\n";
  std::size_t keyWidth = 0;
  std::size_t envWidth = 0;
  std::vector<std::string> envs;
  for (const auto& setting : settings) {
    std::string env;
    for (const auto& name : setting.env) {
      env += (env.empty() ? "" : ", ") + name;
    }
    envs.push_back(env);
    keyWidth = std::max(keyWidth, setting.key.size() + 4);
    envWidth = std::max(envWidth, env.size() + 2);
  }
  out += "  " + pad("file key", keyWidth) + pad("environment", envWidth) + "default\n";
  for (std::size_t i = 0; i < settings.size(); ++i) {
    const std::string key = settings[i].key + (settings[i].inFile ? "" : " *");
    out += "  " + pad(key, keyWidth) + pad(envs[i], envWidth) + settings[i].defaultValue + "\n";
  }
  out += "  * environment only\n";
  out += spec.epilogue;
  return out;
}

}  // namespace common
