#pragma once

#include <cstdint>
#include <string_view>

namespace fleetsim {

/// The parameters of snmpsim's `numeric` variation module (`67:numeric|rate=100,initial=5`).
/// snmpsim keeps per-record state for `cumulative`; a fleet of 20,000 devices cannot, so the
/// value here is a pure function of elapsed time: initial + f(t * rate) * scale + offset
/// (offset * t * rate when cumulative), clamped to [min, max] or wrapped. For the plain
/// `rate`/`initial` counters every snmpsim recording uses, that is the same value.
struct NumericVariation {
  enum class Function : uint8_t { Identity, Sin, Cos, Tan, Log, Exp, Sqrt, Pow };
  double initial = 0;
  double rate = 1;
  double scale = 1;
  double offset = 0;
  double min = 0;
  double max = 0;   // set from the tag when absent
  double arg2 = 2;  // second argument of pow
  bool cumulative = false;
  bool wrap = false;
  bool hasInitial = false;
  Function function = Function::Identity;

  /// Parses `key=value,key=value`. Unknown keys (deviation, atime) are ignored: deviation adds
  /// random noise that would make counters go backwards. Throws Poco::DataFormatException.
  static NumericVariation parse(std::string_view options, unsigned tag);

  /// The value `seconds` after start. Thread-safe.
  double evaluate(double seconds) const;
};

/// Returns the value of option `key` in `key=value,key=value`, or an empty view.
std::string_view findOption(std::string_view options, std::string_view key);

}  // namespace fleetsim
