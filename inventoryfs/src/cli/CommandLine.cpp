#include "cli/CommandLine.h"

#include <cerrno>
#include <cstdlib>

namespace inventoryfs::cli {

namespace {

const std::set<std::string> kFlags = {
    "json",    "pretty", "include-credentials", "merge", "legacy", "replace", "force", "help",
    "version", "clear",  "other-inventory",     "init"};

}  // namespace

std::optional<std::string> CommandLine::value(const std::string& name) const {
  auto it = options.find(name);
  if (it == options.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::string CommandLine::required(const std::string& name) const {
  auto v = value(name);
  if (!v || v->empty()) {
    throw UsageError{command + ": --" + name + " is required"};
  }
  return *v;
}

int64_t CommandLine::integer(const std::string& name, int64_t fallback, int64_t min,
                             int64_t max) const {
  auto v = value(name);
  if (!v) {
    return fallback;
  }
  char* end = nullptr;
  errno = 0;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0' || errno != 0 || n < min || n > max) {
    throw UsageError{"--" + name + ": expected an integer from " + std::to_string(min) + " to " +
                     std::to_string(max) + ", got '" + *v + "'"};
  }
  return n;
}

CommandLine parse(const std::vector<std::string>& args) {
  CommandLine cl;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    // Long options take `--name value` or `--name=value`; -o is the one short option (--output).
    if (a.rfind("--", 0) == 0 || a == "-o") {
      std::string name = a == "-o" ? "output" : a.substr(2);
      std::string value;
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      } else if (kFlags.count(name) != 0) {
        value = "true";
      } else {
        if (i + 1 >= args.size()) {
          throw UsageError{"--" + name + " needs a value"};
        }
        value = args[++i];
      }
      cl.options[name] = value;
    } else if (cl.command.empty()) {
      cl.command = a;
    } else {
      cl.positional.push_back(a);
    }
  }
  return cl;
}

void checkOptions(const CommandLine& cl, const std::set<std::string>& allowed) {
  for (const auto& [name, value] : cl.options) {
    if (name == "file" || name == "json" || allowed.count(name) != 0) {
      continue;
    }
    throw UsageError{cl.command + ": unknown option --" + name};
  }
}

}  // namespace inventoryfs::cli
