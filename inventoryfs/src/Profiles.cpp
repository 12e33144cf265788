#include "inventoryfs/Profiles.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

namespace inventoryfs {

POCO_IMPLEMENT_EXCEPTION(ProfileConfigException, InventoryException, "Bad profiles file")

namespace {

constexpr uint64_t kMaxArc = 4294967295u;  // an OID arc is an unsigned 32-bit number

/// `oid` without its leading dot when it is a numeric OID of two arcs or more (each arc decimal
/// digits without a leading zero, at most 2^32-1); empty otherwise.
std::string_view canonicalOid(std::string_view oid) {
  if (!oid.empty() && oid.front() == '.') {
    oid.remove_prefix(1);
  }
  size_t arcs = 0;
  size_t start = 0;
  while (start <= oid.size()) {
    size_t end = oid.find('.', start);
    if (end == std::string_view::npos) {
      end = oid.size();
    }
    const std::string_view arc = oid.substr(start, end - start);
    if (arc.empty() || arc.size() > 10 || (arc.size() > 1 && arc.front() == '0')) {
      return {};
    }
    uint64_t value = 0;
    for (const char c : arc) {
      if (c < '0' || c > '9') {
        return {};
      }
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (value > kMaxArc) {
      return {};
    }
    ++arcs;
    start = end + 1;
  }
  return arcs >= 2 ? oid : std::string_view();
}

/// `text` with its control characters as \xNN: a key or a value quoted in a problem must not
/// split it over lines.
std::string oneLine(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += {'\\', 'x', kHex[b >> 4], kHex[b & 15]};
    } else {
      out += c;
    }
  }
  return out;
}

/// The problems found in the files, each "file:line: path: what".
class Problems {
 public:
  void add(const std::string& file, const YAML::Mark& mark, const std::string& path,
           const std::string& what) {
    std::string text = file;
    const int line = mark.is_null() ? 0 : mark.line + 1;
    if (line > 0) {
      text += ":" + std::to_string(line);
    }
    text += ": ";
    if (!path.empty()) {
      text += path + ": ";
    }
    list_.push_back({line, oneLine(text + what)});
  }
  bool empty() const { return list_.empty(); }
  size_t count() const { return list_.size(); }

  /// Orders the problems from the `first` on (one file's) by line: the schema reports a missing
  /// key after the keys below it.
  void sortByLine(size_t first) {
    std::stable_sort(list_.begin() + static_cast<std::ptrdiff_t>(first), list_.end(),
                     [](const Item& a, const Item& b) { return a.line < b.line; });
  }

  [[noreturn]] void raise() const {
    std::string message;
    for (const Item& p : list_) {
      message += (message.empty() ? "" : "\n") + p.text;
    }
    throw ProfileConfigException(message);
  }

 private:
  struct Item {
    int line;
    std::string text;
  };
  std::vector<Item> list_;
};

/// What one file defines.
struct FileProfiles {
  std::vector<Profile> profiles;
  std::vector<std::shared_ptr<const re2::RE2>> patterns;
  bool hasGeneric = false;
  Profile generic;
};

/// Reads one document against the schema, adding what is wrong to `problems`.
class FileReader {
 public:
  FileReader(std::string file, Problems& problems) : file_(std::move(file)), problems_(problems) {}

  FileProfiles read(const std::string& text) {
    FileProfiles out;
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      problems_.add(file_, e.mark, "", "YAML syntax: " + e.msg);
      return out;
    }
    if (root.IsNull()) {
      return out;  // an empty file (or comments only) defines nothing
    }
    if (!root.IsMap()) {
      problems_.add(file_, root.Mark(), "", "expected a mapping with `profiles` and `generic`");
      return out;
    }
    for (const Entry& entry : entries(root, "")) {
      if (entry.key == "profiles") {
        readProfiles(entry.value, out);
      } else if (entry.key == "generic") {
        out.hasGeneric = true;
        readGeneric(entry.value, entry.mark, out.generic);
      } else {
        unknownKey(entry, "");
      }
    }
    return out;
  }

 private:
  /// A key of a mapping, where it is, and its value.
  struct Entry {
    std::string key;
    YAML::Mark mark;
    YAML::Node value;
  };

  /// The entries of mapping `node`, each key once; a key given twice is reported.
  std::vector<Entry> entries(const YAML::Node& node, const std::string& path) {
    std::vector<Entry> out;
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
      if (!it->first.IsScalar()) {
        problems_.add(file_, it->first.Mark(), path, "a key must be a plain string");
        continue;
      }
      if (!seen.insert(key).second) {
        problems_.add(file_, it->first.Mark(), join(path, key), "given twice");
        continue;
      }
      out.push_back({key, it->first.Mark(), it->second});
    }
    return out;
  }

  void unknownKey(const Entry& entry, const std::string& path) {
    problems_.add(file_, entry.mark, join(path, entry.key), "unknown key");
  }

  static std::string join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  /// A scalar as a string; reported and nullopt otherwise.
  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar()) {
      problems_.add(file_, node.Mark(), path, "expected a string");
      return std::nullopt;
    }
    return node.Scalar();
  }

  /// One string of a list, with where it is.
  struct Item {
    std::string value;
    YAML::Mark mark;
    std::string path;
  };

  /// A list of strings (a single string is a list of one); what is not a string is reported.
  std::vector<Item> strings(const YAML::Node& node, const std::string& path) {
    std::vector<Item> out;
    if (node.IsScalar()) {
      out.push_back({node.Scalar(), node.Mark(), path});
      return out;
    }
    if (!node.IsSequence()) {
      problems_.add(file_, node.Mark(), path, "expected a list of strings");
      return out;
    }
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string where = path + "[" + std::to_string(i) + "]";
      if (auto s = scalar(node[i], where)) {
        out.push_back({*s, node[i].Mark(), where});
      }
    }
    return out;
  }

  /// A module list: names not empty, none twice (here or in `others`, the other list).
  std::vector<std::string> moduleList(const YAML::Node& node, const std::string& path,
                                      const std::vector<std::string>& others) {
    std::vector<std::string> out;
    std::set<std::string> seen(others.begin(), others.end());
    for (const Item& name : strings(node, path)) {
      if (name.value.empty()) {
        problems_.add(file_, name.mark, name.path, "an empty module name");
      } else if (!seen.insert(name.value).second) {
        problems_.add(file_, name.mark, name.path, "module '" + name.value + "' listed twice");
      } else {
        out.push_back(name.value);
      }
    }
    return out;
  }

  void readProfiles(const YAML::Node& node, FileProfiles& out) {
    if (node.IsNull()) {
      return;
    }
    if (!node.IsSequence()) {
      problems_.add(file_, node.Mark(), "profiles", "expected a list of profiles");
      return;
    }
    std::map<std::string, int> names;  // name → line of its first definition in this file
    for (size_t i = 0; i < node.size(); ++i) {
      const std::string path = "profiles[" + std::to_string(i) + "]";
      Profile profile;
      std::shared_ptr<const re2::RE2> pattern;
      if (!readProfile(node[i], path, profile, pattern)) {
        continue;
      }
      auto [it, added] = names.emplace(profile.name, profile.line);
      if (!added) {
        problems_.add(file_, node[i].Mark(), path + ".name",
                      "profile '" + profile.name + "' already defined at line " +
                          std::to_string(it->second) + " of this file");
        continue;
      }
      out.profiles.push_back(std::move(profile));
      out.patterns.push_back(std::move(pattern));
    }
  }

  /// One profile; false when it has a problem (reported).
  bool readProfile(const YAML::Node& node, const std::string& path, Profile& profile,
                   std::shared_ptr<const re2::RE2>& pattern) {
    if (!node.IsMap()) {
      problems_.add(file_, node.Mark(), path, "expected a mapping (name, sys_object_id, modules…)");
      return false;
    }
    const size_t before = problems_.count();
    profile.file = file_;
    profile.line = node.Mark().line + 1;
    bool hasName = false;
    bool hasOid = false;
    std::optional<YAML::Node> modules;
    std::optional<YAML::Node> optional;
    for (const Entry& entry : entries(node, path)) {
      const std::string& key = entry.key;
      const YAML::Node& value = entry.value;
      const std::string where = join(path, key);
      if (key == "name") {
        hasName = true;
        if (auto s = scalar(value, where)) {
          if (s->empty() || *s == ProfileSet::kGenericName) {
            report(value.Mark(), where,
                   s->empty() ? "must not be empty" : "'generic' is the name of `generic:`");
          }
          profile.name = *s;
        }
      } else if (key == "vendor" || key == "os" || key == "source") {
        if (auto s = scalar(value, where)) {
          (key == "vendor" ? profile.vendor : key == "os" ? profile.os : profile.source) = *s;
        }
      } else if (key == "sys_object_id") {
        hasOid = true;
        readPrefixes(value, where, profile);
      } else if (key == "sys_descr") {
        if (auto s = scalar(value, where)) {
          auto re = std::make_shared<const re2::RE2>(*s, re2::RE2::Quiet);
          if (!re->ok()) {
            report(value.Mark(), where, "not a valid RE2 expression: " + re->error());
          } else if (!s->empty()) {
            profile.sysDescrPattern = *s;
            pattern = std::move(re);
          }
        }
      } else if (key == "modules") {
        modules = value;
      } else if (key == "optional_modules") {
        optional = value;
      } else {
        unknownKey(entry, path);
      }
    }
    if (!hasName) {
      report(node.Mark(), path, "`name` is missing");
    }
    if (!hasOid) {
      report(node.Mark(), path, "`sys_object_id` is missing (at least one OID prefix)");
    }
    profile.modules = requiredModules(modules, node.Mark(), path);
    if (optional) {
      profile.optionalModules = moduleList(*optional, path + ".optional_modules", profile.modules);
    }
    return problems_.count() == before;
  }

  void readPrefixes(const YAML::Node& value, const std::string& where, Profile& profile) {
    const std::vector<Item> prefixes = strings(value, where);
    if (prefixes.empty() && (value.IsScalar() || value.IsSequence())) {
      report(value.Mark(), where, "needs at least one OID prefix");
    }
    for (const Item& prefix : prefixes) {
      const std::string_view oid = canonicalOid(prefix.value);
      if (oid.empty()) {
        report(prefix.mark, prefix.path,
               "'" + prefix.value + "' is not a numeric OID (such as 1.3.6.1.4.1.9.1)");
      } else {
        profile.sysObjectIdPrefixes.emplace_back(oid);
      }
    }
  }

  /// The generic profile: `node` is the value of the `generic` key found at `keyMark`.
  void readGeneric(const YAML::Node& node, const YAML::Mark& keyMark, Profile& generic) {
    generic.name = ProfileSet::kGenericName;
    generic.file = file_;
    generic.line = keyMark.line + 1;
    if (!node.IsMap()) {
      report(keyMark, "generic", "expected a mapping (modules, optional_modules)");
      return;
    }
    std::optional<YAML::Node> modules;
    std::optional<YAML::Node> optional;
    for (const Entry& entry : entries(node, "generic")) {
      if (entry.key == "modules") {
        modules = entry.value;
      } else if (entry.key == "optional_modules") {
        optional = entry.value;
      } else {
        unknownKey(entry, "generic");
      }
    }
    generic.modules = requiredModules(modules, keyMark, "generic");
    if (optional) {
      generic.optionalModules = moduleList(*optional, "generic.optional_modules", generic.modules);
    }
  }

  /// The `modules` of the mapping at `path` (which starts at `at`): reported when missing, not a
  /// list or empty.
  std::vector<std::string> requiredModules(const std::optional<YAML::Node>& node,
                                           const YAML::Mark& at, const std::string& path) {
    if (!node) {
      report(at, path, "`modules` is missing");
      return {};
    }
    std::vector<std::string> out = moduleList(*node, path + ".modules", {});
    if (node->IsSequence() && node->size() == 0) {
      report(node->Mark(), path + ".modules", "needs at least one module");
    }
    return out;
  }

  void report(const YAML::Mark& mark, const std::string& path, const std::string& what) {
    problems_.add(file_, mark, path, what);
  }

  const std::string file_;
  Problems& problems_;
};

/// A profiles file is a few kilobytes: a larger one is a mistake (a wrong path, a device).
constexpr std::streamsize kMaxFileBytes = 4 << 20;

/// Reads the file at `path` into `text`. Returns "" or what went wrong.
std::string readProfilesFile(const std::string& path, std::string& text) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return "cannot read: it is a directory";
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::string("cannot read: ") + std::strerror(errno);
  }
  text.resize(static_cast<size_t>(kMaxFileBytes) + 1);
  in.read(text.data(), kMaxFileBytes + 1);
  if (in.bad()) {
    return std::string("cannot read: ") + std::strerror(errno);
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.gcount() > kMaxFileBytes) {
    return "larger than " + std::to_string(kMaxFileBytes >> 20) + " MiB: not a profiles file";
  }
  return {};
}

}  // namespace

bool oidHasPrefix(std::string_view oid, std::string_view prefix) {
  const std::string_view o = canonicalOid(oid);
  const std::string_view p = canonicalOid(prefix);
  if (o.empty() || p.empty() || o.size() < p.size() || o.compare(0, p.size(), p) != 0) {
    return false;
  }
  return o.size() == p.size() || o[p.size()] == '.';
}

ProfileSet::ProfileSet() {
  generic_.name = kGenericName;
  generic_.modules = {"system", "if_mib"};
}

ProfileSet ProfileSet::load(const std::vector<std::string>& files) {
  std::vector<std::pair<std::string, std::string>> documents;
  std::string unreadable;  // one line per file that cannot be read
  for (const std::string& file : files) {
    std::string text;
    const std::string error = readProfilesFile(file, text);
    if (!error.empty()) {
      unreadable.append(unreadable.empty() ? "" : "\n").append(file).append(": ").append(error);
      continue;
    }
    documents.emplace_back(file, std::move(text));
  }
  if (unreadable.empty()) {
    return parse(documents);
  }
  try {
    parse(documents);  // to report the problems of the files that could be read as well
  } catch (const ProfileConfigException& e) {
    unreadable += "\n" + e.message();
  }
  throw ProfileConfigException(unreadable);
}

ProfileSet ProfileSet::parse(const std::vector<std::pair<std::string, std::string>>& documents) {
  ProfileSet set;
  Problems problems;
  for (const auto& [file, text] : documents) {
    const size_t first = problems.count();
    FileProfiles read = FileReader(file, problems).read(text);
    problems.sortByLine(first);
    set.files_.push_back(file);
    for (size_t i = 0; i < read.profiles.size(); ++i) {
      Profile& profile = read.profiles[i];
      auto same = std::find_if(set.profiles_.begin(), set.profiles_.end(),
                               [&](const Profile& p) { return p.name == profile.name; });
      if (same != set.profiles_.end()) {
        const auto at = static_cast<size_t>(same - set.profiles_.begin());
        *same = std::move(profile);
        set.patterns_[at] = std::move(read.patterns[i]);
      } else {
        set.profiles_.push_back(std::move(profile));
        set.patterns_.push_back(std::move(read.patterns[i]));
      }
    }
    if (read.hasGeneric) {
      set.generic_ = std::move(read.generic);
    }
  }
  if (!problems.empty()) {
    problems.raise();
  }
  return set;
}

Classification ProfileSet::classify(std::string_view sysObjectId, std::string_view sysDescr) const {
  Classification out;
  out.profile = &generic_;
  const std::string_view oid = canonicalOid(sysObjectId);
  if (oid.empty()) {
    out.reason = sysObjectId.empty() ? "no sysObjectID: generic"
                                     : "sysObjectID '" + std::string(sysObjectId) +
                                           "' is not a numeric OID: generic";
    return out;
  }
  bool prefixMatched = false;
  for (size_t i = profiles_.size(); i-- > 0;) {
    const Profile& p = profiles_[i];
    auto prefix = std::find_if(p.sysObjectIdPrefixes.begin(), p.sysObjectIdPrefixes.end(),
                               [&](const std::string& x) { return oidHasPrefix(oid, x); });
    if (prefix == p.sysObjectIdPrefixes.end()) {
      continue;
    }
    prefixMatched = true;
    const re2::RE2* pattern = patterns_[i].get();
    if (pattern != nullptr &&
        !re2::RE2::PartialMatch(re2::StringPiece(sysDescr.data(), sysDescr.size()), *pattern)) {
      continue;
    }
    out.profile = &p;
    out.generic = false;
    out.reason = "sysObjectID " + std::string(oid) + " under " + *prefix;
    if (pattern != nullptr) {
      out.reason += ", sysDescr matches /" + p.sysDescrPattern + "/";
    }
    out.reason += " (" + p.file + ":" + std::to_string(p.line) + ")";
    return out;
  }
  out.reason = "no profile matches sysObjectID " + std::string(oid) +
               (prefixMatched ? " with this sysDescr" : "") + ": generic";
  return out;
}

std::vector<std::string> ProfileSet::unknownModules(const std::set<std::string>& known) const {
  std::vector<std::string> out;
  auto check = [&](const Profile& p) {
    std::vector<std::string> missing;
    for (const auto* list : {&p.modules, &p.optionalModules}) {
      for (const std::string& m : *list) {
        if (known.count(m) == 0) {
          missing.push_back(m);
        }
      }
    }
    for (const std::string& m : missing) {
      out.push_back((p.file.empty() ? "(built in)" : p.file + ":" + std::to_string(p.line)) +
                    ": profile " + p.name + ": module '" + m + "' is not loaded");
    }
  };
  for (const Profile& p : profiles_) {
    check(p);
  }
  check(generic_);
  return out;
}

}  // namespace inventoryfs
