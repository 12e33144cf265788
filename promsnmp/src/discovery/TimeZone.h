// An IANA time zone of the host's tz database, for computing schedule times in local wall-clock
// time without touching the process-wide TZ (no setenv, no localtime).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace date {
class time_zone;
}  // namespace date

namespace promsnmp {

/// UTC offsets of one IANA zone of /usr/share/zoneinfo: its transitions as read by date/tz
/// (libhowardhinnant-date on the system tzdata) and, for instants after the last transition, the
/// POSIX TZ rule of the TZif file's footer (RFC 8536 section 3.3). Debian's date/tz (3.0.1, built
/// with USE_OS_TZDB) ignores that footer, which would freeze every zone at its 2037 offset, and its
/// Posix::time_zone does not compile as C++20 nor read footers like America/Nuuk's "M3.5.0/-1";
/// so the footer rule is ours.
/// Immutable once built, so concurrent use of a const TimeZone from many threads is safe.
/// date/tz reads each zone's transitions once per process: a tzdata upgrade takes effect at the
/// next start.
class TimeZone {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  static constexpr const char* kZoneinfoDir = "/usr/share/zoneinfo";

  /// How one local wall-clock time maps onto UTC.
  struct LocalMapping {
    enum class Kind {
      Unique,   ///< exactly one instant: `first` (== `second`)
      Gap,      ///< skipped by a forward jump: `first` (== `second`) is the instant the gap ends
      Overlap,  ///< repeated by a backward jump: `first` is the earlier, `second` the later
    };
    Kind kind;
    std::chrono::sys_seconds first;
    std::chrono::sys_seconds second;
  };

  /// The zone `name` of the tz database, e.g. load("America/New_York"). Throws
  /// Poco::InvalidArgumentException for an empty name, one starting with '/' or containing "..",
  /// Poco::NotFoundException (with the path under kZoneinfoDir) when the database has no such zone
  /// (also for the posix/ and right/ copies, which date/tz leaves out) or its file cannot be read,
  /// Poco::DataFormatException (with the path) when the file is not valid TZif data.
  static TimeZone load(const std::string& name);

  /// A zone whose offset at every instant comes from one POSIX TZ string such as
  /// "EST5EDT,M3.2.0,M11.1.0" (what a TZif file without transitions says through its footer);
  /// `name` is only used as the zone's name and in messages. Throws Poco::DataFormatException
  /// (with the name) when `rule` is not a POSIX TZ string of RFC 8536 section 3.3.
  static TimeZone fromPosixRule(const std::string& name, const std::string& rule);

  /// The POSIX TZ string a TZif file ends with (RFC 8536 section 3.3), e.g.
  /// "EST5EDT,M3.2.0,M11.1.0"; "" for version 1 data, which has none. Throws
  /// Poco::NotFoundException (with the path) when `path` cannot be read,
  /// Poco::DataFormatException (with the path) when it does not start like TZif or has no footer.
  static std::string readFooter(const std::string& path);

  /// The zone "UTC": offset 0 at every instant; needs no file.
  static TimeZone utc();

  const std::string& name() const { return name_; }

  /// The offset of local time from UTC (east positive) in effect at `t`, e.g. -5h for New York
  /// in winter, +5h30 for Asia/Kolkata.
  std::chrono::seconds utcOffsetAt(TimePoint t) const;

  /// The local wall-clock time at `t`, truncated to whole seconds.
  std::chrono::local_seconds toLocal(TimePoint t) const;

  /// The instants at which the local wall clock shows `local`; see LocalMapping. Assumes two
  /// offset changes are never less than two days apart (true of every IANA zone since 1900).
  LocalMapping fromLocal(std::chrono::local_seconds local) const;

 private:
  /// A POSIX TZ string as found in a TZif footer, e.g. "EST5EDT,M3.2.0,M11.1.0".
  struct PosixTz {
    struct Rule {
      enum class Kind { JulianNoLeap, ZeroBasedDay, MonthWeekDay };
      Kind kind = Kind::MonthWeekDay;
      int day = 0;               // Jn: 1..365; n: 0..365
      int month = 0;             // Mm.w.d
      int week = 0;              // 1..5, 5 = last
      int weekday = 0;           // 0 = Sunday
      std::int32_t time = 7200;  // seconds after local midnight, may be negative or > 24h
    };
    std::int32_t stdOffset = 0;  // east positive
    bool hasDst = false;
    std::int32_t dstOffset = 0;
    Rule start;
    Rule end;

    static PosixTz parse(const std::string& text);  // throws Poco::DataFormatException
    std::int32_t offsetAt(std::int64_t utc) const;
  };

  TimeZone() = default;
  std::int32_t offsetAt(std::int64_t utc) const;

  std::string name_;
  const date::time_zone* zone_ = nullptr;  // the transitions; owned by date/tz's database
  std::int64_t footerFrom_ = INT64_MIN;    // UTC seconds of the last transition
  std::optional<PosixTz> footer_;          // from footerFrom_ on
};

}  // namespace promsnmp
