#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inventoryfs/Exceptions.h"

namespace re2 {
class RE2;
}

namespace inventoryfs {

// Device profiles: what kind of device an agent is (vendor, OS) and which modules it is polled
// with, decided from its sysObjectID and, where one prefix covers several kinds, its sysDescr.
// The format of a profiles file is documented at the top of etc/profiles.yml. The classifier
// only names modules: checking them against the modules actually loaded is the caller's
// (ProfileSet::unknownModules).

/// A profiles file that cannot be used. The message holds every problem of every file read, one
/// per line, each `file:line: path: what` (`file: what` when the file cannot be read at all).
POCO_DECLARE_EXCEPTION(, ProfileConfigException, InventoryException)

/// One kind of device, as a profiles file defines it.
struct Profile {
  std::string name;
  std::string vendor;  // may be empty
  std::string os;      // may be empty
  /// Numeric OIDs, dotted, without a leading dot; a device matches when one of them is a
  /// whole-arc prefix of its sysObjectID. Empty for the generic profile.
  std::vector<std::string> sysObjectIdPrefixes;
  /// An RE2 expression searched (unanchored) in sysDescr; empty: sysDescr is not looked at.
  std::string sysDescrPattern;
  /// Polled on every device of the profile.
  std::vector<std::string> modules;
  /// Kept for a device only when its agent answers under the module (discovery checks).
  std::vector<std::string> optionalModules;
  /// Where the facts come from (MIB and object), for the reader; not interpreted.
  std::string source;
  /// Where it was defined: the file as given and the 1-based line of the profile (of the
  /// `generic:` key for the generic profile; 0 for the built-in one).
  std::string file;
  int line = 0;
};

/// What a device gets and why.
struct Classification {
  /// The profile that matched, or the generic profile; never null. Points into the ProfileSet
  /// that classified, which must outlive it.
  const Profile* profile = nullptr;
  bool generic = true;
  /// One line for the operator, e.g. "sysObjectID 1.3.6.1.4.1.9.1.516 under 1.3.6.1.4.1.9.1,
  /// sysDescr matches /IOS/ (etc/profiles.yml:42)" or "no profile matches sysObjectID
  /// 1.3.6.1.4.1.99999.1: generic".
  std::string reason;
};

/// The profiles of one or more files, in precedence order. Immutable once loaded: classify()
/// and the accessors are thread-safe.
class ProfileSet {
 public:
  /// The name of the profile an unclassified device gets.
  static constexpr const char* kGenericName = "generic";

  /// No profiles; the built-in generic profile (modules system and if_mib).
  ProfileSet();

  /// Reads `files` in order: the shipped file first, then site files. A profile whose name an
  /// earlier file defined replaces that one in place; a later `generic:` replaces an earlier
  /// one. Throws ProfileConfigException listing every problem of every file (unreadable file,
  /// YAML syntax, unknown or repeated key, missing name or modules, bad OID, bad regex, a name
  /// defined twice in one file). Thread-safe.
  static ProfileSet load(const std::vector<std::string>& files);

  /// The same for documents held in memory: each (name used in messages, YAML text).
  static ProfileSet parse(const std::vector<std::pair<std::string, std::string>>& documents);

  /// The profile of a device. When several profiles match, the one defined last wins (a site
  /// file overrides the shipped one; within a file, specific rules follow general ones). A
  /// sysObjectID that is not a numeric OID (leading dot tolerated) matches nothing. Thread-safe.
  Classification classify(std::string_view sysObjectId, std::string_view sysDescr) const;

  /// The profiles in precedence order (the last one wins).
  const std::vector<Profile>& profiles() const { return profiles_; }
  const Profile& generic() const { return generic_; }
  /// The files read, in order.
  const std::vector<std::string>& files() const { return files_; }

  /// One warning per module that a profile (or the generic profile) names and `known` lacks:
  /// "file:line: profile NAME: module 'M' is not loaded". Empty when every name is known.
  std::vector<std::string> unknownModules(const std::set<std::string>& known) const;

 private:
  std::vector<Profile> profiles_;
  /// The compiled sys_descr of each profile (null when it has none), parallel to profiles_.
  std::vector<std::shared_ptr<const re2::RE2>> patterns_;
  Profile generic_;
  std::vector<std::string> files_;
};

/// Whether `oid` (dotted, a leading dot tolerated) is `prefix` or lies under it, arc by arc:
/// 1.3.6.1.4.1.9 is a prefix of 1.3.6.1.4.1.9.1 but not of 1.3.6.1.4.1.90. False when either
/// is not a numeric OID.
bool oidHasPrefix(std::string_view oid, std::string_view prefix);

}  // namespace inventoryfs
