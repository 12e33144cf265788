#include "discovery/DiscoveryRequest.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "inventoryfs/InventoryJson.h"
#include "snmp/NetSnmpClient.h"

namespace promsnmp {

POCO_IMPLEMENT_EXCEPTION(DiscoveryTooLargeException, Poco::InvalidArgumentException,
                         "Discovery request too large")

namespace {

[[noreturn]] void refuse(const std::string& message) {
  throw Poco::InvalidArgumentException(message);
}

std::string upperTrimmed(std::string text) {
  text.erase(0, text.find_first_not_of(" \t"));
  text.erase(text.find_last_not_of(" \t") + 1);
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

/// A string field: absent or null → nullopt; any other non-string → 400.
std::optional<std::string> stringField(const Poco::JSON::Object& object, const std::string& key) {
  if (!object.has(key) || object.isNull(key)) {
    return std::nullopt;
  }
  Poco::Dynamic::Var value = object.get(key);
  if (!value.isString()) {
    refuse(key + ": expected a string");
  }
  return value.extract<std::string>();
}

std::optional<int64_t> integerField(const Poco::JSON::Object& object, const std::string& key) {
  if (!object.has(key) || object.isNull(key)) {
    return std::nullopt;
  }
  Poco::Dynamic::Var value = object.get(key);
  if (!value.isInteger()) {
    refuse(key + ": expected an integer");
  }
  return value.convert<int64_t>();
}

/// Whether `key` carries a value: not absent, null, "" or [] (forms fill unused fields so).
bool given(const Poco::JSON::Object& object, const std::string& key) {
  if (!object.has(key) || object.isNull(key)) {
    return false;
  }
  Poco::Dynamic::Var value = object.get(key);
  if (value.isString()) {
    return !value.extract<std::string>().empty();
  }
  if (object.isArray(key)) {
    return object.getArray(key)->size() > 0;
  }
  return true;
}

}  // namespace

std::vector<inventoryfs::DiscoverySeed> parseDiscoveryRequest(std::string_view body,
                                                              size_t maxAddresses,
                                                              const NameResolver& resolve) {
  Poco::JSON::Object::Ptr object;
  try {
    Poco::Dynamic::Var parsed = Poco::JSON::Parser().parse(std::string(body));
    object = parsed.extract<Poco::JSON::Object::Ptr>();
  } catch (const Poco::Exception& e) {
    refuse("the body is not a JSON object: " + e.message());
  } catch (const std::exception&) {
    refuse("the body is not a JSON object");
  }
  if (!object) {
    refuse("the body is not a JSON object");
  }

  // A typo would otherwise scan nothing, or with the wrong credentials: every key must be one
  // of the seed's (Jackson ignored unknown ones; README, "Differences from Java").
  for (const std::string& key : object->getNames()) {
    if (std::find(std::begin(inventoryfs::kSeedKeys), std::end(inventoryfs::kSeedKeys), key) ==
        std::end(inventoryfs::kSeedKeys)) {
      refuse(inventoryfs::unknownKeyMessage(key, inventoryfs::kSeedKeys));
    }
  }

  inventoryfs::DiscoverySeed seed;
  if (object->has("potentialTargets") && !object->isNull("potentialTargets")) {
    Poco::JSON::Array::Ptr targets = object->getArray("potentialTargets");
    if (!targets) {
      refuse("potentialTargets: expected an array of strings");
    }
    for (size_t i = 0; i < targets->size(); ++i) {
      Poco::Dynamic::Var entry = targets->get(static_cast<unsigned>(i));
      if (!entry.isString()) {
        refuse("potentialTargets[" + std::to_string(i) + "]: expected a string");
      }
      seed.potentialTargets.push_back(entry.extract<std::string>());
    }
  }
  if (seed.potentialTargets.empty()) {
    refuse("potentialTargets: must not be empty");
  }
  std::string agentType = stringField(*object, "agentType").value_or("");
  if (agentType.find_first_not_of(" \t") == std::string::npos) {
    refuse("agentType: must not be blank");
  }
  std::optional<std::string> version = stringField(*object, "version");
  if (version) {
    std::string v = *version;
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v != "v2c" && v != "v3" && v != "v1") {
      refuse("version: must match \"v2c|v3\"");
    }
    version = v;
  }
  int64_t port = integerField(*object, "port").value_or(0);
  if (port < 1 || port > 65535) {
    refuse("port: must be between 1 and 65535");
  }
  seed.port = static_cast<int>(port);
  seed.agentType = agentType;

  std::vector<std::string> communities;
  if (agentType == "snmp-community") {
    for (const char* key : {"securityName", "authPassphrase", "privPassphrase"}) {
      if (given(*object, key)) {
        refuse(std::string(key) +
               ": contradicts agentType \"snmp-community\" (SNMPv3 settings are for agentType "
               "\"snmp-user\")");
      }
    }
    if (object->has("readCommunity") && object->isArray("readCommunity")) {
      Poco::JSON::Array::Ptr list = object->getArray("readCommunity");
      for (size_t i = 0; i < list->size(); ++i) {
        Poco::Dynamic::Var entry = list->get(static_cast<unsigned>(i));
        if (!entry.isString() || entry.extract<std::string>().empty()) {
          refuse("readCommunity[" + std::to_string(i) + "]: expected a non-empty string");
        }
        communities.push_back(entry.extract<std::string>());
      }
    } else if (auto community = stringField(*object, "readCommunity")) {
      if (!community->empty()) {
        communities.push_back(*community);
      }
    }
    if (communities.empty()) {
      refuse("readCommunity is required for snmp-community");
    }
    if (version == "v3") {
      // Java stored such agents as version 3 and then polled them with a community: refuse.
      refuse(
          "version: \"v3\" contradicts agentType \"snmp-community\" (a community agent "
          "speaks v1 or v2c; SNMPv3 is agentType \"snmp-user\")");
    }
    seed.version = version.value_or("v2c");
  } else if (agentType == "snmp-user") {
    if (version && *version != "v3") {
      refuse("version: \"" + *version +
             "\" contradicts agentType \"snmp-user\" (an SNMPv3 user agent speaks v3)");
    }
    if (given(*object, "readCommunity")) {
      refuse(
          "readCommunity: contradicts agentType \"snmp-user\" (a community is for "
          "agentType \"snmp-community\")");
    }
    seed.securityName = stringField(*object, "securityName");
    seed.authProtocol = stringField(*object, "authProtocol");
    seed.authPassphrase = stringField(*object, "authPassphrase");
    seed.privProtocol = stringField(*object, "privProtocol");
    seed.privPassphrase = stringField(*object, "privPassphrase");
    seed.securityLevel = static_cast<int>(integerField(*object, "securityLevel").value_or(0));
    if (seed.securityLevel < 0 || seed.securityLevel > 3) {
      refuse("securityLevel: must be 1 (noAuthNoPriv), 2 (authNoPriv) or 3 (authPriv)");
    }
    if (!seed.securityName || seed.securityName->empty() || !seed.authProtocol ||
        !seed.authPassphrase || seed.authPassphrase->empty()) {
      refuse("Incomplete SNMPv3 configuration");
    }
    seed.authProtocol = upperTrimmed(*seed.authProtocol);
    if (!NetSnmpClient::supportsAuthProtocol(*seed.authProtocol)) {
      refuse("Unsupported authentication protocol: " + *seed.authProtocol);
    }
    if (seed.privProtocol) {
      seed.privProtocol = upperTrimmed(*seed.privProtocol);
      if (!NetSnmpClient::supportsPrivProtocol(*seed.privProtocol)) {
        refuse("Unsupported privacy protocol: " + *seed.privProtocol);
      }
      if (!seed.privPassphrase || seed.privPassphrase->empty()) {
        refuse("Incomplete SNMPv3 configuration");
      }
    } else if (seed.securityLevel != 2) {
      refuse("Unsupported privacy protocol: null");  // Java refuses a missing one (authPriv)
    }
    if (seed.securityLevel == 0) {
      seed.securityLevel = seed.privProtocol ? 3 : 2;
    }
    seed.version = "v3";
  } else {
    refuse("Unsupported agent type: " + agentType);
  }

  TargetExpansion expansion;
  try {
    expansion = expandTargets(seed.potentialTargets, maxAddresses, resolve);
  } catch (const Poco::RangeException& e) {
    throw DiscoveryTooLargeException(e.message());
  } catch (const Poco::Exception& e) {
    refuse(e.message());
  }
  if (expansion.addresses.empty()) {
    refuse("No valid targets provided.");
  }

  std::vector<inventoryfs::DiscoverySeed> seeds;
  if (communities.empty()) {
    seeds.push_back(seed);
  }
  for (const std::string& community : communities) {
    seeds.push_back(seed);
    seeds.back().readCommunity = community;
  }
  return seeds;
}

}  // namespace promsnmp
