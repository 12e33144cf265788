// snmp_exporter module files (parseModuleText): operator input, but also what a site copies
// from elsewhere, so any bytes at all.
//
// The input is one module file, named fuzz.yml. It either loads or is refused with a
// ModuleConfigException whose every line is "fuzz.yml:<line>: …" (or "fuzz.yml: …"), the line
// within the text, valid UTF-8 without control characters; any other exception escaping is a
// bug. A file that loads:
// - gives modules and auths that name themselves and their position in fuzz.yml, and compiled
//   regexes;
// - loaded again into the same set, is refused for each name it defined (and the set is left
//   unchanged), or, defining no name, loads again;
// - has each module (the first 8, each its first 64 metrics) rendered against a few varbinds
//   under each metric's and lookup's OID (ModuleRenderer compiles whatever the loader accepts),
//   and the text must be Prometheus text (PrometheusTextCheck.h) whatever names the file gave.
// A text containing '$' is also loaded with --config.expand-environment-variables, from a fixed
// fake environment.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>

#include "PrometheusTextCheck.h"
#include "common/Text.h"
#include "modules/ModuleLoader.h"
#include "modules/ModuleRenderer.h"
#include "modules/PduTable.h"

using namespace promsnmp;

namespace {

const std::string kFile = "fuzz.yml";

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "fuzz_module_file: %s\n", what.c_str());
  std::abort();
}

[[noreturn]] void failText(const std::string& module, const std::string& problem,
                           const std::string& text) {
  std::string what = "module ";
  what += module;
  what += ": ";
  what += problem;
  what += "\n--- text ---\n";
  what += text;
  fail(what);
}

void check(bool condition, const std::string& what) {
  if (!condition) {
    fail(what);
  }
}

/// Checks a refusal's message: one or more lines, each "fuzz.yml:<n>: …" with 1 <= n <= `lines`
/// or "fuzz.yml: …", valid UTF-8 without control characters (a problem is one line of a log).
void checkRefusal(const std::string& message, size_t lines) {
  check(!message.empty(), "a refusal without a message");
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) {
      end = message.size();
    }
    const std::string_view line = std::string_view(message).substr(start, end - start);
    check(line.substr(0, kFile.size()) == kFile, "a problem not naming the file: " + message);
    std::string_view rest = line.substr(kFile.size());
    if (rest.substr(0, 2) != ": ") {
      check(rest.size() > 1 && rest[0] == ':', "a problem without file:line: " + message);
      size_t digits = 1;
      uint64_t n = 0;
      while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9' && n < 1u << 30) {
        n = n * 10 + static_cast<uint64_t>(rest[digits] - '0');
        ++digits;
      }
      check(digits > 1 && n >= 1 && n <= lines, "a problem's line outside the text: " + message);
      check(rest.substr(digits, 2) == ": ", "a problem without file:line: " + message);
      rest = rest.substr(digits);
    }
    check(rest.size() > 2, "a problem without a message: " + message);
    check(common::isValidUtf8(line), "a problem that is not valid UTF-8: " + message);
    check(std::none_of(line.begin(), line.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }),
          "a control character in a problem: " + message);
    start = end + 1;
  }
}

std::optional<std::string> fakeEnvironment(const std::string& name) {
  if (name == "USER") {
    return "alice";
  }
  if (name == "PASSWORD") {
    return "s3cret$";
  }
  if (name == "EMPTY") {
    return "";
  }
  return std::nullopt;
}

void checkLoaded(const ModuleSet& set, size_t lines) {
  check(set.files == std::vector<std::string>{kFile}, "files is not {fuzz.yml}");
  auto checkPosition = [&](const SourcePosition& p, const std::string& name) {
    check(p.file == kFile && p.line >= 1 && static_cast<size_t>(p.line) <= lines,
          "a bad position for " + name + ": " + p.str());
  };
  for (const auto& [name, auth] : set.auths) {
    check(auth.name == name, "an auth named " + auth.name + " under " + name);
    check(auth.version == 1 || auth.version == 2 || auth.version == 3, "an auth version");
    checkPosition(auth.position, name);
  }
  for (const auto& [name, module] : set.modules) {
    check(module != nullptr, "a null module");
    check(module->name == name, "a module named " + module->name + " under " + name);
    checkPosition(module->position, name);
    if (module->embeddedAuth) {
      check(module->embeddedAuth->name == name, "an embedded auth named otherwise");
    }
    for (const ModuleMetric& m : module->metrics) {
      for (const auto& [suffix, extracts] : m.regexExtracts) {
        for (const RegexExtract& e : extracts) {
          check(e.regex.regex != nullptr && e.regex.regex->ok(), "an uncompiled regex");
        }
      }
    }
    for (const DynamicFilter& f : module->filters) {
      for (const CompiledRegex& r : f.values) {
        check(r.regex != nullptr && r.regex->ok(), "an uncompiled filter regex");
      }
    }
  }
}

/// A few varbinds under `column`: rows 1 and 2.1.4.192.0.2.1 (an InetAddress-shaped index) with
/// values of several types; `n` picks them.
void addRows(std::vector<VarBind>& out, const Oid& column, size_t n) {
  if (column.empty()) {
    return;
  }
  out.push_back({column.child(1), SnmpValue::makeInteger(static_cast<int64_t>(n % 3))});
  Oid::Ids ids = column.ids();
  for (const uint32_t id : {2u, 1u, 4u, 192u, 0u, 2u, 1u}) {
    ids.push_back(id);
  }
  switch (n % 4) {
    case 0:
      out.push_back({Oid(std::move(ids)), SnmpValue::makeOctetString("up 42C \xff")});
      break;
    case 1:
      out.push_back({Oid(std::move(ids)), SnmpValue::makeOctetString(std::string(
                                              "\x07\xe8\x02\x1d\x17\x3b\x3c\x09+\x02\x00", 11))});
      break;
    case 2:
      out.push_back(
          {Oid(std::move(ids)), SnmpValue::makeUnsigned(SnmpType::Counter64, UINT64_MAX)});
      break;
    default:
      out.push_back({Oid(std::move(ids)), SnmpValue::makeInteger(-1)});
      break;
  }
}

void renderLoaded(const ModuleSet& set) {
  size_t modules = 0;
  for (const auto& [name, module] : set.modules) {
    if (++modules > 8) {
      break;
    }
    std::vector<VarBind> varbinds;
    size_t n = 0;
    for (const ModuleMetric& m : module->metrics) {
      if (n >= 64) {
        break;
      }
      addRows(varbinds, m.oid, n++);
      for (const MetricLookup& l : m.lookups) {
        addRows(varbinds, l.oid, n++);
        if (!l.oid.empty() && l.oid[l.oid.size() - 1] > 0) {
          Oid::Ids previous = l.oid.ids();
          --previous.back();
          addRows(varbinds, Oid(std::move(previous)), 1);
        }
      }
    }
    ModuleFamilies families;
    renderModule(*module, PduTable(std::move(varbinds)), families);
    addScrapeMeta(families, name, ModuleScrapeStats{});
    std::string text;
    families.appendText(text);
    check(!text.empty(), "no text for a module (the meta series at least)");
    if (const std::string problem = fuzz::checkPrometheusText(text); !problem.empty()) {
      failText(name, problem, text);
    }
  }
}

void fuzzText(const std::string& text, const ModuleLoadOptions& options) {
  size_t lines = 1;
  for (const char c : text) {
    lines += c == '\n' ? 1 : 0;
  }
  ModuleSet set;
  try {
    parseModuleText(text, kFile, set, options);
  } catch (const ModuleConfigException& e) {
    checkRefusal(e.message(), lines);
    check(set.modules.empty() && set.auths.empty() && set.files.empty(),
          "a refused text changed the set");
    return;
  } catch (const std::exception& e) {
    fail(std::string("an exception other than ModuleConfigException: ") + e.what());
  } catch (...) {
    fail("an exception other than ModuleConfigException");
  }
  checkLoaded(set, lines);

  // Loaded again into the same set: refused for every name it defines, set unchanged.
  const size_t names = set.modules.size() + set.auths.size();
  try {
    parseModuleText(text, kFile, set, options);
    check(names == 0, "a name defined twice was accepted");
    check(set.files.size() == 2, "files not appended");
  } catch (const ModuleConfigException& e) {
    check(names > 0, "refused the second time only: " + e.message());
    checkRefusal(e.message(), lines);
    size_t problems = 1;
    for (const char c : e.message()) {
      problems += c == '\n' ? 1 : 0;
    }
    check(problems == names, "not one problem per name defined twice: " + e.message());
    check(set.files.size() == 1 && set.modules.size() + set.auths.size() == names,
          "a refused merge changed the set");
  }
  renderLoaded(set);
}

}  // namespace

// One input may make the loader allocate tens of MB by design (it refuses past 100,000 events
// or 16 MiB of scalars plus what the file's size allows); with ASan's default 256 MB quarantine
// of freed memory the process passed 1.1 GB in 15,000 runs (run_one.sh's limit is 2 GB), with
// 16 MB 420 MB. ASAN_OPTIONS in the environment overrides this.
// NOLINTNEXTLINE(bugprone-reserved-identifier): the name ASan looks for
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 65536) {
    return 0;  // module files are larger, but nothing in them grows with more than this
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  fuzzText(text, ModuleLoadOptions{});
  if (text.find('$') != std::string::npos) {
    ModuleLoadOptions expand;
    expand.expandEnvironment = true;
    expand.getenv = fakeEnvironment;
    fuzzText(text, expand);
  }
  return 0;
}
