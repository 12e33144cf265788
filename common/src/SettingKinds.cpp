#include "common/SettingKinds.h"

#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <map>

namespace common {

std::optional<int64_t> parseInteger(const std::string& raw) {
  std::string text = Poco::trim(raw);
  if (!text.empty() && text[0] == '+') {
    text.erase(0, 1);
  }
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> parseDurationMs(const std::string& raw) {
  const std::string text = Poco::trim(raw);
  size_t digits = 0;
  while (digits < text.size() && (std::isdigit(static_cast<unsigned char>(text[digits])) != 0 ||
                                  (digits == 0 && (text[0] == '-' || text[0] == '+')))) {
    ++digits;
  }
  const auto number = parseInteger(text.substr(0, digits));
  if (!number) {
    return std::nullopt;
  }
  static const std::map<std::string, int64_t> kUnits = {
      {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
  const auto unit = kUnits.find(Poco::toLower(text.substr(digits)));
  if (unit == kUnits.end()) {
    return std::nullopt;
  }
  if (*number > INT64_MAX / unit->second || *number < INT64_MIN / unit->second) {
    return std::nullopt;
  }
  return *number * unit->second;
}

std::optional<bool> parseBoolean(const std::string& raw) {
  const std::string text = Poco::toLower(Poco::trim(raw));
  if (text == "true" || text == "yes" || text == "on" || text == "1") {
    return true;
  }
  if (text == "false" || text == "no" || text == "off" || text == "0") {
    return false;
  }
  return std::nullopt;
}

std::optional<double> parseNumber(const std::string& raw) {
  const std::string text = Poco::trim(raw);
  double value = 0;
  const char* begin = text.data() + (!text.empty() && text[0] == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::general);
  if (begin == end || ec != std::errc() || ptr != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::string formatNumber(double value) {
  char buffer[64];
  const auto [ptr, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, ptr);
}

std::string rangeText(int64_t min, int64_t max) {
  return "from " + std::to_string(min) + " to " + std::to_string(max);
}

std::string anything(const std::string&) { return ""; }

std::string nonEmpty(const std::string& value) {
  return Poco::trim(value).empty() ? "must not be empty" : "";
}

}  // namespace common
