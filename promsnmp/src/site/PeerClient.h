#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "site/SiteReport.h"

namespace promsnmp {

/// One replica's answer to GET /promsnmp/site/replica, or why there is none.
struct PeerAnswer {
  std::string url;  // the base URL asked
  std::optional<ReplicaReport> report;
  std::string error;   // "" when report is set
  int status = 0;      // the HTTP status, 0 when nothing answered
  double seconds = 0;  // how long the answer took
};

/// The replicas' base URLs from site.peers: `http(s)://host:port` entries as they are (a
/// trailing slash dropped), `REPLICA=http(s)://host:port` the same, naming the replica there
/// (in `names`, by URL: the page shows that name while the replica does not answer),
/// `dns:NAME:PORT` entries as `http://ADDRESS:PORT` for every address NAME resolves to now (a
/// Kubernetes headless Service). Duplicates are dropped; an entry that cannot be used is named
/// in `problems` and left out. Blocks on DNS. Thread-safe.
std::vector<std::string> expandPeers(const std::vector<std::string>& peers,
                                     std::vector<std::string>& problems,
                                     std::map<std::string, std::string>& names);

/// Asks every URL at once for its report, each within `timeout`, forwarding the viewer's
/// `authorization` header (so each replica applies the viewer's own scope). Answers are in the
/// order of `urls`. Never throws for a peer's failure: it is the answer's error. Thread-safe.
std::vector<PeerAnswer> askPeers(const std::vector<std::string>& urls,
                                 const std::string& authorization,
                                 std::chrono::milliseconds timeout);

}  // namespace promsnmp
