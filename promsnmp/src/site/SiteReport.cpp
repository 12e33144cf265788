#include "site/SiteReport.h"

#include <sstream>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

namespace promsnmp {
namespace {

template <typename T>
T valueOr(const Poco::JSON::Object::Ptr& object, const std::string& key, T fallback) {
  if (!object->has(key) || object->isNull(key)) {
    return fallback;
  }
  return object->getValue<T>(key);
}

Poco::JSON::Object::Ptr deviceJson(const DeviceReport& d) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("name", d.name);
  o->set("up", d.up);
  o->set("error", d.error);
  o->set("ageSeconds", d.ageSeconds);
  o->set("durationSeconds", d.durationSeconds);
  o->set("dataAgeSeconds", d.dataAgeSeconds);
  o->set("interfaces", d.interfaces);
  o->set("polls", d.polls);
  o->set("failures", d.failures);
  o->set("recent", d.recent);
  return o;
}

Poco::JSON::Object::Ptr runJson(const RunReport& r) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", r.id);
  o->set("trigger", r.trigger);
  o->set("state", r.state);
  o->set("startedAtMs", r.startedAtMs);
  o->set("finishedAtMs", r.finishedAtMs);
  o->set("seeds", r.seeds);
  o->set("found", r.found);
  o->set("added", r.added);
  o->set("changed", r.changed);
  o->set("version", r.version);
  o->set("error", r.error);
  return o;
}

DeviceReport parseDevice(const Poco::JSON::Object::Ptr& o) {
  DeviceReport d;
  d.name = valueOr<std::string>(o, "name", "");
  d.up = valueOr<bool>(o, "up", false);
  d.error = valueOr<std::string>(o, "error", "");
  d.ageSeconds = valueOr<double>(o, "ageSeconds", 0);
  d.durationSeconds = valueOr<double>(o, "durationSeconds", 0);
  d.dataAgeSeconds = valueOr<double>(o, "dataAgeSeconds", -1);
  d.interfaces = valueOr<int64_t>(o, "interfaces", -1);
  d.polls = valueOr<uint64_t>(o, "polls", 0);
  d.failures = valueOr<uint64_t>(o, "failures", 0);
  d.recent = valueOr<std::string>(o, "recent", "");
  return d;
}

RunReport parseRun(const Poco::JSON::Object::Ptr& o) {
  RunReport r;
  r.id = valueOr<std::string>(o, "id", "");
  r.trigger = valueOr<std::string>(o, "trigger", "");
  r.state = valueOr<std::string>(o, "state", "");
  r.startedAtMs = valueOr<int64_t>(o, "startedAtMs", 0);
  r.finishedAtMs = valueOr<int64_t>(o, "finishedAtMs", 0);
  r.seeds = valueOr<uint64_t>(o, "seeds", 0);
  r.found = valueOr<uint64_t>(o, "found", 0);
  r.added = valueOr<uint64_t>(o, "added", 0);
  r.changed = valueOr<uint64_t>(o, "changed", 0);
  r.version = valueOr<uint64_t>(o, "version", 0);
  r.error = valueOr<std::string>(o, "error", "");
  return r;
}

}  // namespace

std::string toJson(const ReplicaReport& report) {
  Poco::JSON::Object o;
  o.set("replica", report.replica);
  o.set("writerId", report.writerId);
  o.set("role", report.role);
  o.set("leading", report.leading);
  o.set("elected", report.elected);
  o.set("holder", report.holder);
  o.set("health", report.health);
  o.set("version", report.version);
  o.set("epoch", report.epoch);
  o.set("inventoryDevices", report.inventoryDevices);
  o.set("share", report.share);
  o.set("shareError", report.shareError);
  o.set("startedAtMs", report.startedAtMs);
  o.set("nowMs", report.nowMs);
  Poco::JSON::Array devices;
  for (const DeviceReport& d : report.devices) {
    devices.add(deviceJson(d));
  }
  o.set("devices", devices);
  Poco::JSON::Array runs;
  for (const RunReport& r : report.runs) {
    runs.add(runJson(r));
  }
  o.set("runs", runs);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

ReplicaReport parseReplicaReport(const std::string& json) {
  try {
    Poco::JSON::Parser parser;
    Poco::Dynamic::Var parsed = parser.parse(json);
    Poco::JSON::Object::Ptr o = parsed.extract<Poco::JSON::Object::Ptr>();
    if (o.isNull() || !o->has("replica")) {
      throw std::invalid_argument("not a replica report (no \"replica\")");
    }
    ReplicaReport r;
    r.replica = valueOr<std::string>(o, "replica", "");
    r.writerId = valueOr<std::string>(o, "writerId", "");
    r.role = valueOr<std::string>(o, "role", "");
    r.leading = valueOr<bool>(o, "leading", false);
    r.elected = valueOr<bool>(o, "elected", false);
    r.holder = valueOr<std::string>(o, "holder", "");
    r.health = valueOr<std::string>(o, "health", "");
    r.version = valueOr<uint64_t>(o, "version", 0);
    r.epoch = valueOr<uint64_t>(o, "epoch", 0);
    r.inventoryDevices = valueOr<uint64_t>(o, "inventoryDevices", 0);
    r.share = valueOr<std::string>(o, "share", "");
    r.shareError = valueOr<std::string>(o, "shareError", "");
    r.startedAtMs = valueOr<int64_t>(o, "startedAtMs", 0);
    r.nowMs = valueOr<int64_t>(o, "nowMs", 0);
    if (auto devices = o->getArray("devices"); !devices.isNull()) {
      for (size_t i = 0; i < devices->size(); ++i) {
        if (auto d = devices->getObject(static_cast<unsigned>(i)); !d.isNull()) {
          r.devices.push_back(parseDevice(d));
        }
      }
    }
    if (auto runs = o->getArray("runs"); !runs.isNull()) {
      for (size_t i = 0; i < runs->size(); ++i) {
        if (auto run = runs->getObject(static_cast<unsigned>(i)); !run.isNull()) {
          r.runs.push_back(parseRun(run));
        }
      }
    }
    return r;
  } catch (const Poco::Exception& e) {
    throw std::invalid_argument("not a replica report: " + e.displayText());
  }
}

}  // namespace promsnmp
