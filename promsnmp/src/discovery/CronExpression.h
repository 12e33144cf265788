// Spring Framework 6 cron expressions (org.springframework.scheduling.support.CronExpression),
// for the discovery schedule: same syntax, fire times computed in an IANA time zone.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "discovery/TimeZone.h"

namespace promsnmp {

/// A parsed six-field cron expression "second minute hour day-of-month month day-of-week", with
/// Spring's syntax: `*`, `?` (day fields), lists, ranges, steps (`*/5`, `1-30/2`, `5/10`), names
/// JAN-DEC and MON-SUN in any case, day-of-week 0 and 7 = Sunday, `L`, `L-n`, `nW`, `LW` in
/// day-of-month, `nL` and `n#m` in day-of-week, and the macros @yearly @annually @monthly
/// @weekly @daily @midnight @hourly. Like Spring (and unlike Vixie cron) day-of-month and
/// day-of-week must both match. Immutable; concurrent const use is safe.
class CronExpression {
 public:
  using TimePoint = std::chrono::system_clock::time_point;

  /// What to do with a fire time that a forward clock change skips (02:30 on a spring-forward
  /// night in New York).
  enum class DstGap {
    Skip,       ///< no fire that day: Spring's documented behaviour
    FireAtEnd,  ///< fire once at the first instant after the gap (03:00 local)
  };

  /// Fire times searched at most this far ahead of `after` (covers Feb 29 across 2100).
  static constexpr int kSearchYears = 8;

  /// Parses `expression`. Throws Poco::SyntaxException naming the field and the bad text when
  /// Spring's CronExpression.parse would reject it.
  static CronExpression parse(const std::string& expression);

  /// The first fire time strictly after `after`, in whole seconds, with fields matched against
  /// the wall clock of `zone`. A local time repeated by a backward clock change fires once, at
  /// its first occurrence; a skipped one is handled as `gap` says. Returns nullopt when nothing
  /// fires within kSearchYears (e.g. "0 0 0 30 2 *"). Thread-safe.
  std::optional<TimePoint> next(TimePoint after, const TimeZone& zone,
                                DstGap gap = DstGap::Skip) const;

  /// The text given to parse().
  const std::string& expression() const { return expression_; }

 private:
  /// One list element of a day-of-month or day-of-week field that bits cannot express.
  struct DaySpecial {
    enum class Kind {
      LastDay,         ///< L, L-n (offset = n)
      LastWeekday,     ///< LW
      NearestWeekday,  ///< nW (value = n)
      LastWeekdayOf,   ///< dL (value = ISO weekday 1..7)
      NthWeekdayOf,    ///< d#n (value = ISO weekday, offset = n)
    };
    Kind kind;
    int value = 0;
    int offset = 0;
  };

  CronExpression() = default;
  bool matchesDate(std::chrono::year_month_day date) const;

  std::string expression_;
  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> daysOfMonth_;           // bit 1..31
  std::bitset<13> months_;                // bit 1..12
  std::bitset<8> daysOfWeek_;             // ISO: bit 1 = Monday .. 7 = Sunday
  std::vector<DaySpecial> daySpecials_;   // OR-ed with daysOfMonth_
  std::vector<DaySpecial> weekSpecials_;  // OR-ed with daysOfWeek_
};

}  // namespace promsnmp
