#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace promsnmp {

/// One device as the replica that reports it polls it (GET /promsnmp/site/replica).
struct DeviceReport {
  std::string name;
  bool up = false;
  std::string error;           // why the last poll failed; "" when up
  double ageSeconds = 0;       // since the last poll finished
  double durationSeconds = 0;  // of the last poll
  double dataAgeSeconds = -1;  // of the data served (the last good poll); -1: none
  int64_t interfaces = -1;     // -1: not an interface-set poll (a device with modules)
  uint64_t polls = 0;
  uint64_t failures = 0;
  std::string recent;  // the last polls, oldest first: '+' up, '-' down
};

/// One discovery run of the reporting replica's history.
struct RunReport {
  std::string id;
  std::string trigger;  // api | schedule | startup
  std::string state;    // queued | running | done | failed | cancelled
  int64_t startedAtMs = 0;
  int64_t finishedAtMs = 0;
  uint64_t seeds = 0;
  uint64_t found = 0;
  uint64_t added = 0;
  uint64_t changed = 0;
  uint64_t version = 0;  // inventory version it committed; 0: none
  std::string error;
};

/// What one replica says about itself to the site page of any replica: who it is, its role,
/// inventory and health, the devices it polls and its discovery runs. The JSON of
/// `GET /promsnmp/site/replica` (read scope). No credentials ever appear in it.
struct ReplicaReport {
  std::string replica;   // its name (site.replica_id)
  std::string writerId;  // hex of the inventory writer id of this process
  std::string role;      // the role in words (Leadership::describe)
  bool leading = false;  // may write the inventory now
  bool elected = false;  // holds the lease (may still be unable to write)
  std::string holder;    // the lease holder this replica's elector announced; "" if none
  std::string health;    // UP | OUT_OF_SERVICE | DOWN, as /actuator/health
  uint64_t version = 0;  // inventory version served
  uint64_t epoch = 0;
  uint64_t inventoryDevices = 0;
  std::string share;       // "" when the share reads fine, else its problem's name
  std::string shareError;  // the share's last error
  int64_t startedAtMs = 0;
  int64_t nowMs = 0;                  // the replica's clock when it answered
  std::vector<DeviceReport> devices;  // only the devices polled here
  std::vector<RunReport> runs;        // newest first
};

/// The report as JSON. Thread-safe (pure).
std::string toJson(const ReplicaReport& report);

/// Parses what toJson wrote (fields it does not know are ignored, missing ones keep their
/// defaults, so replicas of two versions read each other). Throws std::invalid_argument with
/// the reason for text that is not such a report. Thread-safe (pure).
ReplicaReport parseReplicaReport(const std::string& json);

}  // namespace promsnmp
