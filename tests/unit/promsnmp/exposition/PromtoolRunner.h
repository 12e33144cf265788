#pragma once

#include <string>

// `promtool check metrics` for unit tests that lint exposition text. promtool 2.42 exits 0 when
// clean, 3 on lint findings (one "<metric> <problem>" line each), 1 on a parse error.

/// The promtool on PATH, or "" when it is not installed.
std::string findPromtool();

struct LintResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr
};

/// `promtool check metrics < file`. Fails the calling test if promtool cannot be started.
LintResult runPromtool(const std::string& promtool, const std::string& file);

/// The same on `text`, through a temporary file.
LintResult runPromtoolOnText(const std::string& promtool, const std::string& text);
