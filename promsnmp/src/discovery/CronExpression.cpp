#include "discovery/CronExpression.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <limits>

#include <Poco/Exception.h>
#include <Poco/String.h>

namespace promsnmp {

namespace {

using namespace std::chrono;

/// A problem in one field; parse() adds the field's name and text.
struct FieldError {
  std::string message;
};

struct FieldType {
  const char* name;
  int min;
  int max;
};

constexpr FieldType kSecond{"second", 0, 59};
constexpr FieldType kMinute{"minute", 0, 59};
constexpr FieldType kHour{"hour", 0, 23};
constexpr FieldType kDayOfMonth{"day-of-month", 1, 31};
constexpr FieldType kMonth{"month", 1, 12};
constexpr FieldType kDayOfWeek{"day-of-week", 1, 7};  // ISO, Monday = 1; 0 is accepted too

// Spring resolves a macro only when it is the whole (trimmed) expression, in any case.
constexpr std::array<std::pair<const char*, const char*>, 7> kMacros{{
    {"@yearly", "0 0 0 1 1 *"},
    {"@annually", "0 0 0 1 1 *"},
    {"@monthly", "0 0 0 1 * *"},
    {"@weekly", "0 0 0 * * 0"},
    {"@daily", "0 0 0 * * *"},
    {"@midnight", "0 0 0 * * *"},
    {"@hourly", "0 0 * * * *"},
}};

constexpr std::array<const char*, 12> kMonthNames{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                  "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<const char*, 7> kDayNames{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};

/// Java's String.trim(): strips every character <= ' ' from both ends.
std::string javaTrim(const std::string& s) {
  std::size_t begin = 0;
  std::size_t end = s.size();
  while (begin < end && static_cast<unsigned char>(s[begin]) <= ' ') {
    ++begin;
  }
  while (end > begin && static_cast<unsigned char>(s[end - 1]) <= ' ') {
    --end;
  }
  return s.substr(begin, end - begin);
}

/// Splits on `delimiter`, keeping empty pieces ("1,,2" has three).
std::vector<std::string> split(const std::string& s, char delimiter) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t at = s.find(delimiter, start);
    if (at == std::string::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

/// Java's Integer.parseInt: an optional sign, then one or more decimal digits.
int parseInt(const std::string& s) {
  std::size_t i = 0;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) {
    throw FieldError{"number expected in '" + s + "'"};
  }
  std::int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      throw FieldError{"not a number: '" + s + "'"};
    }
    v = v * 10 + (s[i] - '0');
    if (v > std::numeric_limits<int>::max()) {
      throw FieldError{"number too large: '" + s + "'"};
    }
  }
  return static_cast<int>(negative ? -v : v);
}

int checkValid(int v, const FieldType& type) {
  if (&type == &kDayOfWeek && v == 0) {
    return v;
  }
  if (v < type.min || v > type.max) {
    int min = &type == &kDayOfWeek ? 0 : type.min;
    throw FieldError{"value " + std::to_string(v) + " out of range " + std::to_string(min) + "-" +
                     std::to_string(type.max)};
  }
  return v;
}

std::pair<int, int> parseRange(const std::string& s, const FieldType& type) {
  if (s == "*") {
    return {type.min, type.max};
  }
  std::size_t hyphen = s.find('-');
  if (hyphen == std::string::npos) {
    int v = checkValid(parseInt(s), type);
    return {v, v};
  }
  int min = checkValid(parseInt(s.substr(0, hyphen)), type);
  int max = checkValid(parseInt(s.substr(hyphen + 1)), type);
  if (&type == &kDayOfWeek && min == 7) {
    min = 0;  // Sunday starting a range means 0, so SUN-FRI is 0-5
  }
  if (min > max) {
    throw FieldError{"range '" + s + "' has its minimum above its maximum"};
  }
  return {min, max};
}

/// A plain field: lists of values, ranges and steps, as bits 0..63.
std::uint64_t parseBits(const std::string& value, const FieldType& type) {
  if (value.empty()) {
    throw FieldError{"empty field"};
  }
  std::uint64_t bits = 0;
  for (const std::string& element : split(value, ',')) {
    std::size_t slash = element.find('/');
    std::pair<int, int> range;
    int step = 1;
    if (slash == std::string::npos) {
      range = parseRange(element, type);
    } else {
      std::string rangeText = element.substr(0, slash);
      range = parseRange(rangeText, type);
      if (rangeText.find('-') == std::string::npos) {
        range.second = type.max;  // "5/10" means 5, 15, ... up to the field's maximum
      }
      step = parseInt(element.substr(slash + 1));
      if (step <= 0) {
        throw FieldError{"step in '" + element + "' must be 1 or higher"};
      }
    }
    for (int i = range.first; i <= range.second; i += step) {
      bits |= std::uint64_t{1} << i;
    }
  }
  return bits;
}

/// Day fields accept '?' for '*'; day-of-week 0 (Sunday) is stored as 7.
std::uint64_t parseDateBits(const std::string& value, const FieldType& type) {
  std::uint64_t bits = parseBits(value == "?" ? "*" : value, type);
  if (&type == &kDayOfWeek && (bits & 1) != 0) {
    bits = (bits & ~std::uint64_t{1}) | (std::uint64_t{1} << 7);
  }
  return bits;
}

/// Upper-cases and replaces names by their numbers (JAN -> 1, MON -> 1, SUN -> 7).
template <std::size_t N>
std::string replaceNames(std::string value, const std::array<const char*, N>& names) {
  for (char& c : value) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  for (std::size_t i = 0; i < N; ++i) {
    std::string name = names[i];
    std::string number = std::to_string(i + 1);
    for (std::size_t at = value.find(name); at != std::string::npos;
         at = value.find(name, at + number.size())) {
      value.replace(at, name.size(), number);
    }
  }
  return value;
}

int parseWeekday(const std::string& s) {
  int v = parseInt(s);
  if (v == 0) {
    v = 7;
  }
  if (v < 1 || v > 7) {
    throw FieldError{"day-of-week " + s + " out of range 0-7"};
  }
  return v;
}

int lastDayOfMonth(const year_month_day& date) {
  return static_cast<int>(static_cast<unsigned>((date.year() / date.month() / last).day()));
}

int isoWeekday(local_days day) { return static_cast<int>(weekday{day}.iso_encoding()); }

}  // namespace

CronExpression CronExpression::parse(const std::string& text) {
  if (text.empty()) {
    throw Poco::SyntaxException("empty cron expression");
  }
  std::string expression = javaTrim(text);
  for (const auto& [macro, replacement] : kMacros) {
    if (Poco::icompare(expression, macro) == 0) {  // ASCII case only, whatever the locale
      expression = replacement;
      break;
    }
  }
  std::vector<std::string> fields;
  for (const std::string& piece : split(expression, ' ')) {
    std::string field = javaTrim(piece);
    if (!field.empty()) {
      fields.push_back(field);
    }
  }
  if (fields.size() != 6) {
    throw Poco::SyntaxException("cron expression \"" + text +
                                "\" must have 6 fields (second minute hour day-of-month month "
                                "day-of-week), found " +
                                std::to_string(fields.size()));
  }

  CronExpression cron;
  cron.expression_ = text;
  const FieldType* current = &kSecond;
  try {
    cron.seconds_ = parseBits(fields[0], kSecond);
    current = &kMinute;
    cron.minutes_ = parseBits(fields[1], kMinute);
    current = &kHour;
    cron.hours_ = parseBits(fields[2], kHour);

    current = &kDayOfMonth;
    const std::string& dom = fields[3];
    if (dom.find_first_of("LW") == std::string::npos) {
      cron.daysOfMonth_ = parseDateBits(dom, kDayOfMonth);
    } else {
      for (const std::string& element : split(dom, ',')) {
        if (element.find_first_of("LW") == std::string::npos) {
          cron.daysOfMonth_ |= parseDateBits(element, kDayOfMonth);
          continue;
        }
        std::size_t l = element.rfind('L');
        if (l != std::string::npos) {
          if (l != 0) {
            throw FieldError{"unrecognized characters before 'L' in '" + element + "'"};
          }
          if (element == "LW") {
            cron.daySpecials_.push_back({DaySpecial::Kind::LastWeekday});
          } else if (element == "L") {
            cron.daySpecials_.push_back({DaySpecial::Kind::LastDay, 0, 0});
          } else {
            int offset = parseInt(element.substr(1));
            if (offset >= 0) {
              throw FieldError{"offset in '" + element + "' must be negative, as in L-3"};
            }
            cron.daySpecials_.push_back({DaySpecial::Kind::LastDay, 0, -offset});
          }
          continue;
        }
        std::size_t w = element.rfind('W');
        if (w == 0) {
          throw FieldError{"no day-of-month before 'W' in '" + element + "'"};
        }
        if (w != element.size() - 1) {
          throw FieldError{"unrecognized characters after 'W' in '" + element + "'"};
        }
        int day = checkValid(parseInt(element.substr(0, w)), kDayOfMonth);
        cron.daySpecials_.push_back({DaySpecial::Kind::NearestWeekday, day, 0});
      }
    }

    current = &kMonth;
    cron.months_ = parseBits(replaceNames(fields[4], kMonthNames), kMonth);

    current = &kDayOfWeek;
    std::string dow = replaceNames(fields[5], kDayNames);
    if (dow.find_first_of("L#") == std::string::npos) {
      cron.daysOfWeek_ = parseDateBits(dow, kDayOfWeek);
    } else {
      for (const std::string& element : split(dow, ',')) {
        if (element.find_first_of("L#") == std::string::npos) {
          cron.daysOfWeek_ |= parseDateBits(element, kDayOfWeek);
          continue;
        }
        std::size_t l = element.rfind('L');
        if (l != std::string::npos) {
          if (l != element.size() - 1) {
            throw FieldError{"unrecognized characters after 'L' in '" + element + "'"};
          }
          if (l == 0) {
            throw FieldError{"no day-of-week before 'L' in '" + element + "'"};
          }
          cron.weekSpecials_.push_back(
              {DaySpecial::Kind::LastWeekdayOf, parseWeekday(element.substr(0, l)), 0});
          continue;
        }
        std::size_t hash = element.rfind('#');
        if (hash == 0) {
          throw FieldError{"no day-of-week before '#' in '" + element + "'"};
        }
        if (hash == element.size() - 1) {
          throw FieldError{"no ordinal after '#' in '" + element + "'"};
        }
        int weekdayNumber = parseWeekday(element.substr(0, hash));
        int ordinal = parseInt(element.substr(hash + 1));
        if (ordinal <= 0) {
          throw FieldError{"ordinal in '" + element + "' must be 1 or higher"};
        }
        cron.weekSpecials_.push_back({DaySpecial::Kind::NthWeekdayOf, weekdayNumber, ordinal});
      }
    }
  } catch (const FieldError& e) {
    std::size_t index = static_cast<std::size_t>(current == &kSecond       ? 0
                                                 : current == &kMinute     ? 1
                                                 : current == &kHour       ? 2
                                                 : current == &kDayOfMonth ? 3
                                                 : current == &kMonth      ? 4
                                                                           : 5);
    throw Poco::SyntaxException("cron expression \"" + text + "\": " + current->name + " field '" +
                                fields[index] + "': " + e.message);
  }
  return cron;
}

bool CronExpression::matchesDate(year_month_day date) const {
  if (!months_[static_cast<unsigned>(date.month())]) {
    return false;
  }
  int day = static_cast<int>(static_cast<unsigned>(date.day()));
  int last = lastDayOfMonth(date);
  local_days localDay{date};
  int weekdayNumber = isoWeekday(localDay);

  bool dayMatches = daysOfMonth_[day];
  for (const DaySpecial& s : daySpecials_) {
    if (dayMatches) {
      break;
    }
    switch (s.kind) {
      case DaySpecial::Kind::LastDay:
        dayMatches = day == last - s.offset;  // never in a month too short for the offset
        break;
      case DaySpecial::Kind::LastWeekday: {
        int lastWeekday = isoWeekday(localDay + days{last - day});
        int target = lastWeekday == 6 ? last - 1 : lastWeekday == 7 ? last - 2 : last;
        dayMatches = day == target;
        break;
      }
      case DaySpecial::Kind::NearestWeekday: {
        // Never leaves the month: Saturday the 1st moves to Monday the 3rd, and a Sunday that
        // ends the month has no fire that month (as Spring).
        if (s.value > last) {
          break;
        }
        int nominal = isoWeekday(localDay + days{s.value - day});
        int target = s.value;
        if (nominal == 6) {
          target = s.value == 1 ? 3 : s.value - 1;
        } else if (nominal == 7) {
          target = s.value + 1 <= last ? s.value + 1 : 0;
        }
        dayMatches = day == target;
        break;
      }
      default:
        break;
    }
  }
  if (!dayMatches) {
    return false;
  }

  if (daysOfWeek_[weekdayNumber]) {
    return true;
  }
  for (const DaySpecial& s : weekSpecials_) {
    if (s.value != weekdayNumber) {
      continue;
    }
    if (s.kind == DaySpecial::Kind::LastWeekdayOf && day + 7 > last) {
      return true;
    }
    if (s.kind == DaySpecial::Kind::NthWeekdayOf && (day - 1) / 7 + 1 == s.offset) {
      return true;
    }
  }
  return false;
}

std::optional<CronExpression::TimePoint> CronExpression::next(TimePoint after, const TimeZone& zone,
                                                              DstGap gap) const {
  // Fire times are whole seconds, so the first candidate is the local second after `after`.
  local_seconds start = zone.toLocal(after) + seconds{1};
  local_days day = floor<days>(start);
  const local_days lastDay = day + days{kSearchYears * 366};
  hh_mm_ss<seconds> startTime{start - day};
  const int startHour = static_cast<int>(startTime.hours().count());
  const int startMinute = static_cast<int>(startTime.minutes().count());
  const int startSecond = static_cast<int>(startTime.seconds().count());

  for (bool firstDay = true; day <= lastDay; ++day, firstDay = false) {
    if (!matchesDate(year_month_day{day})) {
      continue;
    }
    for (int h = firstDay ? startHour : 0; h < 24; ++h) {
      if (!hours_[h]) {
        continue;
      }
      bool boundMinute = firstDay && h == startHour;
      for (int m = boundMinute ? startMinute : 0; m < 60; ++m) {
        if (!minutes_[m]) {
          continue;
        }
        bool boundSecond = boundMinute && m == startMinute;
        for (int s = boundSecond ? startSecond : 0; s < 60; ++s) {
          if (!seconds_[s]) {
            continue;
          }
          TimeZone::LocalMapping at = zone.fromLocal(day + hours{h} + minutes{m} + seconds{s});
          if (at.kind == TimeZone::LocalMapping::Kind::Gap && gap == DstGap::Skip) {
            continue;
          }
          // An overlap fires at its first occurrence only; if `after` lies between the two,
          // this local time has already fired.
          if (at.first > after) {
            return TimePoint{at.first};
          }
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace promsnmp
