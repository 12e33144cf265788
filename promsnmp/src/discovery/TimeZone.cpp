#include "discovery/TimeZone.h"

#include <algorithm>
#include <cctype>
#include <exception>
#include <fstream>
#include <iterator>

#include <Poco/Exception.h>
#include <date/tz.h>

namespace promsnmp {

namespace {

using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

constexpr std::int64_t kSecondsPerDay = 86400;

bool isLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::int64_t daysFromCivil(int y, int m, int d) {
  return sys_days{std::chrono::year{y} / std::chrono::month{static_cast<unsigned>(m)} /
                  std::chrono::day{static_cast<unsigned>(d)}}
      .time_since_epoch()
      .count();
}

int daysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

/// Cursor over a POSIX TZ string with the small grammar of RFC 8536 section 3.3.
class PosixParser {
 public:
  explicit PosixParser(const std::string& text) : text_(text) {}

  bool atEnd() const { return pos_ == text_.size(); }
  char peek() const { return atEnd() ? '\0' : text_[pos_]; }
  bool accept(char c) {
    if (peek() != c) {
      return false;
    }
    ++pos_;
    return true;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw Poco::DataFormatException("bad POSIX TZ footer: " + what, text_);
  }

  void name() {
    if (accept('<')) {
      std::size_t start = pos_;
      while (!atEnd() && peek() != '>') {
        char c = peek();
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-') {
          fail("bad character in quoted zone abbreviation");
        }
        ++pos_;
      }
      if (!accept('>') || pos_ - start < 4) {
        fail("bad quoted zone abbreviation");
      }
      return;
    }
    std::size_t start = pos_;
    while (std::isalpha(static_cast<unsigned char>(peek()))) {
      ++pos_;
    }
    if (pos_ - start < 3) {
      fail("zone abbreviation shorter than 3 letters");
    }
  }

  int number(int maxValue) {
    if (!std::isdigit(static_cast<unsigned char>(peek()))) {
      fail("digit expected");
    }
    int v = 0;
    while (std::isdigit(static_cast<unsigned char>(peek()))) {
      v = v * 10 + (text_[pos_++] - '0');
      if (v > maxValue) {
        fail("number out of range");
      }
    }
    return v;
  }

  /// [+-]hh[:mm[:ss]] in seconds; hours up to `maxHours`.
  std::int32_t hms(int maxHours) {
    int sign = 1;
    if (accept('-')) {
      sign = -1;
    } else {
      accept('+');
    }
    std::int32_t v = number(maxHours) * 3600;
    if (accept(':')) {
      v += number(59) * 60;
      if (accept(':')) {
        v += number(59);
      }
    }
    return sign * v;
  }

 private:
  const std::string& text_;
  std::size_t pos_ = 0;
};

}  // namespace

TimeZone::PosixTz TimeZone::PosixTz::parse(const std::string& text) {
  PosixParser p(text);
  PosixTz tz;
  p.name();
  tz.stdOffset = -p.hms(24);  // POSIX counts west positive
  if (p.atEnd()) {
    return tz;
  }
  tz.hasDst = true;
  p.name();
  tz.dstOffset = tz.stdOffset + 3600;
  if (p.peek() != ',') {
    tz.dstOffset = -p.hms(24);
  }
  if (!p.accept(',')) {
    p.fail("daylight saving time without a rule");
  }
  for (Rule* rule : {&tz.start, &tz.end}) {
    if (p.accept('J')) {
      rule->kind = Rule::Kind::JulianNoLeap;
      rule->day = p.number(365);
      if (rule->day < 1) {
        p.fail("Julian day 0");
      }
    } else if (p.accept('M')) {
      rule->kind = Rule::Kind::MonthWeekDay;
      rule->month = p.number(12);
      if (!p.accept('.')) {
        p.fail("'.' expected");
      }
      rule->week = p.number(5);
      if (!p.accept('.')) {
        p.fail("'.' expected");
      }
      rule->weekday = p.number(6);
      if (rule->month < 1 || rule->week < 1) {
        p.fail("month and week start at 1");
      }
    } else {
      rule->kind = Rule::Kind::ZeroBasedDay;
      rule->day = p.number(365);
    }
    if (p.accept('/')) {
      rule->time = p.hms(167);
    }
    if (rule == &tz.start && !p.accept(',')) {
      p.fail("',' expected between rules");
    }
  }
  if (!p.atEnd()) {
    p.fail("trailing characters");
  }
  return tz;
}

std::int32_t TimeZone::PosixTz::offsetAt(std::int64_t utc) const {
  if (!hasDst) {
    return stdOffset;
  }
  // The year as seen in standard time; both transitions of that year are computed in UTC.
  std::int64_t localStd = utc + stdOffset;
  std::int64_t dayNumber = localStd >= 0 ? localStd / kSecondsPerDay
                                         : -((-localStd + kSecondsPerDay - 1) / kSecondsPerDay);
  int year = static_cast<int>(std::chrono::year_month_day{sys_days{days{dayNumber}}}.year());

  auto localTransition = [year](const Rule& r) -> std::int64_t {
    std::int64_t day = 0;
    switch (r.kind) {
      case Rule::Kind::JulianNoLeap:
        day = daysFromCivil(year, 1, 1) + r.day - 1 + (isLeap(year) && r.day >= 60 ? 1 : 0);
        break;
      case Rule::Kind::ZeroBasedDay:
        day = daysFromCivil(year, 1, 1) + r.day;
        break;
      case Rule::Kind::MonthWeekDay: {
        std::int64_t first = daysFromCivil(year, r.month, 1);
        int firstWeekday = static_cast<int>(
            std::chrono::weekday{sys_days{days{first}}}.c_encoding());  // 0 = Sunday
        int dom = 1 + (r.weekday - firstWeekday + 7) % 7 + 7 * (r.week - 1);
        while (dom > daysInMonth(year, r.month)) {
          dom -= 7;
        }
        day = first + dom - 1;
        break;
      }
    }
    return day * kSecondsPerDay + r.time;
  };
  std::int64_t dstStart = localTransition(start) - stdOffset;  // rule times are in local time
  std::int64_t dstEnd = localTransition(end) - dstOffset;
  bool inDst = dstStart < dstEnd ? (utc >= dstStart && utc < dstEnd)
                                 : (utc < dstEnd || utc >= dstStart);  // southern hemisphere
  return inDst ? dstOffset : stdOffset;
}

TimeZone TimeZone::load(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos ||
      name.find('\0') != std::string::npos) {
    throw Poco::InvalidArgumentException("invalid time zone name", name);
  }
  const std::string path = std::string(kZoneinfoDir) + "/" + name;
  TimeZone zone;
  zone.name_ = name;
  try {
    zone.zone_ = date::locate_zone(name);
  } catch (const std::exception&) {  // not in the database, or no database at all
    throw Poco::NotFoundException("no time zone file", path);
  }
  // First, because date/tz asserts rather than throws on a file that does not start like TZif.
  const std::string footer = readFooter(path);
  try {
    // Reads the transitions (date/tz keeps them). The period holding an instant after all of
    // them (9999) begins at the last one, where the footer takes over.
    zone.footerFrom_ = zone.zone_->get_info(date::sys_days{date::year{9999} / 1 / 1})
                           .begin.time_since_epoch()
                           .count();
  } catch (const std::exception& e) {
    throw Poco::DataFormatException(std::string("bad TZif data: ") + e.what(), path);
  }
  if (!footer.empty()) {
    try {
      zone.footer_ = PosixTz::parse(footer);
    } catch (const Poco::DataFormatException& e) {
      throw Poco::DataFormatException(e.message(), path);
    }
  }
  return zone;
}

TimeZone TimeZone::fromPosixRule(const std::string& name, const std::string& rule) {
  TimeZone zone;
  zone.name_ = name;
  try {
    zone.footer_ = PosixTz::parse(rule);
  } catch (const Poco::DataFormatException& e) {
    throw Poco::DataFormatException(e.message(), name);
  }
  return zone;
}

std::string TimeZone::readFooter(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    throw Poco::NotFoundException("cannot open time zone file", path);
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw Poco::NotFoundException("cannot read time zone file", path);
  }
  if (data.size() < 44 || data.compare(0, 4, "TZif") != 0) {
    throw Poco::DataFormatException("not a TZif file (bad magic)", path);
  }
  if (data[4] == '\0') {
    return "";  // version 1: no footer
  }
  // Version 2+: the file ends with "\n" POSIX-TZ "\n", and the TZ string has no newline.
  if (data.back() != '\n') {
    throw Poco::DataFormatException("TZif footer does not end with a newline", path);
  }
  std::size_t start = data.rfind('\n', data.size() - 2);
  if (start == std::string::npos) {
    throw Poco::DataFormatException("TZif footer does not start with a newline", path);
  }
  return data.substr(start + 1, data.size() - start - 2);
}

TimeZone TimeZone::utc() {
  TimeZone zone;
  zone.name_ = "UTC";
  return zone;
}

std::int32_t TimeZone::offsetAt(std::int64_t utc) const {
  if (footer_ && utc >= footerFrom_) {
    return footer_->offsetAt(utc);
  }
  if (zone_ == nullptr) {
    return 0;
  }
  return static_cast<std::int32_t>(zone_->get_info(sys_seconds{seconds{utc}}).offset.count());
}

std::chrono::seconds TimeZone::utcOffsetAt(TimePoint t) const {
  return seconds{offsetAt(std::chrono::floor<seconds>(t).time_since_epoch().count())};
}

std::chrono::local_seconds TimeZone::toLocal(TimePoint t) const {
  std::int64_t utc = std::chrono::floor<seconds>(t).time_since_epoch().count();
  return std::chrono::local_seconds{seconds{utc + offsetAt(utc)}};
}

TimeZone::LocalMapping TimeZone::fromLocal(std::chrono::local_seconds local) const {
  std::int64_t l = local.time_since_epoch().count();
  // The offsets a day either side bracket any single change near `local`.
  std::int32_t before = offsetAt(l - kSecondsPerDay);
  std::int32_t after = offsetAt(l + kSecondsPerDay);
  std::int64_t u1 = l - before;
  std::int64_t u2 = l - after;
  bool valid1 = offsetAt(u1) == before;
  bool valid2 = offsetAt(u2) == after;
  auto at = [](std::int64_t s) { return sys_seconds{seconds{s}}; };
  if (valid1 && valid2 && u1 != u2) {
    return {LocalMapping::Kind::Overlap, at(std::min(u1, u2)), at(std::max(u1, u2))};
  }
  if (valid1) {
    return {LocalMapping::Kind::Unique, at(u1), at(u1)};
  }
  if (valid2) {
    return {LocalMapping::Kind::Unique, at(u2), at(u2)};
  }
  // A gap: the change from `before` to `after` lies in (u2, u1]; find its instant.
  std::int64_t lo = std::min(u1, u2);
  std::int64_t hi = std::max(u1, u2);
  while (lo + 1 < hi) {
    std::int64_t mid = lo + (hi - lo) / 2;
    if (offsetAt(mid) == before) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return {LocalMapping::Kind::Gap, at(hi), at(hi)};
}

}  // namespace promsnmp
