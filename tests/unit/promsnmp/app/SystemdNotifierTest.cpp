// Tests of the sd_notify protocol on a real Unix datagram socket bound in a temp directory (and
// in the abstract namespace), standing in for systemd's $NOTIFY_SOCKET.
#include "app/SystemdNotifier.h"

#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

using Env = std::map<std::string, std::string>;

/// A bound datagram socket playing systemd: a path in a temp dir, or an abstract name.
class FakeSystemd {
 public:
  explicit FakeSystemd(bool abstract = false) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    CPPUNIT_ASSERT(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socklen_t length = 0;
    if (abstract) {
      name_ = "@promsnmp-test-" + std::to_string(::getpid()) + "-" + std::to_string(fd_);
      std::memcpy(address.sun_path + 1, name_.data() + 1, name_.size() - 1);
      length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name_.size());
    } else {
      std::string pattern =
          (std::filesystem::temp_directory_path() / "sdnotifytest.XXXXXX").string();
      CPPUNIT_ASSERT(::mkdtemp(pattern.data()) != nullptr);
      dir_ = pattern;
      name_ = dir_ + "/notify";
      std::memcpy(address.sun_path, name_.c_str(), name_.size() + 1);
      length = static_cast<socklen_t>(sizeof address);
    }
    CPPUNIT_ASSERT_EQUAL(0, ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length));
  }
  ~FakeSystemd() {
    ::close(fd_);
    if (!dir_.empty()) {
      std::filesystem::remove_all(dir_);
    }
  }

  const std::string& name() const { return name_; }

  /// The next datagram; the send already queued it, so the wait is only a safety bound.
  std::string receive() {
    pollfd p{fd_, POLLIN, 0};
    CPPUNIT_ASSERT_EQUAL_MESSAGE("no datagram arrived", 1, ::poll(&p, 1, 5000));
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    CPPUNIT_ASSERT(n >= 0);
    return std::string(buffer, static_cast<size_t>(n));
  }

  bool empty() {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  std::string dir_;
  std::string name_;
};

}  // namespace

class SystemdNotifierTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SystemdNotifierTest);
  CPPUNIT_TEST(testNoOpWithoutNotifySocket);
  CPPUNIT_TEST(testUnreachableSocketKindsIgnored);
  CPPUNIT_TEST(testMessagesToPathSocket);
  CPPUNIT_TEST(testAbstractSocket);
  CPPUNIT_TEST(testSendFailureIsReportedNotThrown);
  CPPUNIT_TEST(testWatchdogInterval);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testNoOpWithoutNotifySocket() {
    SystemdNotifier notifier(Env{});
    CPPUNIT_ASSERT(!notifier.enabled());
    CPPUNIT_ASSERT(!notifier.ready());
    CPPUNIT_ASSERT(!notifier.status("x"));
    CPPUNIT_ASSERT(!notifier.watchdog());
    CPPUNIT_ASSERT(!notifier.stopping());
  }

  void testUnreachableSocketKindsIgnored() {
    for (const char* socket : {"", "@", "relative/path", "vsock:2:1234"}) {
      CPPUNIT_ASSERT_MESSAGE(socket, !SystemdNotifier(Env{{"NOTIFY_SOCKET", socket}}).enabled());
    }
    const std::string tooLong = "/" + std::string(200, 'x');
    CPPUNIT_ASSERT(!SystemdNotifier(Env{{"NOTIFY_SOCKET", tooLong}}).ready());
  }

  void testMessagesToPathSocket() {
    FakeSystemd systemd;
    SystemdNotifier notifier(Env{{"NOTIFY_SOCKET", systemd.name()}});
    CPPUNIT_ASSERT(notifier.enabled());
    CPPUNIT_ASSERT(notifier.ready());
    CPPUNIT_ASSERT_EQUAL(std::string("READY=1"), systemd.receive());
    CPPUNIT_ASSERT(notifier.status("inventory v12: 40 devices\nsecond line"));
    CPPUNIT_ASSERT_EQUAL(std::string("STATUS=inventory v12: 40 devices second line"),
                         systemd.receive());
    CPPUNIT_ASSERT(notifier.watchdog());
    CPPUNIT_ASSERT_EQUAL(std::string("WATCHDOG=1"), systemd.receive());
    CPPUNIT_ASSERT(notifier.reloading());
    const std::string reloading = systemd.receive();
    CPPUNIT_ASSERT_MESSAGE(reloading, reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0) == 0);
    CPPUNIT_ASSERT(reloading.size() > std::strlen("RELOADING=1\nMONOTONIC_USEC="));
    CPPUNIT_ASSERT(notifier.stopping());
    CPPUNIT_ASSERT_EQUAL(std::string("STOPPING=1"), systemd.receive());
    CPPUNIT_ASSERT(systemd.empty());
  }

  void testAbstractSocket() {
    FakeSystemd systemd(true);
    SystemdNotifier notifier(Env{{"NOTIFY_SOCKET", systemd.name()}});
    CPPUNIT_ASSERT(notifier.ready());
    CPPUNIT_ASSERT_EQUAL(std::string("READY=1"), systemd.receive());
    CPPUNIT_ASSERT(notifier.notify("STATUS=a\nWATCHDOG=1"));
    CPPUNIT_ASSERT_EQUAL(std::string("STATUS=a\nWATCHDOG=1"), systemd.receive());
  }

  void testSendFailureIsReportedNotThrown() {
    std::string name;
    {
      FakeSystemd gone;
      name = gone.name();
    }
    SystemdNotifier notifier(Env{{"NOTIFY_SOCKET", name}});
    CPPUNIT_ASSERT(notifier.enabled());
    CPPUNIT_ASSERT(!notifier.ready());
  }

  void testWatchdogInterval() {
    const std::string self = std::to_string(::getpid());
    CPPUNIT_ASSERT(!SystemdNotifier(Env{}).watchdogInterval());
    auto interval = SystemdNotifier(Env{{"WATCHDOG_USEC", "30000000"}}).watchdogInterval();
    CPPUNIT_ASSERT(interval);
    CPPUNIT_ASSERT_EQUAL(int64_t{30000000}, int64_t{interval->count()});
    interval = SystemdNotifier(Env{{"WATCHDOG_USEC", "2000000"}, {"WATCHDOG_PID", self}})
                   .watchdogInterval();
    CPPUNIT_ASSERT(interval && interval->count() == 2000000);
    // For another process (a parent that exec'd us without clearing the variables): not ours.
    CPPUNIT_ASSERT(!SystemdNotifier(Env{{"WATCHDOG_USEC", "2000000"}, {"WATCHDOG_PID", "1"}}, 12345)
                        .watchdogInterval());
    CPPUNIT_ASSERT(
        SystemdNotifier(Env{{"WATCHDOG_USEC", "2000000"}, {"WATCHDOG_PID", "12345"}}, 12345)
            .watchdogInterval());
    for (const char* bad : {"0", "", "-5", "1.5", "soon"}) {
      CPPUNIT_ASSERT_MESSAGE(bad, !SystemdNotifier(Env{{"WATCHDOG_USEC", bad}}).watchdogInterval());
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SystemdNotifierTest);
