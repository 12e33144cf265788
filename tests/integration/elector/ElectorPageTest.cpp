// The elector's page (/) and /health on the real binary against a real redis-server on
// 127.0.0.1: the leader's and the follower's role, holder and token; the lease left counting
// down; the socket clients following a client that connects and leaves; an id holding <script>
// escaped on both pages; the text form (?format=text and Accept: text/plain); and Redis stopped:
// /health 503 DOWN with the error while the page still answers, UP again once Redis is back.
// Every child is stopped by a destructor and every wait is bounded.
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

#include "ElectorHarness.h"
#include "ProcessHelpers.h"
#include "RedisServer.h"

using elector_test::ElectorChild;
using elector_test::httpRequest;
using elector_test::HttpResult;
using elector_test::LeadershipReader;
using elector_test::pollUntil;
using elector_test::readFile;
using elector_test::RedisServer;
using std::chrono::milliseconds;

namespace {

constexpr long kTtl = 3000;
const std::string kScriptId = "e0<script>alert(1)</script>";
const std::string kEscapedId = "e0&lt;script&gt;alert(1)&lt;/script&gt;";

Poco::JSON::Object::Ptr health(int port, int* status = nullptr) {
  const HttpResult result = httpRequest(port, "/health");
  if (status != nullptr) {
    *status = result.status;
  }
  if (result.body.empty()) {
    return new Poco::JSON::Object;
  }
  return Poco::JSON::Parser().parse(result.body).extract<Poco::JSON::Object::Ptr>();
}

/// The value of the `key: value` line for `key` in the text form; "" when absent.
std::string textValue(const std::string& text, const std::string& key) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(key + ":", 0) == 0) {
      const std::size_t value = line.find_first_not_of(' ', key.size() + 1);
      return value == std::string::npos ? "" : line.substr(value);
    }
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int clients(int port) { return health(port)->getObject("socket")->getValue<int>("clients"); }

std::vector<std::string> electorArgs(int redisPort, const std::string& id,
                                     const std::string& socket, int httpPort) {
  return {"--redis.address",
          "127.0.0.1:" + std::to_string(redisPort),
          "--id",
          id,
          "--socket",
          socket,
          "--lease.ttl",
          std::to_string(kTtl),
          "--lease.key",
          "page:leader",
          "--web.listen-address",
          "127.0.0.1:" + std::to_string(httpPort)};
}

}  // namespace

class ElectorPageTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ElectorPageTest);
  CPPUNIT_TEST(testLeaderAndFollowerPages);
  CPPUNIT_TEST(testRedisStoppedHealthDown);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testLeaderAndFollowerPages() {
    testing::TempDir dir;
    RedisServer redis(elector_test::freePort());
    const std::string log = dir.path() + "/elector.log";
    const int ports[2] = {elector_test::freePort(), elector_test::freePort()};
    const std::string sockets[2] = {dir.path() + "/0.sock", dir.path() + "/1.sock"};
    // e0 (whose id holds a script) starts alone and leads; then e1 follows it.
    ElectorChild e0(electorArgs(redis.port(), kScriptId, sockets[0], ports[0]), log);
    LeadershipReader reader0(sockets[0], milliseconds(3000));
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({&reader0}, milliseconds(5000),
                                                    [&] { return reader0.isLeader(); }));
    ElectorChild e1(electorArgs(redis.port(), "e1", sockets[1], ports[1]), log);
    LeadershipReader reader1(sockets[1], milliseconds(3000));
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({&reader0, &reader1}, milliseconds(5000), [&] {
                             return reader1.isFollower() && !reader1.last()->holder.empty();
                           }));
    const std::string token = reader0.last()->holder;
    CPPUNIT_ASSERT_EQUAL(kScriptId + ":", token.substr(0, kScriptId.size() + 1));
    CPPUNIT_ASSERT_EQUAL(token, reader1.last()->holder);

    // /health: the role, and the holder (id and token) both name e0.
    for (int i = 0; i < 2; ++i) {
      int status = 0;
      const Poco::JSON::Object::Ptr body = health(ports[i], &status);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(readFile(log), 200, status);
      CPPUNIT_ASSERT_EQUAL(std::string("UP"), body->getValue<std::string>("status"));
      CPPUNIT_ASSERT_EQUAL(std::string(i == 0 ? "leader" : "follower"),
                           body->getValue<std::string>("role"));
      CPPUNIT_ASSERT_EQUAL(kScriptId, body->getValue<std::string>("holder"));
      CPPUNIT_ASSERT_EQUAL(token, body->getValue<std::string>("holderToken"));
      const auto backend = body->getObject("backend");
      CPPUNIT_ASSERT_EQUAL(std::string("redis"), backend->getValue<std::string>("kind"));
      CPPUNIT_ASSERT_EQUAL("127.0.0.1:" + std::to_string(redis.port()),
                           backend->getValue<std::string>("address"));
      CPPUNIT_ASSERT_EQUAL(std::string("ok"), backend->getValue<std::string>("state"));
      CPPUNIT_ASSERT(backend->getObject("latencyMs")->getValue<double>("median") > 0);
      CPPUNIT_ASSERT_EQUAL(sockets[i], body->getObject("socket")->getValue<std::string>("path"));
      CPPUNIT_ASSERT_EQUAL(1, body->getObject("socket")->getValue<int>("clients"));
    }
    CPPUNIT_ASSERT(health(ports[1])->isNull("leaseRemainingMs"));  // not the follower's lease

    // The leader's lease left: > 0, at most the TTL, and decreasing between two renews (a pair
    // of reads with the same last answer).
    bool decreased = false;
    for (int attempt = 0; attempt < 10 && !decreased; ++attempt) {
      const Poco::JSON::Object::Ptr first = health(ports[0]);
      std::this_thread::sleep_for(milliseconds(150));
      const Poco::JSON::Object::Ptr second = health(ports[0]);
      const long a = first->getValue<long>("leaseRemainingMs");
      const long b = second->getValue<long>("leaseRemainingMs");
      CPPUNIT_ASSERT(a > 0 && a <= kTtl && b > 0 && b <= kTtl);
      if (first->getValue<std::string>("lastAnswer") ==
          second->getValue<std::string>("lastAnswer")) {
        CPPUNIT_ASSERT_MESSAGE(std::to_string(a) + " then " + std::to_string(b),
                               b <= a - 100 && b >= a - 400);
        decreased = true;
      }
    }
    CPPUNIT_ASSERT(decreased);

    // The text form, by query and by Accept.
    const HttpResult text = httpRequest(ports[1], "/health?format=text");
    CPPUNIT_ASSERT_EQUAL(200, text.status);
    CPPUNIT_ASSERT_EQUAL(std::string("text/plain; charset=utf-8"), text.contentType);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(text.body, std::string("UP"), textValue(text.body, "status"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(text.body, std::string("follower"), textValue(text.body, "role"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(text.body, kScriptId, textValue(text.body, "holder"));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(text.body, std::string("1"),
                                 textValue(text.body, "socket clients"));
    const HttpResult accept = httpRequest(ports[0], "/health", "GET", {{"Accept", "text/plain"}});
    CPPUNIT_ASSERT_EQUAL(std::string("leader"), textValue(accept.body, "role"));
    CPPUNIT_ASSERT_EQUAL(std::string("e1"), textValue(text.body, "id"));
    CPPUNIT_ASSERT_MESSAGE(accept.body,
                           contains(textValue(accept.body, "lease left"), " of 3.0 s"));

    // The pages: both name e0, escaped; the client is this process.
    const std::string pid = "<td>" + std::to_string(::getpid()) + "</td>";
    for (int i = 0; i < 2; ++i) {
      const HttpResult page = httpRequest(ports[i], "/");
      CPPUNIT_ASSERT_EQUAL(200, page.status);
      CPPUNIT_ASSERT_EQUAL(std::string("text/html; charset=utf-8"), page.contentType);
      CPPUNIT_ASSERT_MESSAGE(page.body, !contains(page.body, "<script"));
      CPPUNIT_ASSERT_MESSAGE(page.body,
                             contains(page.body, "<tr><th>Holder</th><td>" + kEscapedId));
      CPPUNIT_ASSERT_MESSAGE(
          page.body, contains(page.body, i == 0 ? "leader</span></h1>" : "follower</span></h1>"));
      CPPUNIT_ASSERT_MESSAGE(page.body, contains(page.body, "1 client connected"));
      CPPUNIT_ASSERT_MESSAGE(page.body, contains(page.body, pid));
      CPPUNIT_ASSERT_MESSAGE(page.body, contains(page.body, "<a href=\"/health\">"));
      CPPUNIT_ASSERT_MESSAGE(page.body, contains(page.body, "<a href=\"/metrics\">"));
    }
    CPPUNIT_ASSERT(contains(httpRequest(ports[0], "/").body, "<title>elector " + kEscapedId));
    const HttpResult head = httpRequest(ports[0], "/", "HEAD");
    CPPUNIT_ASSERT_EQUAL(200, head.status);
    CPPUNIT_ASSERT(head.body.empty());

    // A second client on the leader's socket is counted, then forgotten once it leaves.
    auto extra = std::make_unique<LeadershipReader>(sockets[0], milliseconds(3000));
    CPPUNIT_ASSERT(pollUntil({&reader0, &reader1, extra.get()}, milliseconds(3000),
                             [&] { return clients(ports[0]) == 2; }));
    CPPUNIT_ASSERT(contains(httpRequest(ports[0], "/").body, "2 clients connected"));
    CPPUNIT_ASSERT_EQUAL(1, clients(ports[1]));
    extra.reset();
    CPPUNIT_ASSERT(pollUntil({&reader0, &reader1}, milliseconds(3000),
                             [&] { return clients(ports[0]) == 1; }));

    CPPUNIT_ASSERT_EQUAL(0, e1.terminate(milliseconds(5000)));
    CPPUNIT_ASSERT_EQUAL(0, e0.terminate(milliseconds(5000)));
  }

  void testRedisStoppedHealthDown() {
    testing::TempDir dir;
    RedisServer redis(elector_test::freePort());
    const std::string log = dir.path() + "/elector.log";
    const int port = elector_test::freePort();
    const std::string socket = dir.path() + "/s.sock";
    ElectorChild elector(electorArgs(redis.port(), "solo", socket, port), log);
    LeadershipReader reader(socket, milliseconds(3000));
    CPPUNIT_ASSERT_MESSAGE(
        readFile(log), pollUntil({&reader}, milliseconds(5000), [&] { return reader.isLeader(); }));
    CPPUNIT_ASSERT_EQUAL(200, httpRequest(port, "/health").status);

    redis.stop();
    // DOWN from the first call that gets no answer: within one renew interval (TTL/3) + 1 s.
    int status = 0;
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({&reader}, milliseconds(kTtl / 3 + 1000), [&] {
                             health(port, &status);
                             return status == 503;
                           }));
    Poco::JSON::Object::Ptr body = health(port, &status);
    CPPUNIT_ASSERT_EQUAL(503, status);
    CPPUNIT_ASSERT_EQUAL(std::string("DOWN"), body->getValue<std::string>("status"));
    auto backend = body->getObject("backend");
    CPPUNIT_ASSERT_EQUAL(std::string("error"), backend->getValue<std::string>("state"));
    const std::string error = backend->getValue<std::string>("error");
    // The call and the library's words, e.g. "renew EVAL: Server closed the connection".
    CPPUNIT_ASSERT_MESSAGE(error, error.size() > 10 && error != "no answer");
    CPPUNIT_ASSERT(!backend->isNull("failingSince"));
    // Once the lease deadline has passed, the elector no longer leads: "backend unreachable".
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({&reader}, milliseconds(kTtl + 1000), [&] {
                             return health(port)->getValue<std::string>("role") ==
                                    "backend unreachable";
                           }));
    CPPUNIT_ASSERT(reader.isFollower());
    // The page and the text form still answer, and say why.
    const HttpResult page = httpRequest(port, "/");
    CPPUNIT_ASSERT_EQUAL(200, page.status);
    CPPUNIT_ASSERT_MESSAGE(page.body, contains(page.body, "<span class=\"down\">DOWN</span>"));
    CPPUNIT_ASSERT_MESSAGE(page.body, contains(page.body, "backend unreachable</span></h1>"));
    const HttpResult text = httpRequest(port, "/health?format=text");
    CPPUNIT_ASSERT_EQUAL(503, text.status);
    CPPUNIT_ASSERT_EQUAL(std::string("DOWN"), textValue(text.body, "status"));
    CPPUNIT_ASSERT_MESSAGE(text.body,
                           textValue(text.body, "backend state").rfind("error for ", 0) == 0);

    // Redis back: UP and leading again; the page keeps the role changes.
    redis.start();
    CPPUNIT_ASSERT_MESSAGE(readFile(log), pollUntil({&reader}, milliseconds(5000), [&] {
                             health(port, &status);
                             return status == 200 && reader.isLeader();
                           }));
    body = health(port);
    CPPUNIT_ASSERT_EQUAL(std::string("UP"), body->getValue<std::string>("status"));
    CPPUNIT_ASSERT_EQUAL(std::string("ok"),
                         body->getObject("backend")->getValue<std::string>("state"));
    // Newest first: leader again, after "backend unreachable" (maybe through "candidate").
    const auto transitions = body->getArray("transitions");
    bool unreachable = false;
    for (std::size_t i = 0; i < transitions->size(); ++i) {
      unreachable |=
          transitions->getObject(i)->getValue<std::string>("to") == "backend unreachable";
    }
    CPPUNIT_ASSERT_EQUAL(std::string("leader"),
                         transitions->getObject(0)->getValue<std::string>("to"));
    CPPUNIT_ASSERT(unreachable);
    CPPUNIT_ASSERT_EQUAL(0, elector.terminate(milliseconds(5000)));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ElectorPageTest);
