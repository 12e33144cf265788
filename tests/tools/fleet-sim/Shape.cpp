#include "Shape.h"

#include <algorithm>

namespace fleetsim {

int compareOid(std::span<const uint32_t> a, std::span<const uint32_t> b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) {
      return a[i] < b[i] ? -1 : 1;
    }
  }
  if (a.size() == b.size()) {
    return 0;
  }
  return a.size() < b.size() ? -1 : 1;
}

size_t Shape::next(std::span<const uint32_t> target) const {
  // upper_bound over indices: first entry strictly greater than target.
  size_t lo = 0;
  size_t hi = entries_.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (compareOid(oid(mid), target) <= 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

size_t Shape::find(std::span<const uint32_t> target) const {
  size_t after = next(target);
  if (after == 0 || compareOid(oid(after - 1), target) != 0) {
    return kNone;
  }
  return after - 1;
}

bool Shape::hasEntryUnder(std::span<const uint32_t> prefix) const {
  size_t i = next(prefix);
  if (i < size() && oid(i).size() > prefix.size() &&
      std::equal(prefix.begin(), prefix.end(), oid(i).begin())) {
    return true;
  }
  return false;
}

}  // namespace fleetsim
