#pragma once

#include <cstddef>

#include "DeviceContext.h"
#include "Shape.h"
#include "Value.h"

namespace fleetsim {

/// sysUpTime of `device` when the simulator started: the recording's, plus a per-device boot
/// time of up to 90 days unless counters are static; below 2^32 minus a month of ticks.
uint64_t bootTicks(const Shape& shape, const DeviceContext& device);

/// Computes the value of entry `index` of `shape` for `device` at `device.seconds`. Strings
/// may point into the shape; `out` must not outlive it. Thread-safe.
void valueOf(const Shape& shape, size_t index, const DeviceContext& device, Value& out);

}  // namespace fleetsim
