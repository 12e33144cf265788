#pragma once

#include <string>
#include <utility>

namespace elector {

/// A configured value that must never be printed or logged (the Redis password). It shows as
/// `<secret>` (or `<unset>`); the value is reachable only through reveal(), so every use is
/// explicit. The collector has its own copy on purpose: the two daemons share no private code.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)), set_(true) {}

  bool isSet() const { return set_; }
  /// The value itself. Never pass the result to a logger or an HTTP response.
  const std::string& reveal() const { return value_; }
  std::string display() const { return set_ ? "<secret>" : "<unset>"; }

 private:
  std::string value_;
  bool set_ = false;
};

}  // namespace elector
