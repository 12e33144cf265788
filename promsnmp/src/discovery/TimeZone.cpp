#include "discovery/TimeZone.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <Poco/Exception.h>

namespace promsnmp {

namespace {

using std::chrono::days;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_seconds;

constexpr std::int64_t kSecondsPerDay = 86400;

/// Big-endian reader over TZif bytes that throws on truncation.
class TzifReader {
 public:
  TzifReader(const std::string& data, const std::string& where) : data_(data), where_(where) {}

  void need(std::size_t n) const {
    if (data_.size() - pos_ < n) {
      throw Poco::DataFormatException("truncated TZif data", where_);
    }
  }
  std::uint8_t u8() {
    need(1);
    return static_cast<std::uint8_t>(data_[pos_++]);
  }
  std::uint32_t u32() {
    need(4);
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      v = (v << 8) | static_cast<std::uint8_t>(data_[pos_++]);
    }
    return v;
  }
  std::int64_t i64() {
    need(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v = (v << 8) | static_cast<std::uint8_t>(data_[pos_++]);
    }
    return static_cast<std::int64_t>(v);
  }
  void skip(std::size_t n) {
    need(n);
    pos_ += n;
  }
  std::size_t pos() const { return pos_; }
  const std::string& data() const { return data_; }

 private:
  const std::string& data_;
  const std::string& where_;
  std::size_t pos_ = 0;
};

struct TzifHeader {
  char version = 0;
  std::uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
};

TzifHeader readHeader(TzifReader& in, const std::string& where) {
  in.need(44);
  if (in.data().compare(in.pos(), 4, "TZif") != 0) {
    throw Poco::DataFormatException("not a TZif file (bad magic)", where);
  }
  in.skip(4);
  TzifHeader h;
  h.version = static_cast<char>(in.u8());
  if (h.version != 0 && h.version != '2' && h.version != '3' && h.version != '4') {
    throw Poco::DataFormatException("unsupported TZif version", where);
  }
  in.skip(15);
  h.isutcnt = in.u32();
  h.isstdcnt = in.u32();
  h.leapcnt = in.u32();
  h.timecnt = in.u32();
  h.typecnt = in.u32();
  h.charcnt = in.u32();
  if (h.typecnt == 0 || (h.isutcnt != 0 && h.isutcnt != h.typecnt) ||
      (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) || h.timecnt > 1000000 || h.leapcnt > 1000000 ||
      h.typecnt > 256 || h.charcnt > 1000000) {
    throw Poco::DataFormatException("inconsistent TZif header counts", where);
  }
  return h;
}

std::size_t dataBlockSize(const TzifHeader& h, std::size_t timeSize) {
  return h.timecnt * timeSize + h.timecnt + std::size_t{h.typecnt} * 6 + h.charcnt +
         h.leapcnt * (timeSize + 4) + h.isstdcnt + h.isutcnt;
}

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

TimeZone TimeZone::load(const std::string& name, const std::string& zoneinfoDir) {
  if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos ||
      name.find('\0') != std::string::npos) {
    throw Poco::InvalidArgumentException("invalid time zone name", name);
  }
  std::string path = zoneinfoDir + "/" + name;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    throw Poco::NotFoundException("no time zone file", path);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    throw Poco::NotFoundException("cannot open time zone file", path);
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    throw Poco::NotFoundException("cannot read time zone file", path);
  }
  return parseTzif(name, data, path);
}

TimeZone TimeZone::fromTzif(const std::string& name, const std::string& data) {
  return parseTzif(name, data, name);
}

TimeZone TimeZone::utc() {
  TimeZone zone;
  zone.name_ = "UTC";
  return zone;
}

TimeZone TimeZone::parseTzif(const std::string& name, const std::string& data,
                             const std::string& where) {
  TzifReader in(data, where);
  TzifHeader h = readHeader(in, where);
  std::size_t timeSize = 4;
  if (h.version != 0) {
    // Version 2+: skip the 32-bit block; the 64-bit block after the second header is complete.
    in.skip(dataBlockSize(h, 4));
    h = readHeader(in, where);
    timeSize = 8;
  }
  in.need(dataBlockSize(h, timeSize));

  TimeZone zone;
  zone.name_ = name;
  zone.transitions_.reserve(h.timecnt);
  for (std::uint32_t i = 0; i < h.timecnt; ++i) {
    std::int64_t t = timeSize == 8 ? in.i64() : static_cast<std::int32_t>(in.u32());
    if (!zone.transitions_.empty() && t <= zone.transitions_.back()) {
      throw Poco::DataFormatException("TZif transition times not ascending", where);
    }
    zone.transitions_.push_back(t);
  }
  std::vector<std::uint8_t> typeIndex(h.timecnt);
  for (auto& index : typeIndex) {
    index = in.u8();
    if (index >= h.typecnt) {
      throw Poco::DataFormatException("TZif transition type out of range", where);
    }
  }
  std::vector<std::int32_t> typeOffset(h.typecnt);
  for (auto& offset : typeOffset) {
    offset = static_cast<std::int32_t>(in.u32());
    if (offset < -25 * 3600 || offset > 26 * 3600) {
      throw Poco::DataFormatException("TZif UTC offset out of range", where);
    }
    in.skip(2);  // isdst, abbreviation index: not needed for offsets
  }
  in.skip(h.charcnt + h.leapcnt * (timeSize + 4) + h.isstdcnt + h.isutcnt);
  zone.initialOffset_ = typeOffset[0];
  zone.offsets_.reserve(h.timecnt);
  for (auto index : typeIndex) {
    zone.offsets_.push_back(typeOffset[index]);
  }

  if (timeSize == 8) {
    // Footer: "\n" POSIX-TZ "\n"; an empty TZ string means "no rule".
    if (in.u8() != '\n') {
      throw Poco::DataFormatException("TZif footer does not start with a newline", where);
    }
    std::size_t start = in.pos();
    std::size_t end = data.find('\n', start);
    if (end == std::string::npos) {
      throw Poco::DataFormatException("TZif footer does not end with a newline", where);
    }
    std::string tz = data.substr(start, end - start);
    if (!tz.empty()) {
      try {
        zone.footer_ = PosixTz::parse(tz);
      } catch (const Poco::DataFormatException& e) {
        throw Poco::DataFormatException(e.message(), where);
      }
    }
  }
  return zone;
}

std::int32_t TimeZone::offsetAt(std::int64_t utc) const {
  if (transitions_.empty()) {
    return footer_ ? footer_->offsetAt(utc) : initialOffset_;
  }
  if (utc < transitions_.front()) {
    return initialOffset_;
  }
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  std::size_t index = static_cast<std::size_t>(it - transitions_.begin()) - 1;
  if (index == transitions_.size() - 1 && footer_) {
    return footer_->offsetAt(utc);
  }
  return offsets_[index];
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
