#include "discovery/Discovery.h"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>

#include <Poco/Exception.h>

#include "snmp/SnmpTarget.h"

namespace promsnmp {

namespace {

const Oid kSysDescr{1, 3, 6, 1, 2, 1, 1, 1, 0};
const Oid kSysObjectId{1, 3, 6, 1, 2, 1, 1, 2, 0};
const Oid kSysContact{1, 3, 6, 1, 2, 1, 1, 4, 0};
const Oid kSysName{1, 3, 6, 1, 2, 1, 1, 5, 0};
const Oid kSysLocation{1, 3, 6, 1, 2, 1, 1, 6, 0};
const Oid kSnmpEngineId{1, 3, 6, 1, 6, 3, 10, 2, 1, 1, 0};

/// Bounds the SNMP requests in flight: acquire() before send, release() in the callback.
class Throttle {
 public:
  explicit Throttle(size_t limit) : limit_(limit == 0 ? 1 : limit) {}
  void acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return inFlight_ < limit_; });
    ++inFlight_;
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    --inFlight_;
    changed_.notify_all();
  }
  void drain() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return inFlight_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  size_t inFlight_ = 0;
  size_t limit_;
};

std::string endpointKey(const std::string& address, int port) {
  return address + "|" + std::to_string(port);
}

bool isUserSeed(const inventoryfs::DiscoverySeed& seed) {
  return seed.agentType.value_or("") == "snmp-user";
}

inventoryfs::Agent agentFor(const inventoryfs::DiscoverySeed& seed, const std::string& address,
                            const DiscoveryOptions& options) {
  inventoryfs::Agent agent;
  agent.id = inventoryfs::newUuid();
  agent.endpoint.address = address;
  agent.endpoint.port = seed.port > 0 && seed.port < 65536 ? seed.port : 161;
  agent.timeoutMs = options.agentTimeoutMs;
  agent.retries = options.agentRetries;
  agent.discoveredAt = inventoryfs::nowInstant();
  if (isUserSeed(seed)) {
    agent.type = inventoryfs::AgentType::User;
    agent.version = 3;
    agent.securityName = seed.securityName;
    agent.authProtocol = seed.authProtocol;
    agent.authPassphrase = seed.authPassphrase;
    agent.privProtocol = seed.privProtocol;
    agent.privPassphrase = seed.privPassphrase;
    int implied = seed.privProtocol ? 3 : seed.authProtocol ? 2 : 1;
    agent.securityLevel =
        seed.securityLevel >= 1 && seed.securityLevel <= 3 ? seed.securityLevel : implied;
  } else {
    agent.type = inventoryfs::AgentType::Community;
    agent.version = seed.version.value_or("v2c") == "v1" ? 0 : 1;
    agent.readCommunity = seed.readCommunity.value_or("public");
  }
  return agent;
}

/// Engine ID bytes as the inventory writes them: lowercase hex with ':' separators.
std::string engineIdText(const std::string& bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) {
      out.push_back(':');
    }
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0x0F]);
  }
  return out;
}

/// An engine ID in any of the usual spellings (with or without ':', any case), for comparing.
std::string normalEngineId(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::isxdigit(static_cast<unsigned char>(c)) != 0) {
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  if (out.rfind("0x", 0) == 0) {
    out.erase(0, 2);
  }
  return out;
}

std::optional<std::string> textOf(const SnmpValue& value) {
  if (value.type != SnmpType::OctetString) {
    return std::nullopt;
  }
  return value.bytes;
}

/// Fills `found` from a response to the system-group GET.
void readSystemGroup(const std::vector<VarBind>& varbinds, FoundAgent& found) {
  for (const VarBind& vb : varbinds) {
    if (vb.value.isException()) {
      continue;
    }
    if (vb.oid == kSysName) {
      found.sysName = textOf(vb.value);
    } else if (vb.oid == kSysDescr) {
      found.sysDescr = textOf(vb.value);
    } else if (vb.oid == kSysContact) {
      found.sysContact = textOf(vb.value);
    } else if (vb.oid == kSysLocation) {
      found.sysLocation = textOf(vb.value);
    } else if (vb.oid == kSysObjectId && vb.value.type == SnmpType::ObjectId) {
      found.sysObjectId = vb.value.oid.str();
    } else if (vb.oid == kSnmpEngineId && vb.value.type == SnmpType::OctetString &&
               !vb.value.bytes.empty()) {
      found.engineId = engineIdText(vb.value.bytes);
    }
  }
  if (found.sysName && found.sysName->empty()) {
    found.sysName.reset();
  }
}

/// Reads the system group of each candidate through `snmp`, bounded by `throttle`. An SNMPv1
/// agent that lacks one of the objects answers noSuchName for the whole PDU: the request is
/// repeated without the offending object. Returns, per candidate, whether it answered.
std::vector<bool> readSystemGroups(std::vector<FoundAgent>& candidates, SnmpClient& snmp,
                                   const DiscoveryOptions& options, std::vector<std::string>& why,
                                   const std::atomic<bool>& stop) {
  std::vector<bool> answered(candidates.size(), false);
  why.assign(candidates.size(), "");
  Throttle throttle(options.snmpInFlight);
  std::mutex resultMutex;
  for (size_t i = 0; i < candidates.size() && !stop.load(); ++i) {
    SnmpTarget target = targetFromAgent(candidates[i].agent.endpoint.address, candidates[i].agent);
    target.timeoutMs = static_cast<int>(options.sweep.timeout.count());
    target.retries = options.sweep.retries;
    auto ask = std::make_shared<std::function<void(const std::vector<Oid>&)>>();
    *ask = [&, i, target, ask](const std::vector<Oid>& oids) {
      SnmpRequest request;
      request.type = SnmpRequest::Type::Get;
      request.oids = oids;
      snmp.send(target, request, [&, i, oids, ask](const SnmpResponse& response) {
        if (response.status == SnmpResponse::Status::ErrorStatus && response.errorIndex >= 1 &&
            static_cast<size_t>(response.errorIndex) <= oids.size() && oids.size() > 1) {
          std::vector<Oid> fewer = oids;
          fewer.erase(fewer.begin() + (response.errorIndex - 1));
          (*ask)(fewer);  // still holds the throttle slot
          return;
        }
        {
          std::lock_guard<std::mutex> lock(resultMutex);
          if (response.ok()) {
            answered[i] = true;
            readSystemGroup(response.varbinds, candidates[i]);
            if (candidates[i].engineId) {
              candidates[i].agent.engineId = candidates[i].engineId;
            }
          } else {
            why[i] = std::string(responseStatusName(response.status)) +
                     (response.message.empty() ? "" : ": " + response.message);
          }
        }
        *ask = nullptr;  // break the self-reference
        throttle.release();
      });
    };
    throttle.acquire();
    std::vector<Oid> oids = {kSysObjectId, kSysName, kSysDescr, kSysContact, kSysLocation};
    if (candidates[i].agent.type == inventoryfs::AgentType::User) {
      oids.push_back(kSnmpEngineId);
    }
    (*ask)(oids);
  }
  throttle.drain();
  return answered;
}

constexpr size_t kNoDevice = static_cast<size_t>(-1);

size_t deviceWithEndpoint(const inventoryfs::Inventory& inventory,
                          const inventoryfs::Endpoint& endpoint) {
  for (size_t i = 0; i < inventory.devices.size(); ++i) {
    for (const inventoryfs::Agent& agent : inventory.devices[i].agents) {
      if (agent.endpoint.address == endpoint.address && agent.endpoint.port == endpoint.port) {
        return i;
      }
    }
  }
  return kNoDevice;
}

size_t deviceWithEngine(const inventoryfs::Inventory& inventory, const std::string& engineId) {
  const std::string wanted = normalEngineId(engineId);
  for (size_t i = 0; i < inventory.devices.size(); ++i) {
    for (const inventoryfs::Agent& agent : inventory.devices[i].agents) {
      if (agent.type == inventoryfs::AgentType::User && agent.engineId &&
          normalEngineId(*agent.engineId) == wanted) {
        return i;
      }
    }
  }
  return kNoDevice;
}

/// The device mergeFound merges `f` into (same endpoint, else same SNMPv3 engine), or kNoDevice.
size_t deviceFor(const inventoryfs::Inventory& inventory, const FoundAgent& f) {
  size_t index = deviceWithEndpoint(inventory, f.agent.endpoint);
  if (index == kNoDevice && f.agent.type == inventoryfs::AgentType::User && f.engineId) {
    index = deviceWithEngine(inventory, *f.engineId);
  }
  return index;
}

/// Whether `device` is to be classified again for what `f` reported, `c` being how the
/// profiles in force classify it now: it never was, its sysObjectID changed (replaced hardware,
/// another OS), or `c` gives it another profile (a new or changed rule, its sysDescr read by
/// one). Not when the same profile matches again: its modules stay as they are, and no probe
/// runs.
bool needsClassification(const inventoryfs::Device& device, const FoundAgent& f,
                         const inventoryfs::Classification& c) {
  return !device.profile || device.sysObjectId.value_or("") != f.sysObjectId ||
         c.profile->name != device.profile->name;
}

/// Whether `response` to a GETNEXT of `root` holds an object under `root`.
bool answersUnder(const SnmpResponse& response, const Oid& root) {
  return response.ok() && !response.varbinds.empty() &&
         !response.varbinds.front().value.isException() &&
         response.varbinds.front().oid.startsWith(root);
}

}  // namespace

size_t classifyFound(std::vector<FoundAgent>& found, const inventoryfs::Inventory& inventory,
                     const inventoryfs::ProfileSet& profiles, const ModuleSet& modules,
                     SnmpClient& snmp, const DiscoveryOptions& options,
                     const std::atomic<bool>& stop, const inventoryfs::Instant& now) {
  struct Probe {
    size_t agent;
    std::string module;
    Oid root;
  };
  std::vector<Probe> probes;
  size_t classified = 0;
  for (size_t i = 0; i < found.size(); ++i) {
    FoundAgent& f = found[i];
    const size_t index = deviceFor(inventory, f);
    const inventoryfs::Classification c = profiles.classify(f.sysObjectId, f.sysDescr.value_or(""));
    if (index != kNoDevice && !needsClassification(inventory.devices[index], f, c)) {
      continue;
    }
    FoundProfile result;
    result.profile.name = c.profile->name;
    if (!c.profile->vendor.empty()) {
      result.profile.vendor = c.profile->vendor;
    }
    if (!c.profile->os.empty()) {
      result.profile.os = c.profile->os;
    }
    result.profile.reason = c.reason;
    result.profile.at = now;
    if (!modules.modules.empty()) {
      result.modules = c.profile->modules;
      for (const std::string& optional : c.profile->optionalModules) {
        const auto it = modules.modules.find(optional);
        if (it == modules.modules.end()) {
          result.notes.push_back("optional module '" + optional + "' is not loaded: skipped");
        } else if (it->second->walk.empty()) {
          result.notes.push_back("optional module '" + optional + "' walks nothing: skipped");
        } else {
          probes.push_back({i, optional, it->second->walk.front()});
        }
      }
    }
    f.classified = std::move(result);
    ++classified;
  }

  // One GETNEXT per optional module, answered in any order; the modules keep the profile's order.
  std::vector<bool> answered(probes.size(), false);
  Throttle throttle(options.snmpInFlight);
  std::mutex resultMutex;
  size_t sent = 0;
  for (; sent < probes.size() && !stop.load(); ++sent) {
    const size_t p = sent;
    const inventoryfs::Agent& agent = found[probes[p].agent].agent;
    SnmpTarget target = targetFromAgent(agent.endpoint.address, agent);
    target.timeoutMs = static_cast<int>(options.sweep.timeout.count());
    target.retries = options.sweep.retries;
    SnmpRequest request;
    request.type = SnmpRequest::Type::GetNext;
    request.oids = {probes[p].root};
    throttle.acquire();
    snmp.send(target, request, [&, p](const SnmpResponse& response) {
      {
        std::lock_guard<std::mutex> lock(resultMutex);
        answered[p] = answersUnder(response, probes[p].root);
      }
      throttle.release();
    });
  }
  throttle.drain();
  // Stopped before every probe was sent: an agent whose optional modules were not all probed is
  // left unclassified (recorded with only the modules probed so far, the same profile would
  // never be probed again); the next run classifies it.
  for (size_t p = sent; p < probes.size(); ++p) {
    std::optional<FoundProfile>& unprobed = found[probes[p].agent].classified;
    if (unprobed) {
      unprobed.reset();
      --classified;
    }
  }
  for (size_t p = 0; p < sent; ++p) {
    std::optional<FoundProfile>& result = found[probes[p].agent].classified;
    if (answered[p] && result) {
      result->modules->push_back(probes[p].module);
    }
  }
  return classified;
}

void ScanSummary::addProblem(std::string message) {
  if (problems.size() < kMaxProblems) {
    problems.push_back(std::move(message));
  }
}

ScanSummary scanSeeds(const std::vector<inventoryfs::DiscoverySeed>& seeds, SnmpClient& snmp,
                      Prober& prober, const DiscoveryOptions& options,
                      const std::atomic<bool>& stop, const NameResolver& resolve,
                      const ScanProgress& progress) {
  ScanSummary summary;
  size_t seedsDone = 0;
  std::unordered_set<std::string> done;  // address|port found (or probed) by an earlier seed
  for (const inventoryfs::DiscoverySeed& seed : seeds) {
    if (stop.load()) {
      break;
    }
    const std::string seedName = seed.id.value_or("(unsaved seed)");
    TargetExpansion expansion;
    try {
      expansion = expandTargets(seed.potentialTargets, options.maxAddresses, resolve);
    } catch (const Poco::Exception& e) {
      summary.addProblem("seed " + seedName + ": " + e.message());
      ++summary.errors;
      continue;
    }
    for (const std::string& problem : expansion.problems) {
      std::string message = "seed " + seedName;
      message += ": ";
      message += problem;
      summary.addProblem(std::move(message));
      ++summary.errors;
    }
    const int port = seed.port > 0 && seed.port < 65536 ? seed.port : 161;
    std::vector<FoundAgent> candidates;
    for (const std::string& address : expansion.addresses) {
      if (done.count(endpointKey(address, port)) != 0) {
        continue;
      }
      FoundAgent candidate;
      candidate.agent = agentFor(seed, address, options);
      candidates.push_back(std::move(candidate));
    }
    summary.addresses += candidates.size();

    if (!isUserSeed(seed)) {
      // Sweep first: only agents that answer the community get the system-group GET.
      std::vector<ProbeTarget> targets;
      targets.reserve(candidates.size());
      for (const FoundAgent& c : candidates) {
        targets.push_back({c.agent.endpoint.address, static_cast<uint16_t>(port), c.agent.version,
                           c.agent.readCommunity.value_or("")});
      }
      std::vector<ProbeOutcome> outcomes = prober.probe(targets, options.sweep, stop);
      std::vector<FoundAgent> answering;
      for (size_t i = 0; i < outcomes.size(); ++i) {
        switch (outcomes[i].result) {
          case ProbeResult::Answered:
            answering.push_back(std::move(candidates[i]));
            break;
          case ProbeResult::Timeout:
            ++summary.timeouts;
            break;
          case ProbeResult::Unreachable:
            ++summary.unreachable;
            break;
          case ProbeResult::Error:
            ++summary.errors;
            summary.addProblem(targets[i].address + ": " + outcomes[i].message);
            break;
        }
      }
      candidates = std::move(answering);
    }

    std::vector<std::string> why;
    std::vector<bool> answered = readSystemGroups(candidates, snmp, options, why, stop);
    for (size_t i = 0; i < candidates.size(); ++i) {
      const std::string& address = candidates[i].agent.endpoint.address;
      if (answered[i]) {
        ++summary.answered;
        done.insert(endpointKey(address, port));
        summary.found.push_back(std::move(candidates[i]));
      } else if (isUserSeed(seed) && why[i].rfind("timeout", 0) == 0) {
        ++summary.timeouts;
      } else {
        ++summary.errors;
        summary.addProblem(address + ": " + why[i]);
      }
    }
    if (progress) {
      progress(summary, ++seedsDone);
    }
  }
  return summary;
}

MergeCounts mergeFound(const std::vector<FoundAgent>& found, inventoryfs::Inventory& inventory,
                       const inventoryfs::Instant& now) {
  using inventoryfs::Device;
  MergeCounts counts;
  auto at = [&](size_t index) { return index == kNoDevice ? nullptr : &inventory.devices[index]; };
  // The sysObjectID and, when classified, the profile and modules; returns whether anything
  // changed. Lists the device's profile for the run report.
  auto classify = [&](Device& device, const FoundAgent& f) {
    bool changed = false;
    if (!f.sysObjectId.empty() && device.sysObjectId != f.sysObjectId) {
      device.sysObjectId = f.sysObjectId;
      changed = true;
    }
    const bool ownsModules = device.operatorOwns("modules");
    if (f.classified) {
      if (device.profile != f.classified->profile) {
        device.profile = f.classified->profile;
        changed = true;
      }
      if (f.classified->modules && !ownsModules && device.modules != f.classified->modules) {
        device.modules = f.classified->modules;
        changed = true;
      }
      ++counts.classified;
    }
    if (counts.profiles.size() < MergeCounts::kMaxListed) {
      DeviceClass row;
      row.deviceId = device.id.value_or("");
      row.sysName = device.sysName;
      row.endpoint = f.agent.endpoint.address + ":" + std::to_string(f.agent.endpoint.port);
      row.sysObjectId = device.sysObjectId;
      if (device.profile) {
        row.profile = device.profile->name;
        row.reason = device.profile->reason.value_or("");
      }
      row.classified = f.classified.has_value();
      row.modulesKept = ownsModules;
      row.modules = device.modules.value_or(std::vector<std::string>{});
      if (f.classified) {
        row.notes = f.classified->notes;
      }
      counts.profiles.push_back(std::move(row));
    }
    return changed;
  };
  auto nameTaken = [&](const std::string& sysName, const Device& except) {
    for (const Device& device : inventory.devices) {
      if (&device != &except && device.sysName && *device.sysName == sysName) {
        return true;
      }
    }
    return false;
  };
  // Brings a known device up to what its agent reported; returns whether anything changed.
  auto update = [&](Device& device, const FoundAgent& f) {
    struct Field {
      const char* name;
      std::optional<std::string> Device::*member;
      const std::optional<std::string>* reported;
      std::optional<std::string> inventoryfs::DiscoveredSystem::*recorded;
    };
    const Field fields[] = {
        {"sysName", &Device::sysName, &f.sysName, &inventoryfs::DiscoveredSystem::sysName},
        {"sysDescr", &Device::sysDescr, &f.sysDescr, &inventoryfs::DiscoveredSystem::sysDescr},
        {"sysContact", &Device::sysContact, &f.sysContact,
         &inventoryfs::DiscoveredSystem::sysContact},
        {"sysLocation", &Device::sysLocation, &f.sysLocation,
         &inventoryfs::DiscoveredSystem::sysLocation},
    };
    bool changed = false;
    inventoryfs::DiscoveredSystem reported;
    for (const Field& field : fields) {
      std::optional<std::string>& value = device.*field.member;
      const std::optional<std::string>& agentValue = *field.reported;
      if (device.operatorOwns(field.name)) {
        reported.*field.recorded = agentValue;
        if (agentValue && value != agentValue) {
          ++counts.keptFields;
          if (counts.kept.size() < MergeCounts::kMaxListed) {
            counts.kept.push_back({device.id.value_or(""), device.sysName.value_or(""), field.name,
                                   value, agentValue});
          }
        }
      } else if (agentValue && value != agentValue &&
                 (field.member != &Device::sysName || !nameTaken(*agentValue, device))) {
        value = agentValue;
        changed = true;
      }
    }
    const bool ownsSystemField =
        std::any_of(std::begin(fields), std::end(fields),
                    [&device](const Field& field) { return device.operatorOwns(field.name); });
    if (ownsSystemField) {
      // Recorded beside the operator's values (of system fields: owning only the modules
      // needs no record of the agent's system group); `at` moves only when the report changes, so a
      // run that learns nothing new commits nothing.
      inventoryfs::DiscoveredSystem before = device.discovered.value_or(reported);
      before.at.reset();
      if (!device.discovered || !(before == reported)) {
        reported.at = now;
        device.discovered = reported;
        changed = true;
      }
    }
    return changed;
  };

  for (const FoundAgent& f : found) {
    if (Device* device = at(deviceWithEndpoint(inventory, f.agent.endpoint))) {
      const bool updated = update(*device, f);
      const bool reclassified = classify(*device, f);
      ++(updated || reclassified ? counts.updatedDevices : counts.unchanged);
      continue;
    }
    if (f.agent.type == inventoryfs::AgentType::User && f.engineId) {
      if (Device* device = at(deviceWithEngine(inventory, *f.engineId))) {
        device->agents.push_back(f.agent);
        if (!device->primaryAgent) {
          device->primaryAgent = f.agent;
        }
        update(*device, f);
        classify(*device, f);
        ++counts.newAgents;
        continue;
      }
    }
    Device device;
    device.id = inventoryfs::newUuid();
    device.sysName = f.sysName;
    device.sysDescr = f.sysDescr;
    device.sysContact = f.sysContact;
    device.sysLocation = f.sysLocation;
    device.discoveredAt = now;
    device.agents.push_back(f.agent);
    device.primaryAgent = f.agent;
    classify(device, f);
    if (counts.created.size() < MergeCounts::kMaxListed) {
      counts.created.push_back(
          {*device.id, device.sysName,
           f.agent.endpoint.address + ":" + std::to_string(f.agent.endpoint.port)});
    }
    inventory.devices.push_back(std::move(device));
    ++counts.newDevices;
  }
  return counts;
}

bool addSeed(inventoryfs::DiscoverySeed seed, inventoryfs::Inventory& inventory) {
  seed.id.reset();
  for (const inventoryfs::DiscoverySeed& saved : inventory.discoverySeeds) {
    inventoryfs::DiscoverySeed withoutId = saved;
    withoutId.id.reset();
    if (withoutId == seed) {
      return false;
    }
  }
  seed.id = inventoryfs::newUuid();
  inventory.discoverySeeds.push_back(std::move(seed));
  return true;
}

}  // namespace promsnmp
