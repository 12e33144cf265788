#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <Poco/String.h>

#include "common/Secret.h"
#include "common/Settings.h"
#include "common/Text.h"

namespace common {

// The usual kinds of setting, as Setting rows of a SettingsTable<C>, and the value parsers they
// use. A row's problem texts say what is expected and quote what was given:
// `must be an integer from 1 to 10 (got "x")`. All functions are thread-safe.

// ---------------------------------------------------------------------------------------------
// Value parsing: each parser takes the text as given (environment, flag, or a file scalar turned
// into text), ignores surrounding white space and returns the value or nothing.

/// A decimal integer, with an optional sign.
std::optional<int64_t> parseInteger(const std::string& text);

/// Milliseconds: an integer (the Java settings' unit), or an integer with a unit ms, s, m, h or d
/// in any case ("30s", "5m"); nothing on overflow.
std::optional<int64_t> parseDurationMs(const std::string& text);

/// Spring's relaxed booleans: true/false, yes/no, on/off, 1/0, any case.
std::optional<bool> parseBoolean(const std::string& text);

/// A finite real number ("41.5", "-1e3").
std::optional<double> parseNumber(const std::string& text);

/// The shortest text that reads back as `value` ("41.5", "1e+21").
std::string formatNumber(double value);

/// "from MIN to MAX".
std::string rangeText(int64_t min, int64_t max);

// ---------------------------------------------------------------------------------------------
// Validators for string settings: "" when fine, else the problem.

using Validator = std::function<std::string(const std::string&)>;

/// Accepts anything.
std::string anything(const std::string& value);

/// Rejects an empty or all-blank value.
std::string nonEmpty(const std::string& value);

// ---------------------------------------------------------------------------------------------
// Rows.

/// A row with its names only; the caller sets the functions.
template <typename C>
Setting<C> named(std::string key, std::vector<std::string> env, std::string help) {
  Setting<C> row;
  SettingSpec& spec = row;
  spec.key = std::move(key);
  spec.env = std::move(env);
  spec.help = std::move(help);
  return row;
}

/// `row` with a flag.
template <typename C>
Setting<C> withFlag(Setting<C> row, std::string flag) {
  static_cast<SettingSpec&>(row).flag = std::move(flag);
  return row;
}

/// A value of type T in `member`: `parse` returns the value, or nothing when the text is not
/// acceptable (bounds included), and then `problem(text)` says why; `show` formats it.
template <typename C, typename T>
Setting<C> parsed(std::string key, std::vector<std::string> env, T C::*member, T initial,
                  std::function<std::optional<T>(const std::string&)> parse,
                  std::function<std::string(const std::string&)> problem,
                  std::function<std::string(const T&)> show, std::string help) {
  Setting<C> row = named<C>(std::move(key), std::move(env), std::move(help));
  row.setDefault = [member, initial = std::move(initial)](C& c) { c.*member = initial; };
  row.fromText = [member, parse = std::move(parse), problem = std::move(problem)](
                     C& c, const std::string& text) -> std::string {
    std::optional<T> value = parse(text);
    if (!value) {
      return problem(text);
    }
    c.*member = std::move(*value);
    return "";
  };
  row.show = [member, show = std::move(show)](const C& c) { return show(c.*member); };
  return row;
}

/// An integer within [min, max].
template <typename C>
Setting<C> integer(std::string key, std::vector<std::string> env, int64_t C::*member, int64_t value,
                   int64_t min, int64_t max, std::string help) {
  return parsed<C, int64_t>(
      std::move(key), std::move(env), member, value,
      [=](const std::string& text) -> std::optional<int64_t> {
        const auto number = parseInteger(text);
        return number && *number >= min && *number <= max ? number : std::nullopt;
      },
      [=](const std::string& text) {
        return "must be an integer " + rangeText(min, max) + " (got " + quoted(text) + ")";
      },
      [](const int64_t& v) { return std::to_string(v); }, std::move(help));
}

/// Milliseconds within [min, max] (parseDurationMs).
template <typename C>
Setting<C> duration(std::string key, std::vector<std::string> env,
                    std::chrono::milliseconds C::*member, int64_t value, int64_t min, int64_t max,
                    std::string help) {
  using Ms = std::chrono::milliseconds;
  return parsed<C, Ms>(
      std::move(key), std::move(env), member, Ms(value),
      [=](const std::string& text) -> std::optional<Ms> {
        const auto ms = parseDurationMs(text);
        return ms && *ms >= min && *ms <= max ? std::optional<Ms>(*ms) : std::nullopt;
      },
      [=](const std::string& text) {
        return "must be a duration in milliseconds " + rangeText(min, max) +
               " (a number, or with a unit: 30s, 5m, 1h) (got " + quoted(text) + ")";
      },
      [](const Ms& v) { return std::to_string(v.count()); }, std::move(help));
}

/// A boolean (parseBoolean).
template <typename C>
Setting<C> boolean(std::string key, std::vector<std::string> env, bool C::*member, bool value,
                   std::string help) {
  return parsed<C, bool>(
      std::move(key), std::move(env), member, value, parseBoolean,
      [](const std::string& text) { return "must be true or false (got " + quoted(text) + ")"; },
      [](const bool& v) { return std::string(v ? "true" : "false"); }, std::move(help));
}

/// A string that `validate` accepts, kept as given; shown quoted.
template <typename C>
Setting<C> text(std::string key, std::vector<std::string> env, std::string C::*member,
                const std::string& value, const Validator& validate, std::string help) {
  Setting<C> row = named<C>(std::move(key), std::move(env), std::move(help));
  row.setDefault = [=](C& c) { c.*member = value; };
  row.fromText = [=](C& c, const std::string& given) -> std::string {
    std::string problem = validate(given);
    if (problem.empty()) {
      c.*member = given;
    }
    return problem;
  };
  row.show = [=](const C& c) { return quoted(c.*member); };
  return row;
}

/// A string from a fixed set, stored lower-case; the input is matched case-insensitively.
template <typename C>
Setting<C> choice(std::string key, std::vector<std::string> env, std::string C::*member,
                  const std::string& value, const std::vector<std::string>& values,
                  std::string help) {
  return parsed<C, std::string>(
      std::move(key), std::move(env), member, value,
      [=](const std::string& text) -> std::optional<std::string> {
        const std::string wanted = Poco::toLower(Poco::trim(text));
        return std::find(values.begin(), values.end(), wanted) != values.end()
                   ? std::optional<std::string>(wanted)
                   : std::nullopt;
      },
      [=](const std::string& text) {
        std::string list;
        for (const auto& v : values) {
          list += (list.empty() ? "" : ", ") + v;
        }
        return "must be one of " + list + " (got " + quoted(text) + ")";
      },
      [](const std::string& v) { return quoted(v); }, std::move(help));
}

/// An optional enum: unset by default; "auto" (or an empty file string) sets it back to unset.
template <typename E, typename C>
Setting<C> optionalChoice(std::string key, std::vector<std::string> env,
                          std::optional<E> C::*member,
                          std::vector<std::pair<std::string, E>> values, std::string help) {
  Setting<C> row = named<C>(std::move(key), std::move(env), std::move(help));
  row.setDefault = [=](C& c) { c.*member = std::nullopt; };
  row.fromText = [=](C& c, const std::string& text) -> std::string {
    const std::string wanted = Poco::toLower(Poco::trim(text));
    if (wanted.empty() || wanted == "auto") {
      c.*member = std::nullopt;
      return "";
    }
    std::string list;
    for (const auto& [name, e] : values) {
      if (name == wanted) {
        c.*member = e;
        return "";
      }
      list += name + ", ";
    }
    return "must be one of " + list + "auto (got " + quoted(text) + ")";
  };
  row.show = [=](const C& c) -> std::string {
    for (const auto& [name, e] : values) {
      if (c.*member == e) {
        return quoted(name);
      }
    }
    return "<unset>";
  };
  return row;
}

/// An optional string: unset by default; an empty (or blank) value unsets it.
template <typename C>
Setting<C> optionalText(std::string key, std::vector<std::string> env,
                        std::optional<std::string> C::*member, std::string help) {
  Setting<C> row = named<C>(std::move(key), std::move(env), std::move(help));
  row.setDefault = [=](C& c) { c.*member = std::nullopt; };
  row.fromText = [=](C& c, const std::string& text) -> std::string {
    c.*member = Poco::trim(text).empty() ? std::nullopt : std::optional<std::string>(text);
    return "";
  };
  row.show = [=](const C& c) { return c.*member ? quoted(*(c.*member)) : "<unset>"; };
  return row;
}

/// An optional real number within [min, max]; an empty value unsets it.
template <typename C>
Setting<C> optionalNumber(std::string key, std::vector<std::string> env,
                          std::optional<double> C::*member, double min, double max,
                          std::string help) {
  Setting<C> row = named<C>(std::move(key), std::move(env), std::move(help));
  row.setDefault = [=](C& c) { c.*member = std::nullopt; };
  row.fromText = [=](C& c, const std::string& text) -> std::string {
    if (Poco::trim(text).empty()) {
      c.*member = std::nullopt;
      return "";
    }
    const auto parsed = parseNumber(text);
    if (!parsed || *parsed < min || *parsed > max) {
      return "must be a number from " + formatNumber(min) + " to " + formatNumber(max) + " (got " +
             quoted(text) + ")";
    }
    c.*member = *parsed;
    return "";
  };
  row.show = [=](const C& c) {
    return c.*member ? formatNumber(*(c.*member)) : std::string("<unset>");
  };
  return row;
}

/// A password or key: any text, shown as Secret::display() (`<secret>` or `<unset>`).
template <typename C>
Setting<C> secret(std::string key, std::vector<std::string> env, Secret C::*member,
                  std::string help) {
  Setting<C> row = named<C>(std::move(key), std::move(env), std::move(help));
  row.setDefault = [=](C& c) { c.*member = Secret(); };
  row.fromText = [=](C& c, const std::string& text) -> std::string {
    c.*member = Secret(text);
    return "";
  };
  row.show = [=](const C& c) { return (c.*member).display(); };
  return row;
}

/// `row` readable from the environment only; a file that sets it is told `fileHint`.
template <typename C>
Setting<C> environmentOnly(Setting<C> row, std::string fileHint) {
  SettingSpec& spec = row;
  spec.inFile = false;
  spec.fileHint = std::move(fileHint);
  return row;
}

}  // namespace common
