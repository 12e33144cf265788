#include "SeriesDiff.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "DaemonHelpers.h"

namespace testing {

namespace {

bool hasIgnoredPrefix(const std::string& name, const std::vector<std::string>& ignored) {
  for (const std::string& prefix : ignored) {
    if (name.rfind(prefix, 0) == 0) {
      return true;
    }
  }
  return false;
}

/// Undoes the escapes of a HELP text (\\ and \n).
std::string unescapeHelp(const std::string& raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\\' && i + 1 < raw.size()) {
      const char c = raw[++i];
      out += c == 'n' ? '\n' : c;
    } else {
      out += raw[i];
    }
  }
  return out;
}

/// `text` with \, " and newline escaped as in the exposition and other control bytes as \xNN.
std::string escapeForDisplay(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20 || byte == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

std::string seriesKey(const Series& s) {
  std::string key = s.name;
  for (const auto& [name, value] : s.labels) {
    key += '\x1f';
    key += name;
    key += '\x1e';
    key += value;
  }
  return key;
}

}  // namespace

bool Series::operator<(const Series& other) const {
  return std::tie(name, labels, value) < std::tie(other.name, other.labels, other.value);
}

bool Series::operator==(const Series& other) const {
  return name == other.name && labels == other.labels && value == other.value;
}

std::string Series::str() const {
  std::string out = name;
  if (!labels.empty()) {
    out += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      out +=
          (i == 0 ? "" : ",") + labels[i].first + "=\"" + escapeForDisplay(labels[i].second) + '"';
    }
    out += '}';
  }
  return out + ' ' + value;
}

std::string canonicalValue(const std::string& text) {
  if (text.empty()) {
    throw std::invalid_argument("empty sample value");
  }
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE) {
    throw std::invalid_argument("sample value is not a number: \"" + text + "\"");
  }
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  if (v == 0) {
    return "0";
  }
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

SeriesSet parseSeries(const std::string& text, const std::vector<std::string>& ignored) {
  SeriesSet set;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    for (const char* kind : {"# HELP ", "# TYPE "}) {
      if (line.rfind(kind, 0) != 0) {
        continue;
      }
      const std::size_t nameEnd = line.find(' ', 7);
      const std::string family =
          line.substr(7, nameEnd == std::string::npos ? std::string::npos : nameEnd - 7);
      const std::string rest = nameEnd == std::string::npos ? "" : line.substr(nameEnd + 1);
      if (!hasIgnoredPrefix(family, ignored)) {
        if (kind[2] == 'H') {
          set.helps[family] = unescapeHelp(rest);
        } else {
          set.types[family] = rest;
        }
      }
    }
  }
  std::set<std::string> keys;
  for (const Sample& sample : parseSamples(text)) {
    if (hasIgnoredPrefix(sample.name, ignored)) {
      ++set.ignored;
      continue;
    }
    Series s;
    s.name = sample.name;
    for (const auto& [name, value] : sample.labels) {  // a std::map: sorted by name
      if (!value.empty()) {
        s.labels.emplace_back(name, value);
      }
    }
    s.value = canonicalValue(sample.value);
    if (!keys.insert(seriesKey(s)).second) {
      set.duplicates.push_back(s.str());
    }
    set.series.insert(std::move(s));
  }
  return set;
}

void mergeSeries(SeriesSet& into, const SeriesSet& from) {
  std::set<std::string> keys;
  for (const Series& s : into.series) {
    keys.insert(seriesKey(s));
  }
  for (const Series& s : from.series) {
    if (!keys.insert(seriesKey(s)).second) {
      into.duplicates.push_back(s.str());
    }
    into.series.insert(s);
  }
  into.duplicates.insert(into.duplicates.end(), from.duplicates.begin(), from.duplicates.end());
  into.types.insert(from.types.begin(), from.types.end());
  into.helps.insert(from.helps.begin(), from.helps.end());
  into.ignored += from.ignored;
}

SeriesDiff diffSeries(const SeriesSet& peer, const SeriesSet& ours) {
  SeriesDiff diff;
  std::set<std::string> peerFamilies;
  std::set<std::string> ourFamilies;
  for (const Series& s : peer.series) {
    peerFamilies.insert(s.name);
    if (ours.series.count(s) == 0) {
      diff.onlyInPeer.push_back(s);
    }
  }
  for (const Series& s : ours.series) {
    ourFamilies.insert(s.name);
    if (peer.series.count(s) == 0) {
      diff.onlyInOurs.push_back(s);
    }
  }
  for (const std::string& family : peerFamilies) {
    if (ourFamilies.count(family) == 0) {
      continue;
    }
    auto compare = [&](const char* what, const std::map<std::string, std::string>& theirs,
                       const std::map<std::string, std::string>& mine) {
      const auto a = theirs.find(family);
      const auto b = mine.find(family);
      const std::string want = a == theirs.end() ? "(none)" : a->second;
      const std::string got = b == mine.end() ? "(none)" : b->second;
      if (want != got) {
        diff.familyDiffs.push_back(std::string(what) + " " + family + ": peer \"" +
                                   escapeForDisplay(want) + "\", ours \"" + escapeForDisplay(got) +
                                   "\"");
      }
    };
    compare("TYPE", peer.types, ours.types);
    compare("HELP", peer.helps, ours.helps);
  }
  diff.duplicates = ours.duplicates;
  return diff;
}

std::string SeriesDiff::report(const std::string& peerName, const std::string& oursName,
                               std::size_t limit) const {
  std::ostringstream out;
  auto list = [&](const std::string& title, const auto& items, auto show) {
    if (items.empty()) {
      return;
    }
    out << "  " << title << " ("
        << (items.size() > limit ? "first " + std::to_string(limit) + " of " : "") << items.size()
        << "):\n";
    for (std::size_t i = 0; i < items.size() && i < limit; ++i) {
      out << "    " << show(items[i]) << "\n";
    }
  };
  const auto series = [](const Series& s) { return s.str(); };
  const auto text = [](const std::string& s) { return s; };
  list("only in " + peerName, onlyInPeer, series);
  list("only in " + oursName, onlyInOurs, series);
  list("TYPE/HELP differing", familyDiffs, text);
  list("duplicate series in " + oursName, duplicates, text);
  return out.str();
}

}  // namespace testing
