#pragma once

#include <optional>
#include <string>
#include <vector>

namespace promsnmp {

// The settings that name files take paths or globs (snmp.module_files,
// discovery.profile_files): glob(3), wrapped once for both.

/// Whether `pattern` is a glob (holds `*`, `?` or `[`) rather than a path. Thread-safe.
bool isGlob(const std::string& pattern);

/// The files the glob `pattern` matches, in byte order (Go's filepath.Glob); empty when it
/// matches none. nullopt when it cannot be expanded (glob(3) failed otherwise than by finding
/// nothing: a read error, no memory). Thread-safe.
std::optional<std::vector<std::string>> expandGlob(const std::string& pattern);

}  // namespace promsnmp
