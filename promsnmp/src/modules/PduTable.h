#pragma once

#include <span>
#include <string>
#include <vector>

#include "snmp/SnmpClient.h"

namespace promsnmp {

/// The varbinds one module poll read (GETs and walks of every module of the poll together),
/// ascending by OID, each OID once; snmp_exporter's `oidToPdu` map and its walk results in one
/// sorted array. Exception values (noSuchObject, noSuchInstance, endOfMibView) are never stored.
/// Immutable once built; thread-safe for const access.
class PduTable {
 public:
  PduTable() = default;
  /// Sorts `varbinds` by OID, keeps the first of equal OIDs and drops exception values.
  explicit PduTable(std::vector<VarBind> varbinds);

  /// The varbind with exactly `oid`, or null.
  const VarBind* find(const Oid& oid) const;
  /// The varbinds whose OID starts with `prefix` (`prefix` itself included), ascending.
  std::span<const VarBind> subtree(const Oid& prefix) const;

  const std::vector<VarBind>& all() const { return varbinds_; }
  size_t size() const { return varbinds_.size(); }
  bool empty() const { return varbinds_.empty(); }

 private:
  std::vector<VarBind> varbinds_;
};

/// A PduTable in a compact byte form, for a poll kept between polls: a VarBind takes 232 bytes
/// (its OID and the value's OID inline), a packed one about 10 (each OID as the length of the
/// prefix it shares with the one before and the rest as varints; a value as its type and only
/// its non-zero fields). unpack() gives back the table exactly. Immutable; thread-safe for
/// const access.
class PackedPduTable {
 public:
  PackedPduTable() = default;
  explicit PackedPduTable(const PduTable& table);

  PduTable unpack() const;
  size_t size() const { return count_; }
  size_t bytes() const { return bytes_.size(); }

 private:
  std::string bytes_;
  size_t count_ = 0;
};

}  // namespace promsnmp
