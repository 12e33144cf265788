#include "IdentityGuard.h"

#include <utility>

namespace elector {

IdentityGuard::IdentityGuard(LeaseStore& store, const Clock& clock, std::string key,
                             std::string token, std::chrono::milliseconds ttl)
    : store_(store),
      clock_(clock),
      key_(std::move(key)),
      token_(std::move(token)),
      ttl_(ttl),
      interval_(ttl / 3) {}

IdentityGuard::State IdentityGuard::step() {
  const Clock::TimePoint now = clock_.steadyNow();
  if (state_ == State::Collision || now < nextAction_) {
    return state_;
  }
  if (state_ == State::Held) {
    renew(now);
  } else {
    claim(now);
  }
  return state_;
}

void IdentityGuard::release() {
  if (state_ != State::Held) {
    return;
  }
  try {
    store_.release(key_, token_);
  } catch (const std::exception&) {
    // The lease expires by itself within one TTL.
  }
  state_ = State::Claiming;
}

void IdentityGuard::claim(Clock::TimePoint now) {
  LeaseResult result;
  try {
    result = store_.tryAcquire(key_, token_, ttl_);
  } catch (const std::exception& error) {
    result.error = error.what();
  }
  noteAnswer(result, now);
  nextAction_ = now + interval_;
  if (result.outcome == LeaseResult::Ok ||
      (result.outcome == LeaseResult::NotHeld && result.holder == token_)) {
    // The second form: an earlier claim whose answer was lost did run.
    state_ = State::Held;
    refused_ = false;
    return;
  }
  if (result.outcome != LeaseResult::NotHeld) {
    return;  // Unknown: the store did not answer; try again, the clock of refusals keeps running
  }
  otherHolder_ = result.holder.value_or("");
  if (!refused_) {
    refused_ = true;
    refusedSince_ = now;
  }
  // A killed predecessor's lease expires within one TTL; one held past that is renewed by a
  // live elector with our id.
  if (now - refusedSince_ >= ttl_ + interval_) {
    state_ = State::Collision;
  }
}

void IdentityGuard::renew(Clock::TimePoint now) {
  LeaseResult result;
  try {
    result = store_.renew(key_, token_, ttl_);
  } catch (const std::exception& error) {
    result.error = error.what();
  }
  noteAnswer(result, now);
  if (result.outcome == LeaseResult::NotHeld) {
    // Expired (a pause, Redis restarted empty) or taken: claim it again, now.
    state_ = State::Claiming;
    nextAction_ = now;
    return;
  }
  nextAction_ = now + interval_;  // Ok, or Unknown: keep it and retry at the next renew
}

void IdentityGuard::noteAnswer(const LeaseResult& result, Clock::TimePoint now) {
  if (result.outcome != LeaseResult::Unknown) {
    failingSince_.reset();
    return;
  }
  if (!failingSince_) {
    failingSince_ = now;
  }
  lastError_ =
      "presence lease: " + (result.error.empty() ? std::string("no answer") : result.error);
}

}  // namespace elector
