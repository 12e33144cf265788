#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace promsnmp {

/// Parses `source` with the strftime-style `pattern` of a ParseDateAndTime metric
/// (`datetime_pattern`), as snmp_exporter does with github.com/itchyny/timefmt-go's Parse
/// (v0.1.8), and returns the time as Unix seconds (rounded down).
///
/// Directives: %Y (optionally signed, up to 4 digits) %y (69–99 → 19xx) %C %G %g %m %B %b %h
/// %A %a %w %u %d %e %j %H %k %I %l %p %P %M %S %s %f %U %W %V %Z %z %:z %::z %:::z %t %n %%,
/// and the composites %c %+ %v %r %F %D %x %T %X %R. Numbers take up to their width in digits
/// and must be in range; names match without regard to case; %e %k %l skip one leading space;
/// %t %n need one or more white-space characters; any other character must match itself. The
/// whole source must be consumed. Missing fields are 1900-01-01 00:00:00; out-of-range
/// combinations roll over as Go's time.Date does (a "13 PM" is the next day's 01:00).
///
/// Zones: without %z/%Z the time is UTC. %z takes +hh[mm], -hh:mm (the colon forms as
/// timefmt-go requires them) or Z. %Z takes the upper-case letters there: "UTC" is UTC, a name
/// the process's local zone uses (tzname) selects the local zone's rules, anything else is
/// offset 0, as Go's time.Parse does with the local zone.
///
/// Returns nullopt when the source does not match. Thread-safe.
std::optional<int64_t> parseTimeFormat(std::string_view source, std::string_view pattern);

/// Unix seconds of the civil time `year-month-day hour:minute:second` at UTC offset
/// `offsetSeconds`, with Go's time.Date roll-over of out-of-range fields (month 0 is December of
/// the year before, second 60 the next minute, …). Pure.
int64_t civilToUnix(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                    int64_t second, int64_t offsetSeconds = 0);

}  // namespace promsnmp
