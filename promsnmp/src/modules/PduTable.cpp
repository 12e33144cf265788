#include "modules/PduTable.h"

#include <algorithm>

namespace promsnmp {

PduTable::PduTable(std::vector<VarBind> varbinds) : varbinds_(std::move(varbinds)) {
  std::erase_if(varbinds_, [](const VarBind& v) { return v.value.isException(); });
  std::stable_sort(varbinds_.begin(), varbinds_.end(),
                   [](const VarBind& a, const VarBind& b) { return a.oid < b.oid; });
  auto last = std::unique(varbinds_.begin(), varbinds_.end(),
                          [](const VarBind& a, const VarBind& b) { return a.oid == b.oid; });
  varbinds_.erase(last, varbinds_.end());
}

const VarBind* PduTable::find(const Oid& oid) const {
  auto it = std::lower_bound(varbinds_.begin(), varbinds_.end(), oid,
                             [](const VarBind& v, const Oid& o) { return v.oid < o; });
  return it != varbinds_.end() && it->oid == oid ? &*it : nullptr;
}

std::span<const VarBind> PduTable::subtree(const Oid& prefix) const {
  auto first = std::lower_bound(varbinds_.begin(), varbinds_.end(), prefix,
                                [](const VarBind& v, const Oid& o) { return v.oid < o; });
  auto last = first;
  while (last != varbinds_.end() && last->oid.startsWith(prefix)) {
    ++last;
  }
  return {first, last};
}

}  // namespace promsnmp
