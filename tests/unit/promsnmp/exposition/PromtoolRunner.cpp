#include "exposition/PromtoolRunner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <cppunit/extensions/HelperMacros.h>

std::string findPromtool() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/promtool";
    if (access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

LintResult runPromtool(const std::string& promtool, const std::string& file) {
  LintResult r;
  std::string command = "'" + promtool + "' check metrics < '" + file + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  CPPUNIT_ASSERT_MESSAGE("popen " + command, pipe != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) {
    r.output.append(buf, n);
  }
  int status = pclose(pipe);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

LintResult runPromtoolOnText(const std::string& promtool, const std::string& text) {
  char path[] = "/tmp/promsnmp-promtool-XXXXXX";
  int fd = mkstemp(path);
  CPPUNIT_ASSERT(fd >= 0);
  bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  LintResult r;
  if (written) {
    r = runPromtool(promtool, path);
  }
  unlink(path);
  CPPUNIT_ASSERT_MESSAGE("cannot write the text to lint", written);
  return r;
}
