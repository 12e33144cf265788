#include "FakeLeaderSource.h"

namespace elector {

void FakeLeaderSource::answer(const std::string& body, std::chrono::milliseconds delay,
                              int status) {
  LeaderAnswer answer;
  answer.received = true;
  answer.status = status;
  answer.body = body;
  script_.push_back({answer, delay});
}

void FakeLeaderSource::fail(const std::string& error, bool timedOut,
                            std::chrono::milliseconds delay) {
  LeaderAnswer answer;
  answer.timedOut = timedOut;
  answer.error = error;
  script_.push_back({answer, delay});
}

LeaderAnswer FakeLeaderSource::fetch() {
  ++calls_;
  if (!script_.empty()) {
    last_ = script_.front();
    script_.pop_front();
  }
  clock_.advance(last_.delay);
  return last_.answer;
}

}  // namespace elector
