#include "discovery/Discovery.h"

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

}  // namespace

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
  auto deviceWithEndpoint = [&](const inventoryfs::Endpoint& endpoint) -> Device* {
    for (Device& device : inventory.devices) {
      for (const inventoryfs::Agent& agent : device.agents) {
        if (agent.endpoint.address == endpoint.address && agent.endpoint.port == endpoint.port) {
          return &device;
        }
      }
    }
    return nullptr;
  };
  auto deviceWithEngine = [&](const std::string& engineId) -> Device* {
    const std::string wanted = normalEngineId(engineId);
    for (Device& device : inventory.devices) {
      for (const inventoryfs::Agent& agent : device.agents) {
        if (agent.type == inventoryfs::AgentType::User && agent.engineId &&
            normalEngineId(*agent.engineId) == wanted) {
          return &device;
        }
      }
    }
    return nullptr;
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
    if (device.operatorSet && !device.operatorSet->empty()) {
      // Recorded beside the operator's values; `at` moves only when the report changes, so a
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
    if (Device* device = deviceWithEndpoint(f.agent.endpoint)) {
      ++(update(*device, f) ? counts.updatedDevices : counts.unchanged);
      continue;
    }
    if (f.agent.type == inventoryfs::AgentType::User && f.engineId) {
      if (Device* device = deviceWithEngine(*f.engineId)) {
        device->agents.push_back(f.agent);
        if (!device->primaryAgent) {
          device->primaryAgent = f.agent;
        }
        update(*device, f);
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
