#pragma once

#include <ostream>
#include <string>
#include <utility>

namespace common {

/// A configured value that must never be printed or logged: passwords, keys. It prints as
/// `<secret>` (or `<unset>` when empty) through operator<< and display(); the value itself is
/// only reachable through reveal(), so every place that uses it is explicit and greppable.
/// A plain value type; thread-safe as far as const access goes.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)), set_(true) {}

  /// True when a value was configured (possibly the empty string).
  bool isSet() const { return set_; }

  /// The value itself. Never pass the result to a logger or an HTTP response.
  const std::string& reveal() const { return value_; }

  /// `<secret>` when set, `<unset>` otherwise: what describe(), /config and logs show.
  std::string display() const { return set_ ? "<secret>" : "<unset>"; }

  friend std::ostream& operator<<(std::ostream& out, const Secret& secret) {
    return out << secret.display();
  }

 private:
  std::string value_;
  bool set_ = false;
};

}  // namespace common
