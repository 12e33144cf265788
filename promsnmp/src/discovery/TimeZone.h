// An IANA time zone read from a TZif file (RFC 8536), for computing schedule times in local
// wall-clock time without touching the process-wide TZ (no setenv, no localtime).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace promsnmp {

/// UTC offsets of one IANA zone: the transitions of the TZif file's 64-bit section and, for
/// instants after the last transition, the POSIX TZ rule of its footer (RFC 8536 section 3.3).
/// Immutable once built, so concurrent use of a const TimeZone from many threads is safe.
/// Leap-second records ("right/" zones) are ignored: offsets are those of civil UTC.
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

  /// Reads `<zoneinfoDir>/<name>`, e.g. load("America/New_York").
  /// Throws Poco::InvalidArgumentException for an empty name, one starting with '/' or containing
  /// "..", Poco::NotFoundException (with the path) when no such regular file exists or it cannot
  /// be read, Poco::DataFormatException (with the path) when it is not valid TZif data.
  static TimeZone load(const std::string& name, const std::string& zoneinfoDir = kZoneinfoDir);

  /// Builds a zone from the bytes of a TZif file; `name` is only used as the zone's name and in
  /// messages. Throws Poco::DataFormatException when `data` is not valid TZif (v1, v2, v3 or v4).
  static TimeZone fromTzif(const std::string& name, const std::string& data);

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
  static TimeZone parseTzif(const std::string& name, const std::string& data,
                            const std::string& where);
  std::int32_t offsetAt(std::int64_t utc) const;

  std::string name_;
  std::vector<std::int64_t> transitions_;  // ascending UTC seconds
  std::vector<std::int32_t> offsets_;      // offsets_[i] applies from transitions_[i] on
  std::int32_t initialOffset_ = 0;         // before the first transition
  std::optional<PosixTz> footer_;          // after the last transition
};

}  // namespace promsnmp
