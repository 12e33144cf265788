#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <Poco/AutoPtr.h>
#include <Poco/Channel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Logger.h>

#include "common/Logging.h"

namespace common {

/// The lines a logger writes while this object lives, formatted as logfmt (what the daemon
/// prints), at information and above; the logger's channel and level are put back after.
/// Thread-safe.
class LogLines {
 public:
  explicit LogLines(const std::string& area)
      : logger_(Poco::Logger::get(area)),
        channel_(logger_.getChannel()),
        level_(logger_.getLevel()),
        capture_(new Capture) {
    Poco::AutoPtr<Poco::Formatter> formatter(new LogfmtFormatter);
    logger_.setChannel(new Poco::FormattingChannel(formatter, capture_));
    logger_.setLevel(Poco::Message::PRIO_INFORMATION);
  }
  ~LogLines() {
    logger_.setChannel(channel_);
    logger_.setLevel(level_);
  }
  LogLines(const LogLines&) = delete;
  LogLines& operator=(const LogLines&) = delete;

  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(capture_->mutex);
    return capture_->lines;
  }

  /// `line` from its level on: the timestamp changes with every run.
  static std::string withoutTime(const std::string& line) {
    return line.substr(line.find(" level=") + 1);
  }

  /// The lines that contain `part`.
  std::vector<std::string> matching(const std::string& part) const {
    std::vector<std::string> found;
    for (const std::string& line : lines()) {
      if (line.find(part) != std::string::npos) {
        found.push_back(line);
      }
    }
    return found;
  }

 private:
  struct Capture : public Poco::Channel {
    void log(const Poco::Message& msg) override {
      std::lock_guard<std::mutex> lock(mutex);
      lines.push_back(msg.getText());
    }
    mutable std::mutex mutex;
    std::vector<std::string> lines;
  };

  Poco::Logger& logger_;
  Poco::Channel::Ptr channel_;
  int level_;
  Poco::AutoPtr<Capture> capture_;
};

}  // namespace common
