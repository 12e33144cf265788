#pragma once

// What the module fuzzers require of the text ModuleFamilies::appendText writes (Prometheus
// text 0.0.4 as client_golang writes it): valid UTF-8, ending in a newline; each family a
// "# HELP <name> <help>" line (only \\ and \n escapes) then a "# TYPE <name> gauge|counter"
// line, families in name order and each once; then the family's samples, each
// "<name>{<label>="<value>",…} <value>" with the family's name, legacy metric and label names,
// label names sorted and unique, label values with only \\, \" and \n escapes, a value that
// parses as a float ("NaN", "+Inf", "-Inf" included), and no (name, labels) twice.
#include <charconv>
#include <set>
#include <string>
#include <string_view>
#include <system_error>

#include "common/Text.h"

namespace promsnmp::fuzz {

namespace detail {

inline bool nameStart(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

/// Reads a metric name (colon true) or label name from the front of `s`; empty when none.
inline std::string_view readName(std::string_view& s, bool colon) {
  if (s.empty() || !nameStart(s[0], colon)) {
    return {};
  }
  size_t n = 1;
  while (n < s.size() && (nameStart(s[n], colon) || (s[n] >= '0' && s[n] <= '9'))) {
    ++n;
  }
  const std::string_view name = s.substr(0, n);
  s.remove_prefix(n);
  return name;
}

/// A sample value as Prometheus reads it: a float, "NaN", "+Inf", "-Inf".
inline bool validValue(std::string_view v) {
  if (v == "NaN" || v == "+Inf" || v == "-Inf") {
    return true;
  }
  if (v.empty() || !((v[0] >= '0' && v[0] <= '9') || v[0] == '-')) {
    return false;
  }
  double d = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  return ec == std::errc() && end == v.data() + v.size();
}

class TextChecker {
 public:
  /// The first problem of `text`, or "".
  std::string run(std::string_view text) {
    if (!common::isValidUtf8(text)) {
      return "invalid UTF-8";
    }
    if (!text.empty() && text.back() != '\n') {
      return "the text does not end with a newline";
    }
    while (!text.empty()) {
      const size_t nl = text.find('\n');
      std::string problem = line(text.substr(0, nl));
      if (!problem.empty()) {
        return problem + ": " + std::string(text.substr(0, nl));
      }
      text.remove_prefix(nl + 1);
    }
    return help_.empty() ? "" : "a HELP line without its TYPE line";
  }

 private:
  std::string line(std::string_view l) {
    if (l.substr(0, 7) == "# HELP ") {
      l.remove_prefix(7);
      const std::string_view name = readName(l, true);
      if (name.empty() || !help_.empty() || l.substr(0, 1) != " ") {
        return "a bad HELP line";
      }
      for (size_t i = 1; i < l.size(); ++i) {
        if (l[i] == '\\' && (++i >= l.size() || (l[i] != '\\' && l[i] != 'n'))) {
          return "a bad escape in a HELP text";
        }
      }
      help_ = name;
      return "";
    }
    if (l.substr(0, 7) == "# TYPE ") {
      l.remove_prefix(7);
      const std::string_view name = readName(l, true);
      if (name.empty() || name != help_ || (l != " gauge" && l != " counter")) {
        return "a bad TYPE line, or not after its HELP line";
      }
      if (!family_.empty() && !(family_ < name)) {
        return "families not in name order, or one twice";
      }
      family_ = name;
      help_.clear();
      return "";
    }
    const std::string_view whole = l;
    const std::string_view name = readName(l, true);
    if (name.empty() || name != family_ || !help_.empty()) {
      return "a sample outside its family";
    }
    if (l.substr(0, 1) == "{") {
      l.remove_prefix(1);
      std::string_view previous;
      while (true) {
        const std::string_view label = readName(l, false);
        if (label.empty() || (!previous.empty() && !(previous < label))) {
          return "a bad, repeated or unsorted label name";
        }
        previous = label;
        if (l.substr(0, 2) != "=\"") {
          return "a label without =\"";
        }
        l.remove_prefix(2);
        while (!l.empty() && l[0] != '"') {
          if (l[0] == '\\') {
            if (l.size() < 2 || (l[1] != '\\' && l[1] != '"' && l[1] != 'n')) {
              return "a bad escape in a label value";
            }
            l.remove_prefix(1);
          }
          l.remove_prefix(1);
        }
        if (l.empty()) {
          return "an unterminated label value";
        }
        l.remove_prefix(1);
        if (l.substr(0, 1) == ",") {
          l.remove_prefix(1);
          continue;
        }
        if (l.substr(0, 1) == "}") {
          l.remove_prefix(1);
          break;
        }
        return "a label not followed by , or }";
      }
    }
    if (l.substr(0, 1) != " " || !validValue(l.substr(1))) {
      return "a bad sample value";
    }
    if (!series_.insert(std::string(whole.substr(0, whole.size() - l.size()))).second) {
      return "a series twice";
    }
    return "";
  }

  std::string help_;    // the family whose HELP line came last, until its TYPE line
  std::string family_;  // the family whose samples may follow
  std::set<std::string> series_;
};

}  // namespace detail

/// The first problem of `text` (see the file comment), or "" when it has none.
inline std::string checkPrometheusText(std::string_view text) {
  return detail::TextChecker().run(text);
}

}  // namespace promsnmp::fuzz
