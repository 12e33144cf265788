#pragma once

#include <chrono>
#include <string>

#include "ElectorStatus.h"

namespace elector {

// What the elector's `/` and `/health` print, from an ElectorStatus snapshot. Pure functions:
// no I/O, no clock of their own; thread-safe.

/// A duration for people: "850 ms", "4.2 s", "42 s", "3 min 20 s", "2 h 5 min", "3 d 4 h".
/// A negative duration is shown as "0 ms".
std::string formatDuration(std::chrono::milliseconds duration);

/// A round trip's duration: "0.42 ms", "12.3 ms", "250 ms", "1.25 s".
std::string formatLatency(std::chrono::microseconds duration);

/// A wall-clock time in UTC, ISO 8601 with milliseconds: "2026-12-07T05:12:03.042Z".
std::string formatWallTime(std::chrono::system_clock::time_point time);

/// The elector's page: a whole HTML document (inline CSS, no script, refreshes every 5 s),
/// every value HTML-escaped.
std::string renderStatusPage(const ElectorStatus::Snapshot& snapshot);

/// `/health` as pretty-printed JSON with a fixed key order (keys always present, null when
/// there is nothing to say), ending in a newline.
std::string renderHealthJson(const ElectorStatus::Snapshot& snapshot);

/// `/health?format=text`: one aligned `key: value` line per item.
std::string renderHealthText(const ElectorStatus::Snapshot& snapshot);

}  // namespace elector
