#include "config/FilePatterns.h"

#include <glob.h>

#include <algorithm>

namespace promsnmp {

bool isGlob(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

std::optional<std::vector<std::string>> expandGlob(const std::string& pattern) {
  glob_t matches{};
  const int rc = ::glob(pattern.c_str(), 0, nullptr, &matches);
  std::vector<std::string> files;
  if (rc == 0) {
    files.assign(matches.gl_pathv, matches.gl_pathv + matches.gl_pathc);
  }
  ::globfree(&matches);
  if (rc != 0 && rc != GLOB_NOMATCH) {
    return std::nullopt;
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace promsnmp
