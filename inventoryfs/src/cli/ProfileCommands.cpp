// classify: which device profile a sysObjectID (and sysDescr) gets.
#include <sys/stat.h>

#include <string>
#include <vector>

#include "InventoryCli.h"
#include "Json.h"
#include "cli/Commands.h"
#include "inventoryfs/Profiles.h"

namespace inventoryfs::cli {

namespace {

constexpr const char* kDefaultProfilesFile = "/etc/promsnmp/profiles.yml";

/// `list` split at commas, each piece trimmed of spaces, empty pieces dropped.
std::vector<std::string> splitList(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string::npos) {
      end = list.size();
    }
    std::string piece = list.substr(start, end - start);
    piece.erase(0, piece.find_first_not_of(' '));
    piece.erase(piece.find_last_not_of(' ') + 1);
    if (!piece.empty()) {
      out.push_back(piece);
    }
    start = end + 1;
  }
  return out;
}

/// The profiles files: --profiles, else PROMSNMP_PROFILES_FILES, else the default, which must
/// exist (a missing default is said as such, not as an unreadable file).
std::vector<std::string> profilesFiles(Session& session) {
  if (auto given = session.cl().value("profiles")) {
    std::vector<std::string> files = splitList(*given);
    if (files.empty()) {
      throw UsageError{"classify: --profiles needs a file"};
    }
    return files;
  }
  auto env = session.env().find("PROMSNMP_PROFILES_FILES");
  if (env != session.env().end()) {
    std::vector<std::string> files = splitList(env->second);
    if (!files.empty()) {
      return files;
    }
  }
  struct stat st {};
  if (::stat(kDefaultProfilesFile, &st) != 0) {
    throw ProfileConfigException(std::string("the default profiles file ") + kDefaultProfilesFile +
                                 " does not exist (give --profiles FILE[,FILE...] or set "
                                 "PROMSNMP_PROFILES_FILES)");
  }
  return {kDefaultProfilesFile};
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) {
    out += (out.empty() ? "" : ", ") + n;
  }
  return out.empty() ? "-" : out;
}

void writeStrings(detail::JsonWriter& w, const std::vector<std::string>& values) {
  w.beginArray();
  for (const std::string& v : values) {
    w.string(v);
  }
  w.endArray();
}

}  // namespace

int classify(Session& session) {
  const CommandLine& cl = session.cl();
  const std::string sysObjectId = cl.required("sys-object-id");
  if (!oidHasPrefix(sysObjectId, sysObjectId)) {  // true exactly for a numeric OID
    throw UsageError{"classify: --sys-object-id: '" + sysObjectId +
                     "' is not a numeric OID (such as 1.3.6.1.4.1.9.1.516)"};
  }
  const std::string sysDescr = cl.value("sys-descr").value_or("");
  const ProfileSet profiles = ProfileSet::load(profilesFiles(session));
  const Classification c = profiles.classify(sysObjectId, sysDescr);
  const Profile& p = *c.profile;
  if (session.json()) {
    std::string s;
    detail::JsonWriter w(s, false);
    w.beginObject();
    w.key("profile");
    w.string(p.name);
    w.key("generic");
    w.boolean(c.generic);
    w.key("vendor");
    w.string(p.vendor);
    w.key("os");
    w.string(p.os);
    w.key("modules");
    writeStrings(w, p.modules);
    w.key("optionalModules");
    writeStrings(w, p.optionalModules);
    w.key("reason");
    w.string(c.reason);
    w.key("files");
    writeStrings(w, profiles.files());
    w.endObject();
    session.out() << s << "\n";
    return kExitOk;
  }
  session.printTable({{"profile", p.name},
                      {"vendor", p.vendor.empty() ? "-" : p.vendor},
                      {"os", p.os.empty() ? "-" : p.os},
                      {"modules", joined(p.modules)},
                      {"optional modules", joined(p.optionalModules)},
                      {"reason", c.reason}});
  return kExitOk;
}

}  // namespace inventoryfs::cli
