#include "modules/PduTable.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace promsnmp {

namespace {

void putVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

uint64_t getVarint(const std::string& in, size_t& at) {
  uint64_t v = 0;
  for (int shift = 0; at < in.size() && shift < 64; shift += 7) {
    auto byte = static_cast<uint8_t>(in[at++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      return v;
    }
  }
  throw std::logic_error("PackedPduTable: truncated varint");
}

void putIds(std::string& out, const Oid::Ids& ids, size_t from) {
  putVarint(out, ids.size() - from);
  for (size_t i = from; i < ids.size(); ++i) {
    putVarint(out, ids[i]);
  }
}

void getIds(const std::string& in, size_t& at, Oid::Ids& ids) {
  uint64_t n = getVarint(in, at);
  for (uint64_t i = 0; i < n; ++i) {
    ids.push_back(static_cast<uint32_t>(getVarint(in, at)));
  }
}

// Which SnmpValue fields follow the type byte.
constexpr uint8_t kHasInteger = 1;
constexpr uint8_t kHasUnsigned = 2;
constexpr uint8_t kHasBytes = 4;
constexpr uint8_t kHasOid = 8;

}  // namespace

namespace {

/// The positions of `v` in ascending OID order, equal OIDs in their input order. A poll's
/// varbinds come as ascending runs (each walked column, the label rows, the GETs): when the runs'
/// ranges do not overlap, ordering the runs by their first OIDs is the order; otherwise the runs
/// are merged pairwise (log2 of the runs passes, not log2 of the varbinds).
std::vector<uint32_t> sortedOrder(const std::vector<VarBind>& v) {
  auto less = [&](uint32_t a, uint32_t b) { return v[a].oid < v[b].oid; };
  std::vector<uint32_t> starts;  // where each run starts, then v.size()
  for (uint32_t i = 0; i < v.size(); ++i) {
    if (i == 0 || !less(i - 1, i)) {
      starts.push_back(i);
    }
  }
  starts.push_back(static_cast<uint32_t>(v.size()));
  std::vector<uint32_t> runs(starts.size() - 1);
  std::iota(runs.begin(), runs.end(), 0);
  std::stable_sort(runs.begin(), runs.end(),
                   [&](uint32_t a, uint32_t b) { return less(starts[a], starts[b]); });
  bool disjoint = true;
  for (size_t r = 1; r < runs.size() && disjoint; ++r) {
    disjoint = less(starts[runs[r - 1] + 1] - 1, starts[runs[r]]);
  }
  std::vector<uint32_t> order;
  order.reserve(v.size());
  if (disjoint) {
    for (uint32_t r : runs) {
      for (uint32_t i = starts[r]; i < starts[r + 1]; ++i) {
        order.push_back(i);
      }
    }
    return order;
  }
  order.resize(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<uint32_t> merged(v.size());
  while (starts.size() > 2) {
    std::vector<uint32_t> next;
    for (size_t r = 0; r + 1 < starts.size(); r += 2) {
      const uint32_t mid = starts[r + 1];
      const uint32_t end = r + 2 < starts.size() ? starts[r + 2] : mid;
      std::merge(order.begin() + starts[r], order.begin() + mid, order.begin() + mid,
                 order.begin() + end, merged.begin() + starts[r], less);
      next.push_back(starts[r]);
    }
    next.push_back(static_cast<uint32_t>(v.size()));
    order.swap(merged);
    starts = std::move(next);
  }
  return order;
}

}  // namespace

PduTable::PduTable(std::vector<VarBind> varbinds) : varbinds_(std::move(varbinds)) {
  std::erase_if(varbinds_, [](const VarBind& v) { return v.value.isException(); });
  auto less = [](const VarBind& a, const VarBind& b) { return a.oid < b.oid; };
  if (!std::is_sorted(varbinds_.begin(), varbinds_.end(), less)) {
    // Sorted through an index, then permuted in place: a VarBind is 232 bytes, moving each
    // about once beats moving them log n times, and no second array is allocated.
    std::vector<uint32_t> order = sortedOrder(varbinds_);
    // Position k takes the element at order[k]; follow each cycle once.
    for (size_t start = 0; start < order.size(); ++start) {
      if (order[start] == start) {
        continue;
      }
      VarBind held = std::move(varbinds_[start]);
      size_t k = start;
      while (order[k] != start) {
        size_t from = order[k];
        varbinds_[k] = std::move(varbinds_[from]);
        order[k] = static_cast<uint32_t>(k);
        k = from;
      }
      varbinds_[k] = std::move(held);
      order[k] = static_cast<uint32_t>(k);
    }
  }
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

PackedPduTable::PackedPduTable(const PduTable& table) : count_(table.size()) {
  // Room for the usual varbind (a few OID bytes, a counter) at once, rather than growing by
  // copies; shrink_to_fit below returns the rest.
  constexpr size_t kUsualBytes = 16;
  bytes_.reserve(count_ * kUsualBytes);
  const Oid::Ids* previous = nullptr;
  for (const VarBind& vb : table.all()) {
    const Oid::Ids& ids = vb.oid.ids();
    size_t common = 0;
    if (previous != nullptr) {
      size_t n = std::min(previous->size(), ids.size());
      while (common < n && (*previous)[common] == ids[common]) {
        ++common;
      }
    }
    putVarint(bytes_, common);
    putIds(bytes_, ids, common);
    previous = &ids;
    const SnmpValue& v = vb.value;
    uint8_t fields = (v.integer != 0 ? kHasInteger : 0) |
                     (v.unsignedValue != 0 ? kHasUnsigned : 0) |
                     (!v.bytes.empty() ? kHasBytes : 0) | (!v.oid.empty() ? kHasOid : 0);
    bytes_.push_back(static_cast<char>(v.type));
    bytes_.push_back(static_cast<char>(fields));
    if ((fields & kHasInteger) != 0) {
      auto u = static_cast<uint64_t>(v.integer);
      putVarint(bytes_, (u << 1) ^ (v.integer < 0 ? ~uint64_t{0} : 0));  // zigzag
    }
    if ((fields & kHasUnsigned) != 0) {
      putVarint(bytes_, v.unsignedValue);
    }
    if ((fields & kHasBytes) != 0) {
      putVarint(bytes_, v.bytes.size());
      bytes_.append(v.bytes);
    }
    if ((fields & kHasOid) != 0) {
      putIds(bytes_, v.oid.ids(), 0);
    }
  }
  bytes_.shrink_to_fit();
}

PduTable PackedPduTable::unpack() const {
  std::vector<VarBind> out;
  out.reserve(count_);
  size_t at = 0;
  Oid oid;
  for (size_t k = 0; k < count_; ++k) {
    auto common = static_cast<size_t>(getVarint(bytes_, at));
    Oid::Ids ids(oid.ids().begin(),
                 oid.ids().begin() + static_cast<std::ptrdiff_t>(std::min(common, oid.size())));
    getIds(bytes_, at, ids);
    oid = Oid(std::move(ids));
    if (at + 2 > bytes_.size()) {
      throw std::logic_error("PackedPduTable: truncated value");
    }
    SnmpValue value;
    value.type = static_cast<SnmpType>(bytes_[at++]);
    auto fields = static_cast<uint8_t>(bytes_[at++]);
    if ((fields & kHasInteger) != 0) {
      uint64_t z = getVarint(bytes_, at);
      value.integer = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
    }
    if ((fields & kHasUnsigned) != 0) {
      value.unsignedValue = getVarint(bytes_, at);
    }
    if ((fields & kHasBytes) != 0) {
      auto n = static_cast<size_t>(getVarint(bytes_, at));
      if (n > bytes_.size() - at) {
        throw std::logic_error("PackedPduTable: truncated octets");
      }
      value.bytes.assign(bytes_, at, n);
      at += n;
    }
    if ((fields & kHasOid) != 0) {
      Oid::Ids valueIds;
      getIds(bytes_, at, valueIds);
      value.oid = Oid(std::move(valueIds));
    }
    out.push_back({oid, std::move(value)});
  }
  return PduTable(std::move(out));
}

}  // namespace promsnmp
