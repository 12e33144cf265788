#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace inventoryfs::cli {

/// A command line the CLI cannot run: `message` says why. InventoryCli::run prints it with a hint
/// to use --help and exits with kExitUsage.
struct UsageError {
  std::string message;
};

/// The parsed command line: one command, its options, its positional arguments.
struct CommandLine {
  std::string command;
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;

  bool flag(const std::string& name) const { return options.count(name) != 0; }
  std::optional<std::string> value(const std::string& name) const;
  /// The option's value. Throws UsageError when it is absent or empty.
  std::string required(const std::string& name) const;
  /// The option as an integer, `fallback` when absent. Throws UsageError when it is not an
  /// integer from `min` to `max`.
  int64_t integer(const std::string& name, int64_t fallback, int64_t min, int64_t max) const;
};

/// Splits `args` (without the program name): `--name value`, `--name=value`, the flags that
/// take no value (--json, --pretty, ...), `-o` for --output, the first other word the command,
/// the rest positional. Throws UsageError on an option missing its value.
CommandLine parse(const std::vector<std::string>& args);

/// Throws UsageError when `cl` has an option that is neither global (--file, --json) nor one of
/// `allowed`, the command's own.
void checkOptions(const CommandLine& cl, const std::set<std::string>& allowed);

}  // namespace inventoryfs::cli
