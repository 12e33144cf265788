#include "modules/Module.h"

#include <array>
#include <string_view>
#include <utility>

namespace promsnmp {

namespace {

constexpr std::array<std::pair<ValueType, std::string_view>, 21> kValueTypeNames = {{
    {ValueType::Gauge, "gauge"},
    {ValueType::Counter, "counter"},
    {ValueType::Integer, "Integer"},
    {ValueType::Integer32, "Integer32"},
    {ValueType::Float, "Float"},
    {ValueType::Double, "Double"},
    {ValueType::DateAndTime, "DateAndTime"},
    {ValueType::ParseDateAndTime, "ParseDateAndTime"},
    {ValueType::NtpTimeStamp, "NTPTimeStamp"},
    {ValueType::EnumAsInfo, "EnumAsInfo"},
    {ValueType::EnumAsStateSet, "EnumAsStateSet"},
    {ValueType::Bits, "Bits"},
    {ValueType::OctetString, "OctetString"},
    {ValueType::DisplayString, "DisplayString"},
    {ValueType::PhysAddress48, "PhysAddress48"},
    {ValueType::IpAddr, "IpAddr"},
    {ValueType::InetAddressIPv4, "InetAddressIPv4"},
    {ValueType::InetAddressIPv6, "InetAddressIPv6"},
    {ValueType::InetAddress, "InetAddress"},
    {ValueType::InetAddressMissingSize, "InetAddressMissingSize"},
    {ValueType::LldpPortId, "LldpPortId"},
}};

}  // namespace

const char* valueTypeName(ValueType type) {
  for (const auto& [t, name] : kValueTypeNames) {
    if (t == type) {
      return name.data();
    }
  }
  return "unknown";
}

std::optional<ValueType> parseValueType(const std::string& text) {
  for (const auto& [t, name] : kValueTypeNames) {
    if (name == text) {
      return t;
    }
  }
  return std::nullopt;
}

ModuleDerived& ModuleDerived::operator=(const ModuleDerived& other) {
  if (this != &other) {
    std::lock_guard lock(mutex_);
    value_.reset();
  }
  return *this;
}

std::shared_ptr<const void> ModuleDerived::get(
    const std::function<std::shared_ptr<const void>()>& make) const {
  std::lock_guard lock(mutex_);
  if (!value_) {
    value_ = make();
  }
  return value_;
}

std::optional<Oid> previousOid(const Oid& oid) {
  if (oid.empty() || oid[oid.size() - 1] == 0) {
    return std::nullopt;
  }
  Oid::Ids ids = oid.ids();
  --ids.back();
  return Oid(std::move(ids));
}

std::shared_ptr<const Module> ModuleSet::module(const std::string& name) const {
  auto it = modules.find(name);
  return it == modules.end() ? nullptr : it->second;
}

const ModuleAuth* ModuleSet::auth(const std::string& name) const {
  auto it = auths.find(name);
  return it == auths.end() ? nullptr : &it->second;
}

std::set<std::string> ModuleSet::moduleNames() const {
  std::set<std::string> names;
  for (const auto& [name, module] : modules) {
    names.insert(name);
  }
  return names;
}

}  // namespace promsnmp
