#include "NumericVariation.h"

#include <charconv>
#include <cmath>
#include <string>

#include <Poco/Exception.h>

namespace fleetsim {
namespace {

double toDouble(std::string_view key, std::string_view text) {
  // std::from_chars for double is in libstdc++ 11+, which this tree requires anyway.
  // Lenient about trailing text: the recordings shipped with snmpsim contain typos such as
  // `rate=0.001cumulative=1`, and a walk should not stop there.
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc()) {
    throw Poco::DataFormatException("numeric: bad value for " + std::string(key),
                                    std::string(text));
  }
  return v;
}

template <typename Fn>
void forEachOption(std::string_view options, Fn fn) {
  while (!options.empty()) {
    size_t comma = options.find(',');
    std::string_view item = options.substr(0, comma);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      fn(item.substr(0, eq), item.substr(eq + 1));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    options.remove_prefix(comma + 1);
  }
}

}  // namespace

std::string_view findOption(std::string_view options, std::string_view key) {
  std::string_view found;
  forEachOption(options, [&](std::string_view k, std::string_view v) {
    if (k == key) {
      found = v;
    }
  });
  return found;
}

NumericVariation NumericVariation::parse(std::string_view options, unsigned tag) {
  NumericVariation n;
  n.max = tag == 70 ? 18446744073709551615.0 : 4294967295.0;
  forEachOption(options, [&](std::string_view k, std::string_view v) {
    if (k == "initial") {
      n.initial = toDouble(k, v);
      n.hasInitial = true;
    } else if (k == "rate") {
      n.rate = toDouble(k, v);
    } else if (k == "scale") {
      n.scale = toDouble(k, v);
    } else if (k == "offset") {
      n.offset = toDouble(k, v);
    } else if (k == "min") {
      n.min = toDouble(k, v);
    } else if (k == "max") {
      n.max = toDouble(k, v);
    } else if (k == "cumulative") {
      n.cumulative = true;
    } else if (k == "wrap") {
      n.wrap = true;
    } else if (k == "function") {
      // snmpsim syntax: name[%arg%arg], `<time>` standing for t * rate.
      std::string_view name = v.substr(0, v.find('%'));
      if (name == "sin") {
        n.function = Function::Sin;
      } else if (name == "cos") {
        n.function = Function::Cos;
      } else if (name == "tan") {
        n.function = Function::Tan;
      } else if (name == "log") {
        n.function = Function::Log;
      } else if (name == "exp") {
        n.function = Function::Exp;
      } else if (name == "sqrt") {
        n.function = Function::Sqrt;
      } else if (name == "pow") {
        n.function = Function::Pow;
        size_t last = v.rfind('%');
        if (last != std::string_view::npos && v.substr(last + 1) != "<time>") {
          n.arg2 = toDouble(k, v.substr(last + 1));
        }
      }
    }
  });
  if (!n.hasInitial) {
    n.initial = n.min;
  }
  return n;
}

double NumericVariation::evaluate(double seconds) const {
  double x = seconds * rate;
  double v = x;
  switch (function) {
    case Function::Identity:
      break;
    case Function::Sin:
      v = std::sin(x);
      break;
    case Function::Cos:
      v = std::cos(x);
      break;
    case Function::Tan:
      v = std::tan(x);
      break;
    case Function::Log:
      v = x > 0 ? std::log(x) : 0;
      break;
    case Function::Exp:
      v = std::exp(std::min(x, 700.0));
      break;
    case Function::Sqrt:
      v = std::sqrt(x);
      break;
    case Function::Pow:
      v = std::pow(x, arg2);
      break;
  }
  v *= scale;
  v += cumulative ? offset * x : offset;
  if (cumulative) {
    v = std::max(v, 0.0);
  }
  v += initial;
  if (v < min) {
    v = min;
  } else if (v > max) {
    v = wrap ? std::fmod(v, max) + min : max;
  }
  return v;
}

}  // namespace fleetsim
