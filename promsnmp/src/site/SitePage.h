#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "collection/Collector.h"
#include "site/PeerClient.h"
#include "site/SiteReport.h"

namespace promsnmp {

/// One device of the inventory, as the page lists it (state comes from the replicas' reports).
struct SiteDevice {
  std::string name;
  std::string address;  // "ip:port"
  std::string profile;  // "" when discovery did not classify it
  std::string reason;   // why that profile
  std::string modules;  // ", "-joined; "" when it has none
};

/// One kept inventory version, from its header.
struct InventoryVersion {
  uint64_t version = 0;
  uint64_t epoch = 0;
  std::string writerId;  // hex
  bool admin = false;    // an operator's CLI write
  int64_t createdAtMs = 0;
};

/// Everything the site page shows. Filled by the HTTP handler; rendered by renderSitePage.
struct SitePageInput {
  ReplicaReport local;              // this replica, as it would answer a peer
  std::vector<PeerAnswer> answers;  // every configured replica's answer (this one's too)
  std::map<std::string, std::string> knownNames;  // base URL → name it last answered with
  std::vector<SiteDevice> devices;                // the inventory's devices
  std::vector<InventoryVersion> history;          // oldest first
  std::vector<ModuleSetState> localModuleSets;    // module sets polled by this replica
  std::vector<std::string> problems;              // site.peers entries that could not be used
  std::string shareProblemWords;  // the share's problem in words; "" when it reads fine
  std::string viewer;             // the signed-in user; "" without access control
  bool admin = true;              // the viewer may use the admin endpoints
  int refreshSeconds = 5;
  int64_t nowMs = 0;   // wall clock of the rendering
  std::string filter;  // only devices whose name, address or profile contains it
  size_t maxDevices = 1000;
};

/// The site page: every replica (its answer, or why there is none), which leads (a link to it),
/// every device with the replica that polls it and its state there, the discovery runs of
/// every replica and the inventory history. Refreshes itself (JavaScript swaps <main> every
/// refreshSeconds; without JavaScript a <noscript> meta refresh reloads the page). Every value
/// is HTML-escaped. The DOM keeps stable hooks for tests and scripts: `tr.replica[data-replica]
/// [data-state=up|down][data-leader]`, `tr.device[data-device][data-state=up|down|unpolled]
/// [data-poller]`, `#discovery`, `#history`, `[data-admin]` (only for an admin viewer).
/// Thread-safe (pure).
std::string renderSitePage(const SitePageInput& input);

/// A poll's duration for a person: "146 ms" under a second, "2.4 s" above. Thread-safe.
std::string pollDuration(double seconds);

}  // namespace promsnmp
