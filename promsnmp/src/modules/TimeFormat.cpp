#include "modules/TimeFormat.h"

#include <array>
#include <ctime>
#include <mutex>
#include <string>

namespace promsnmp {

namespace {

constexpr int64_t kSecondsPerDay = 86400;

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) {
    --q;
  }
  return q;
}

// Days since 1970-01-01 of a proleptic Gregorian date; month 1–12 (H. Hinnant's algorithm).
int64_t daysFromCivil(int64_t year, int64_t month, int64_t day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = floorDiv(year, 400);
  const int64_t yoe = year - era * 400;
  const int64_t mp = (month + 9) % 12;
  const int64_t doy = (153 * mp + 2) / 5 + day - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year, month, day, hour, minute, second;
};

Civil civilFromUnix(int64_t unix) {
  const int64_t days = floorDiv(unix, kSecondsPerDay);
  int64_t rest = unix - days * kSecondsPerDay;
  const int64_t z = days + 719468;
  const int64_t era = floorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  Civil c{};
  c.year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  c.month = month;
  c.day = day;
  c.hour = rest / 3600;
  rest %= 3600;
  c.minute = rest / 60;
  c.second = rest % 60;
  return c;
}

// Seconds of the civil time as if it were UTC, with time.Date's roll-over.
int64_t localSeconds(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                     int64_t second) {
  int64_t m = month - 1;
  year += floorDiv(m, 12);
  m -= floorDiv(m, 12) * 12;
  const int64_t days = daysFromCivil(year, m + 1, 1) + day - 1;
  return days * kSecondsPerDay + hour * 3600 + minute * 60 + second;
}

// ---- The process's local zone (Go's time.Local) ----

void initLocalZone() {
  static std::once_flag once;
  std::call_once(once, [] { tzset(); });
}

int64_t localOffsetAt(int64_t unix) {
  const auto t = static_cast<time_t>(unix);
  struct tm tm {};
  if (localtime_r(&t, &tm) == nullptr) {
    return 0;
  }
  return tm.tm_gmtoff;
}

// time.Date's offset search for a civil time in the local zone.
int64_t localUnix(int64_t local) {
  int64_t offset = localOffsetAt(local);
  if (offset != 0) {
    const int64_t other = localOffsetAt(local - offset);
    if (other != offset) {
      offset = other;
    }
  }
  return local - offset;
}

bool localZoneUses(const std::string& name) {
  initLocalZone();
  // tzname is written only by tzset, which ran once above.
  return (tzname[0] != nullptr && name == tzname[0]) || (tzname[1] != nullptr && name == tzname[1]);
}

// A zone as timefmt-go ends up with: UTC, a fixed offset, or the local zone's rules.
struct Zone {
  enum class Kind { Utc, Fixed, Local } kind = Kind::Utc;
  int64_t offset = 0;  // Fixed
};

int64_t toUnix(int64_t local, const Zone& zone) {
  switch (zone.kind) {
    case Zone::Kind::Fixed:
      return local - zone.offset;
    case Zone::Kind::Local:
      return localUnix(local);
    case Zone::Kind::Utc:
      break;
  }
  return local;
}

// The offset a zone has on 2000-01-01 (timefmt-go's locationZone).
int64_t zoneOffset(const Zone& zone) {
  switch (zone.kind) {
    case Zone::Kind::Fixed:
      return zone.offset;
    case Zone::Kind::Local:
      return localOffsetAt(946684800);
    case Zone::Kind::Utc:
      break;
  }
  return 0;
}

// Whether Go's time.Parse accepts `name` (upper-case letters only) as a zone abbreviation.
bool goAcceptsZoneName(std::string_view name) {
  if (name.starts_with("UTC") || name.starts_with("GMT")) {
    return name.size() == 3;  // Go reads these three letters and refuses what follows
  }
  switch (name.size()) {
    case 3:
      return true;
    case 4:
      return name[3] == 'T' || name == "WITA";
    case 5:
      return name[4] == 'T';
    default:
      return false;
  }
}

constexpr std::array<std::string_view, 12> kLongMonths = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 12> kShortMonths = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 7> kShortDays = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 2> kAmPm = {"AM", "PM"};

class Parser {
 public:
  explicit Parser(std::string_view source) : s_(source) {}

  // Up to `width` digits at the cursor, at least one, within [min, max].
  bool number(int width, int64_t min, int64_t max, int64_t& out) {
    size_t i = j_;
    int64_t value = 0;
    const size_t end = std::min(s_.size(), j_ + static_cast<size_t>(width));
    for (; i < end && s_[i] >= '0' && s_[i] <= '9'; ++i) {
      value = value * 10 + (s_[i] - '0');
    }
    if (i == j_ || value < min || value > max) {
      return false;
    }
    out = value;
    j_ = i;
    return true;
  }

  // Like number() but without a range, reporting where it stopped; `ok` false without digits.
  size_t digitsAt(size_t at, int width, int64_t& out) const {
    size_t i = at;
    uint64_t value = 0;
    const size_t end = std::min(s_.size(), at + static_cast<size_t>(width));
    for (; i < end && s_[i] >= '0' && s_[i] <= '9'; ++i) {
      value = value * 10 + static_cast<uint64_t>(s_[i] - '0');
    }
    out = static_cast<int64_t>(value);
    return i;
  }

  // The first of `names` (1-based) that the source continues with, ignoring case.
  template <size_t N>
  bool oneOf(const std::array<std::string_view, N>& names, int64_t& out) {
    for (size_t k = 0; k < N; ++k) {
      const std::string_view name = names[k];
      if (j_ + name.size() > s_.size()) {
        continue;
      }
      bool match = true;
      for (size_t c = 0; c < name.size() && match; ++c) {
        match = name[c] == s_[j_ + c] || (name[c] | 0x20) == (s_[j_ + c] | 0x20);
      }
      if (match) {
        out = static_cast<int64_t>(k + 1);
        j_ += name.size();
        return true;
      }
    }
    return false;
  }

  int64_t sign() {
    if (j_ < s_.size() && s_[j_] == '-') {
      ++j_;
      return -1;
    }
    return 1;
  }

  bool literal(char c) {
    if (j_ >= s_.size() || s_[j_] != c) {
      return false;
    }
    ++j_;
    return true;
  }

  void skipOneSpace() {
    if (j_ < s_.size() && s_[j_] == ' ') {
      ++j_;
    }
  }

  bool spaces() {
    const size_t start = j_;
    while (j_ < s_.size() && (s_[j_] == ' ' || s_[j_] == '\t' || s_[j_] == '\n' || s_[j_] == '\v' ||
                              s_[j_] == '\f' || s_[j_] == '\r')) {
      ++j_;
    }
    return j_ != start;
  }

  std::string_view s_;
  size_t j_ = 0;
};

}  // namespace

int64_t civilToUnix(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                    int64_t second, int64_t offsetSeconds) {
  return localSeconds(year, month, day, hour, minute, second) - offsetSeconds;
}

std::optional<int64_t> parseTimeFormat(std::string_view source, std::string_view format) {
  Parser p(source);
  int64_t year = 1900, month = 1, day = 0, hour = 0, minute = 0, second = 0;
  int64_t week = 0, weekday = 0, yday = 0, century = -1, weekstart = -1;
  int colons = 0;
  bool pm = false, hasIsoYear = false, hasZoneOffset = false;
  Zone zone;
  std::string_view pending;

  for (size_t i = 0; i < format.size(); ++i) {
    char b = format[i];
    if (b != '%') {
      if (!p.literal(b)) {
        return std::nullopt;
      }
      continue;
    }
    if (++i == format.size()) {
      return std::nullopt;  // stray %
    }
    b = format[i];
    for (;;) {
      bool again = false;  // b was replaced by a directive to run now (%:z)
      int64_t v = 0;
      switch (b) {
        case 'G':
          hasIsoYear = true;
          [[fallthrough]];
        case 'Y': {
          const int64_t sign = p.sign();
          if (!p.number(4, 0, 9999, v)) {
            return std::nullopt;
          }
          year = v * sign;
          break;
        }
        case 'g':
          hasIsoYear = true;
          [[fallthrough]];
        case 'y':
          if (!p.number(2, 0, 99, v)) {
            return std::nullopt;
          }
          year = v < 69 ? v + 2000 : v + 1900;
          break;
        case 'C':
          if (p.sign() < 0 || !p.number(2, 0, 99, v)) {
            return std::nullopt;
          }
          century = v;
          break;
        case 'm':
          if (!p.number(2, 1, 12, month)) {
            return std::nullopt;
          }
          break;
        case 'B':
          if (!p.oneOf(kLongMonths, month)) {
            return std::nullopt;
          }
          break;
        case 'b':
        case 'h':
          if (!p.oneOf(kShortMonths, month)) {
            return std::nullopt;
          }
          break;
        case 'A':
          if (!p.oneOf(kLongDays, weekday)) {
            return std::nullopt;
          }
          break;
        case 'a':
          if (!p.oneOf(kShortDays, weekday)) {
            return std::nullopt;
          }
          break;
        case 'w':
          if (!p.number(1, 0, 6, v)) {
            return std::nullopt;
          }
          weekday = v + 1;
          break;
        case 'u':
          if (!p.number(1, 1, 7, v)) {
            return std::nullopt;
          }
          weekday = v % 7 + 1;
          break;
        case 'V':
          if (!p.number(2, 1, 53, week)) {
            return std::nullopt;
          }
          weekstart = 4;  // Thursday
          weekday = weekday != 0 ? weekday : 2;
          break;
        case 'U':
          if (!p.number(2, 0, 53, week)) {
            return std::nullopt;
          }
          weekstart = 0;  // Sunday
          weekday = weekday != 0 ? weekday : 1;
          break;
        case 'W':
          if (!p.number(2, 0, 53, week)) {
            return std::nullopt;
          }
          weekstart = 1;  // Monday
          weekday = weekday != 0 ? weekday : 2;
          break;
        case 'e':
          p.skipOneSpace();
          [[fallthrough]];
        case 'd':
          if (!p.number(2, 1, 31, day)) {
            return std::nullopt;
          }
          break;
        case 'j':
          if (!p.number(3, 1, 366, yday)) {
            return std::nullopt;
          }
          break;
        case 'k':
          p.skipOneSpace();
          [[fallthrough]];
        case 'H':
          if (!p.number(2, 0, 23, hour)) {
            return std::nullopt;
          }
          break;
        case 'l':
          p.skipOneSpace();
          [[fallthrough]];
        case 'I':
          if (!p.number(2, 1, 12, hour)) {
            return std::nullopt;
          }
          if (hour == 12) {
            hour = 0;
          }
          break;
        case 'P':
        case 'p':
          if (!p.oneOf(kAmPm, v)) {
            return std::nullopt;
          }
          pm = v == 2;
          break;
        case 'M':
          if (!p.number(2, 0, 59, minute)) {
            return std::nullopt;
          }
          break;
        case 'S':
          if (!p.number(2, 0, 60, second)) {
            return std::nullopt;
          }
          break;
        case 's': {
          const int64_t sign = p.sign();
          const size_t end = p.digitsAt(p.j_, 19, v);
          if (end == p.j_) {
            return std::nullopt;
          }
          p.j_ = end;
          const Civil c = civilFromUnix(sign * v);
          year = c.year;
          month = c.month;
          day = c.day;
          hour = c.hour;
          minute = c.minute;
          second = c.second;
          break;
        }
        case 'f':
          // Fractions of a second never change the Unix seconds; only the syntax matters.
          if (!p.number(6, 0, 999999, v)) {
            return std::nullopt;
          }
          break;
        case 'Z': {
          const size_t start = p.j_;
          while (p.j_ < source.size() && source[p.j_] >= 'A' && source[p.j_] <= 'Z') {
            ++p.j_;
          }
          const std::string name(source.substr(start, p.j_ - start));
          if (!goAcceptsZoneName(name)) {
            return std::nullopt;
          }
          Zone named;  // time.ParseInLocation("MST", name, time.Local)'s location
          if (name != "UTC") {
            named.kind = localZoneUses(name) ? Zone::Kind::Local : Zone::Kind::Fixed;
            named.offset = 0;
          }
          if (hasZoneOffset) {
            zone = Zone{Zone::Kind::Fixed, zoneOffset(zone)};
          } else {
            zone = named;
          }
          break;
        }
        case 'z': {
          if (p.j_ >= source.size()) {
            return std::nullopt;
          }
          const char c = source[p.j_];
          if (c == 'Z') {
            zone = Zone{};
            colons = 0;
            ++p.j_;
            break;
          }
          if (c != '+' && c != '-') {
            return std::nullopt;
          }
          const int64_t sign = c == '-' ? -1 : 1;
          int64_t zh = 0, zm = 0, zs = 0;
          size_t at = p.j_ + 1;
          size_t end = p.digitsAt(at, 2, zh);
          if (end != at + 2 || zh > 23) {
            return std::nullopt;
          }
          p.j_ = end;
          if (p.j_ >= source.size() || source[p.j_] != ':') {
            if (colons > 0 && colons < 3) {
              return std::nullopt;
            }
          } else {
            ++p.j_;
            if (colons == 0) {
              colons = 4;  // a colon after a plain %z: minutes are then required
            }
          }
          // Minutes and seconds as timefmt-go reads them: a lone digit still counts as the
          // value although the field is then treated as absent.
          auto field = [&](size_t from, int64_t& value) {
            const size_t stop = p.digitsAt(from, 2, value);
            if (stop == from || value > 59) {
              value = 0;
              return false;
            }
            return stop == from + 2;
          };
          at = p.j_;
          if (!field(at, zm)) {
            if (colons > 0 && colons != 3) {
              return std::nullopt;
            }
            p.j_ = at;
          } else {
            p.j_ = at + 2;
            if (colons > 1) {
              if (p.j_ >= source.size() || source[p.j_] != ':') {
                if (colons < 3) {
                  return std::nullopt;
                }
              } else if (field(p.j_ + 1, zs)) {
                p.j_ += 3;
              } else if (colons < 3) {
                return std::nullopt;
              }
            }
          }
          zone = Zone{Zone::Kind::Fixed, sign * ((zh * 60 + zm) * 60 + zs)};
          colons = 0;
          hasZoneOffset = true;
          break;
        }
        case ':':
          if (!pending.empty()) {
            if (!p.literal(':')) {
              return std::nullopt;
            }
            break;
          }
          for (colons = 1; colons <= 3; ++colons) {
            if (++i == format.size()) {
              break;
            }
            b = format[i];
            if (b == 'z') {
              again = true;
              break;
            }
            if (b != ':' || colons == 3) {
              break;
            }
          }
          if (!again) {
            return std::nullopt;  // expected 'z' after the colons
          }
          break;
        case 't':
        case 'n':
          if (!p.spaces()) {
            return std::nullopt;
          }
          break;
        case '%':
          if (!p.literal('%')) {
            return std::nullopt;
          }
          break;
        case 'c':
          pending = "a b e H:M:S Y";
          break;
        case '+':
          pending = "a b e H:M:S Z Y";
          break;
        case 'v':
          pending = "e-b-Y";
          break;
        case 'r':
          pending = "I:M:S p";
          break;
        case 'F':
          pending = "Y-m-d";
          break;
        case 'D':
        case 'x':
          pending = "m/d/y";
          break;
        case 'T':
        case 'X':
          pending = "H:M:S";
          break;
        case 'R':
          pending = "H:M";
          break;
        default:
          // Inside a composite, anything else is a literal; on its own, an unknown directive.
          if (pending.empty() || !p.literal(b)) {
            return std::nullopt;
          }
          break;
      }
      if (again) {
        continue;
      }
      if (pending.empty()) {
        break;
      }
      b = pending.front();
      pending.remove_prefix(1);
    }
  }
  if (p.j_ < source.size()) {
    return std::nullopt;
  }
  if (pm) {
    hour += 12;
  }
  if (century >= 0) {
    year = century * 100 + year % 100;
  }
  if (day == 0) {
    if (yday > 0) {
      if (hasIsoYear) {
        return std::nullopt;
      }
      return toUnix(localSeconds(year, 1, yday, hour, minute, second), zone);
    }
    if (weekstart >= 0) {
      if (weekstart == 4) {
        if (!hasIsoYear) {
          return std::nullopt;
        }
      } else if (hasIsoYear) {
        return std::nullopt;
      }
      if (weekstart > 0 && weekday == 1) {
        ++week;
      }
      const int64_t start = localSeconds(year, 1, -weekstart, hour, minute, second);
      const int64_t startWeekday = ((floorDiv(start, kSecondsPerDay) + 4) % 7 + 7) % 7;
      const int64_t days = week * 7 - startWeekday + weekday - 1;
      return toUnix(start + days * kSecondsPerDay, zone);
    }
    day = 1;
  }
  return toUnix(localSeconds(year, month, day, hour, minute, second), zone);
}

}  // namespace promsnmp
