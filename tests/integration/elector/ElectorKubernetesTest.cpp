// The elector binary with --backend=kubernetes against a fake leader-elector sidecar (a POCO
// HTTPServer on 127.0.0.1, port 0) that answers correctly, slowly, with garbage, empty, with an
// error status, names another pod, or stops answering while our name is its last word. The
// leadership socket must follow: leader only while good, fast answers name this pod. Every
// wait is bounded; the destructors stop the elector and the fake server.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ElectorHarness.h"
#include "ProcessHelpers.h"

using elector::LeadershipRole;
using elector_test::ElectorChild;
using elector_test::LeadershipReader;
using elector_test::pollUntil;
using elector_test::readFile;
using std::chrono::milliseconds;

namespace {

/// What the fake sidecar answers.
enum class Mode { Name, Slow, Garbage, Empty, ServerError, Hang };

/// A fake `leader-elector` sidecar: GET / answers `{"name":"<name>"}` (or misbehaves as its mode
/// says). Thread-safe; the destructor wakes sleeping handlers and stops the server. The state
/// the handlers read is shared with them: POCO's stopAll() does not wait for a request it had
/// already dispatched, whose handler may then run after this object is gone.
class FakeLeaderElector {
 public:
  FakeLeaderElector() : shared_(std::make_shared<Shared>()) {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    socket_ = socket;
    Poco::AutoPtr<Poco::Net::HTTPServerParams> params(new Poco::Net::HTTPServerParams);
    params->setMaxThreads(4);
    params->setKeepAlive(false);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(shared_), socket, params);
    server_->start();
  }
  ~FakeLeaderElector() {
    {
      const std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->stopping = true;
    }
    shared_->wake.notify_all();
    server_->stopAll(true);
    server_.reset();
    // Closed explicitly so a client sees "connection refused" at once, not a silent backlog.
    socket_.close();
  }
  FakeLeaderElector(const FakeLeaderElector&) = delete;
  FakeLeaderElector& operator=(const FakeLeaderElector&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }
  void set(Mode mode, const std::string& name = "") {
    {
      const std::lock_guard<std::mutex> lock(shared_->mutex);
      shared_->mode = mode;
      if (!name.empty()) {
        shared_->name = name;
      }
    }
    shared_->wake.notify_all();  // hung handlers let go once the mode changes
  }
  int requests() const { return shared_->requests; }

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    Mode mode = Mode::Name;
    std::string name = "nobody";
    std::atomic<int> requests{0};

    void answer(Poco::Net::HTTPServerResponse& response) {
      ++requests;
      Mode now;
      std::string current;
      {
        std::unique_lock<std::mutex> lock(mutex);
        now = mode;
        current = name;
        // Slow: later than the elector's timeout; Hang: effectively never (bounded for cleanup).
        if (now == Mode::Slow) {
          wake.wait_for(lock, milliseconds(600), [this] { return stopping; });
        } else if (now == Mode::Hang) {
          wake.wait_for(lock, milliseconds(5000),
                        [this] { return stopping || mode != Mode::Hang; });
        }
      }
      std::string body = "{\"name\":\"" + current + "\"}";
      if (now == Mode::Garbage) {
        body = "<html>leader: " + current + "</html>";
      } else if (now == Mode::Empty) {
        body.clear();
      }
      response.setStatus(now == Mode::ServerError
                             ? Poco::Net::HTTPResponse::HTTP_INTERNAL_SERVER_ERROR
                             : Poco::Net::HTTPResponse::HTTP_OK);
      response.setContentType("application/json");
      response.setContentLength(static_cast<std::streamsize>(body.size()));
      response.sendBuffer(body.data(), body.size());
    }
  };

  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
    void handleRequest(Poco::Net::HTTPServerRequest&,
                       Poco::Net::HTTPServerResponse& response) override {
      shared_->answer(response);
    }

   private:
    std::shared_ptr<Shared> shared_;
  };

  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(shared_);
    }

   private:
    std::shared_ptr<Shared> shared_;
  };

  std::shared_ptr<Shared> shared_;
  int port_ = 0;
  Poco::Net::ServerSocket socket_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
};

constexpr long kLeaseMs = 1500;
constexpr long kTimeoutMs = 300;

std::vector<std::string> kubernetesArgs(const FakeLeaderElector& fake, const std::string& socket) {
  return {"--backend",
          "kubernetes",
          "--kubernetes.url",
          fake.url(),
          "--kubernetes.poll-interval",
          "100",
          "--kubernetes.timeout",
          std::to_string(kTimeoutMs),
          "--lease.ttl",
          std::to_string(kLeaseMs),
          "--socket",
          socket,
          "--web.listen-address",
          "-"};
}

}  // namespace

class ElectorKubernetesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectorKubernetesTest);
  CPPUNIT_TEST(testFollowsTheSidecar);
  CPPUNIT_TEST(testBadAnswersFailClosed);
  CPPUNIT_TEST(testStaleNameFailsClosed);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testFollowsTheSidecar() {
    FakeLeaderElector fake;
    fake.set(Mode::Name, "pod-b");
    testing::TempDir dir;
    const std::string socket = dir.path() + "/k.sock";
    const std::string log = dir.path() + "/elector.log";
    // The pod name comes from POD_NAME, as in a Deployment with the downward API.
    ElectorChild elector(kubernetesArgs(fake, socket), log, {{"POD_NAME", "pod-a"}});
    LeadershipReader reader(socket, milliseconds(3000));

    // Another pod leads: we follow and show who leads.
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({&reader}, milliseconds(2000), [&] {
                             return reader.isFollower() && reader.last()->holder == "pod-b";
                           }));
    // The sidecar names us: leader, with a wall-clock epoch.
    const auto before = std::chrono::duration_cast<milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    fake.set(Mode::Name, "pod-a");
    CPPUNIT_ASSERT_MESSAGE(
        readFile(log), pollUntil({&reader}, milliseconds(2000), [&] { return reader.isLeader(); }));
    const std::uint64_t firstEpoch = reader.last()->epoch;
    CPPUNIT_ASSERT(firstEpoch >= static_cast<std::uint64_t>(before));
    CPPUNIT_ASSERT_EQUAL(std::string("pod-a"), reader.last()->holder);
    CPPUNIT_ASSERT(reader.last()->leaseMs <= static_cast<std::uint32_t>(kLeaseMs));
    // It stays leader across polls without flapping.
    CPPUNIT_ASSERT(!pollUntil({&reader}, milliseconds(800), [&] { return reader.isFollower(); }));
    CPPUNIT_ASSERT_EQUAL(firstEpoch, reader.last()->epoch);

    // Another pod takes over, then we get it back with a larger epoch.
    fake.set(Mode::Name, "pod-c");
    CPPUNIT_ASSERT(pollUntil({&reader}, milliseconds(1000), [&] {
      return reader.isFollower() && reader.last()->holder == "pod-c";
    }));
    fake.set(Mode::Name, "pod-a");
    CPPUNIT_ASSERT(pollUntil({&reader}, milliseconds(1000), [&] { return reader.isLeader(); }));
    CPPUNIT_ASSERT(reader.last()->epoch > firstEpoch);

    // SIGTERM: the last word is follower, exit 0.
    CPPUNIT_ASSERT_EQUAL(0, elector.terminate(milliseconds(5000)));
    pollUntil({&reader}, milliseconds(1000), [&] { return reader.eof(); });
    CPPUNIT_ASSERT(reader.isFollower());
  }

  void testBadAnswersFailClosed() {
    FakeLeaderElector fake;
    testing::TempDir dir;
    const std::string socket = dir.path() + "/k.sock";
    const std::string log = dir.path() + "/elector.log";
    std::vector<std::string> args = kubernetesArgs(fake, socket);
    args.insert(args.end(), {"--id", "pod-a"});
    ElectorChild elector(args, log);
    LeadershipReader reader(socket, milliseconds(3000));
    const struct {
      Mode mode;
      const char* what;
    } cases[] = {{Mode::Slow, "slow answer"},
                 {Mode::Garbage, "garbage"},
                 {Mode::Empty, "empty body"},
                 {Mode::ServerError, "status 500"}};
    for (const auto& c : cases) {
      fake.set(Mode::Name, "pod-a");
      CPPUNIT_ASSERT_MESSAGE(
          std::string(c.what) + "\n" + readFile(log),
          pollUntil({&reader}, milliseconds(2000), [&] { return reader.isLeader(); }));
      fake.set(c.mode);
      // Follower within one poll plus the request timeout (plus scheduling slack), far sooner
      // than the lease.
      const auto start = elector_test::Steady::now();
      CPPUNIT_ASSERT_MESSAGE(
          std::string(c.what) + "\n" + readFile(log),
          pollUntil({&reader}, milliseconds(1000), [&] { return reader.isFollower(); }));
      const auto took =
          std::chrono::duration_cast<milliseconds>(elector_test::Steady::now() - start);
      CPPUNIT_ASSERT_MESSAGE(c.what, took.count() < kLeaseMs);
    }
    const std::string text = readFile(log);
    // An answer later than the timeout is cut off by the client ("timeout"); one that arrives
    // just in time for the socket but late overall is "slow". Either is fail-closed.
    CPPUNIT_ASSERT_MESSAGE(text, text.find("kind=timeout") != std::string::npos ||
                                     text.find("kind=slow") != std::string::npos);
    for (const char* kind : {"kind=parse", "kind=empty", "kind=status"}) {
      CPPUNIT_ASSERT_MESSAGE(text, text.find(kind) != std::string::npos);
    }
  }

  void testStaleNameFailsClosed() {
    auto fake = std::make_unique<FakeLeaderElector>();
    fake->set(Mode::Name, "pod-a");
    testing::TempDir dir;
    const std::string socket = dir.path() + "/k.sock";
    const std::string log = dir.path() + "/elector.log";
    std::vector<std::string> args = kubernetesArgs(*fake, socket);
    args.insert(args.end(), {"--id", "pod-a"});
    ElectorChild elector(args, log);
    LeadershipReader reader(socket, milliseconds(3000));
    CPPUNIT_ASSERT(pollUntil({&reader}, milliseconds(2000), [&] { return reader.isLeader(); }));

    // The sidecar's last word is our name, then it hangs: follower within the request timeout,
    // never after the lease.
    fake->set(Mode::Hang);
    auto start = elector_test::Steady::now();
    CPPUNIT_ASSERT(
        pollUntil({&reader}, milliseconds(kLeaseMs), [&] { return reader.isFollower(); }));
    CPPUNIT_ASSERT(!pollUntil({&reader}, milliseconds(500), [&] { return reader.isLeader(); }));

    // Back, then gone altogether (connection refused): follower again.
    fake->set(Mode::Name, "pod-a");
    CPPUNIT_ASSERT(pollUntil({&reader}, milliseconds(3000), [&] { return reader.isLeader(); }));
    fake.reset();
    start = elector_test::Steady::now();
    CPPUNIT_ASSERT(
        pollUntil({&reader}, milliseconds(kLeaseMs), [&] { return reader.isFollower(); }));
    CPPUNIT_ASSERT(
        std::chrono::duration_cast<milliseconds>(elector_test::Steady::now() - start).count() <
        kLeaseMs);
    CPPUNIT_ASSERT(!pollUntil({&reader}, milliseconds(500), [&] { return reader.isLeader(); }));
    const std::string text = readFile(log);
    CPPUNIT_ASSERT_MESSAGE(text, text.find("kind=timeout") != std::string::npos ||
                                     text.find("kind=slow") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(text, text.find("kind=connect") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(0, elector.terminate(milliseconds(5000)));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectorKubernetesTest);
