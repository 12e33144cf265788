#pragma once

#include <cstddef>

#include "BerCodec.h"
#include "DeviceContext.h"
#include "Shape.h"

namespace fleetsim {

struct ResponderLimits {
  size_t maxVarbinds = 64;  // per GETBULK response, like snmpsimd's --max-varbinds
  size_t maxSize = 65507;   // bytes per response message (UDP maximum)
};

/// Answers one GET, GETNEXT, GETBULK or SET request from `shape` for `device` into `writer`
/// (finished, ready to send), with RFC 3416 semantics for v2c (noSuchObject, noSuchInstance,
/// endOfMibView; GETBULK truncated to the varbind and size limits; tooBig with no varbinds)
/// and RFC 2576 ones for v1 (noSuchName, Counter64 skipped by GETNEXT and refused by GET).
/// The simulator is read-only: SET gets notWritable (noSuchName in v1). Returns the number
/// of varbinds in the response. Thread-safe for distinct writers.
size_t respond(const Request& request, const Shape& shape, const DeviceContext& device,
               const ResponderLimits& limits, ResponseWriter& writer);

}  // namespace fleetsim
