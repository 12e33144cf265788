// The daemon following an elector over its Unix socket (DESIGN.md §4), with the test playing
// the elector: leader lines make it fence the inventory and accept writes; a follower line,
// silence past the lease, or a closed socket make it refuse writes at once (I5).
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"
#include "SiteHarness.h"

using namespace testing;

namespace {

std::string leaderLine(uint64_t epoch, int leaseMs, const std::string& holder = "me") {
  return R"({"role":"leader","epoch":)" + std::to_string(epoch) + R"(,"holder":")" + holder +
         R"(","lease_ms":)" + std::to_string(leaseMs) + "}";
}

const std::string kOneDevice =
    R"({"devices":[{"sysName":"d1","agents":[{"type":"snmp-community","endpoint":)"
    R"({"address":"127.0.0.1","port":1161},"version":1,"readCommunity":"c"}]}]})";

}  // namespace

class DaemonElectorTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonElectorTest);
  CPPUNIT_TEST(testFollowsTheElectorAndFencesOnLeadership);
  CPPUNIT_TEST(testANewLeaseWithARepeatedTokenFencesAgain);
  CPPUNIT_TEST(testRepublishOnlyByTheElectedReplica);
  CPPUNIT_TEST_SUITE_END();

 public:
  /// A share with version 1 and a daemon on it that follows the stand-in elector `elector_`
  /// (connected, nothing said yet).
  void setUp() override {
    dir_ = std::make_unique<TempDir>();
    const std::string socket = dir_->path() + "/elector.sock";
    elector_ = std::make_unique<FakeElector>(socket);
    env_ = {{"PROM_INV_FILE", dir_->path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", "elector test key"},
            {"PROMSNMP_STATE_DIR", dir_->path() + "/state"},
            {"PROMSNMP_ELECTOR_SOCKET", socket}};
    inventoryCli(env_, {"init"});
    daemon_ = std::make_unique<Daemon>(dir_->path(), env_);
    elector_->accept();
  }

  void tearDown() override {
    daemon_.reset();
    elector_.reset();
    dir_.reset();
  }

  void testFollowsTheElectorAndFencesOnLeadership() {
    auto leads = [&] { return daemon_->get("/promsnmp/leader").status == 200; };
    CPPUNIT_ASSERT(!leads());  // a fresh connection is a follower until the elector speaks

    // Leadership with lease token 7: the replica fences at once, with epoch max(7, head + 1).
    elector_->send(leaderLine(7, 3000));
    CPPUNIT_ASSERT(eventually(5, leads));
    CPPUNIT_ASSERT(eventually(
        5, [&] { return inventoryCli(env_, {"history"}).find("\n2 ") != std::string::npos; }));
    std::string history = inventoryCli(env_, {"--json", "history"});
    CPPUNIT_ASSERT_MESSAGE(
        history, history.find("\"version\":2,\"ok\":true,\"epoch\":7") != std::string::npos);
    const std::string& body = kOneDevice;
    CPPUNIT_ASSERT_EQUAL(
        200, httpRequest(daemon_->port(), "POST", "/promsnmp/inventory", {}, body).status);

    // The lease runs out without a renew: no longer leader, by its own deadline.
    CPPUNIT_ASSERT(eventually(5, [&] { return !leads(); }));
    CPPUNIT_ASSERT_EQUAL(
        503, httpRequest(daemon_->port(), "POST", "/promsnmp/inventory", {}, body).status);

    // Renewed, then an explicit follower line, then the elector vanishing.
    elector_->send(leaderLine(7, 10000));
    CPPUNIT_ASSERT(eventually(5, leads));
    elector_->send(R"({"role":"follower","epoch":8,"holder":"other","lease_ms":10000})");
    CPPUNIT_ASSERT(eventually(5, [&] { return !leads(); }));
    elector_->send(leaderLine(9, 10000));
    CPPUNIT_ASSERT(eventually(5, leads));
    elector_->disconnect();
    CPPUNIT_ASSERT(eventually(2, [&] { return !leads(); }));
    std::vector<Sample> self = parseSamples(daemon_->get("/metrics").body);
    CPPUNIT_ASSERT_EQUAL(std::string("0"), sampleValue(self, "promsnmp_leader_election_is_leader"));
  }

  // Redis restarted empty (F-7) resets the fencing counter, so a later lease can carry a token
  // this replica already fenced for. Found by the load test (tests/load): the replica reused
  // that old lease's fence epoch, was refused by the file (a newer leader had fenced above it),
  // deposed itself under the new lease, and the site had no writer while its elector renewed.
  void testANewLeaseWithARepeatedTokenFencesAgain() {
    auto leads = [&] { return daemon_->get("/promsnmp/leader").status == 200; };
    auto post = [&](int port) {
      return httpRequest(port, "POST", "/promsnmp/inventory", {}, kOneDevice).status;
    };

    // Lease A, token 3: fenced at epoch 3 (v2), one write.
    elector_->send(leaderLine(3, 10000, "replica-a:lease-1"));
    CPPUNIT_ASSERT(eventually(5, leads));
    CPPUNIT_ASSERT_EQUAL(200, post(daemon_->port()));
    elector_->send(
        R"({"role":"follower","epoch":4,"holder":"replica-b:lease-1","lease_ms":10000})");
    CPPUNIT_ASSERT(eventually(5, [&] { return !leads(); }));

    // Another replica leads meanwhile and fences above: epoch 4.
    {
      TempDir otherDir;
      std::map<std::string, std::string> other = env_;
      other.erase("PROMSNMP_ELECTOR_SOCKET");
      other["PROMSNMP_ROLE"] = "leader";
      other["PROMSNMP_STATE_DIR"] = otherDir.path() + "/state";
      Daemon b(otherDir.path(), other);
      CPPUNIT_ASSERT_EQUAL(200, post(b.port()));
    }

    // Lease B: the counter was reset, the token is 3 again, the holder value is new. It must
    // fence anew (epoch 5) and write, not reuse lease A's epoch 3 and depose itself.
    elector_->send(leaderLine(3, 10000, "replica-a:lease-2"));
    CPPUNIT_ASSERT(eventually(5, leads));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(daemon_->log(), 200, post(daemon_->port()));
    CPPUNIT_ASSERT(leads());
    std::string history = inventoryCli(env_, {"--json", "history"});
    CPPUNIT_ASSERT_MESSAGE(history, history.find("\"epoch\":5") != std::string::npos);
    inventoryCli(env_, {"verify"});  // throws unless the chain verifies (epochs never go down)
  }

  // The share restored older: no replica passes /promsnmp/leader's write check, so the
  // republish goes to the elected one (/promsnmp/elected), and only there; the epoch it writes
  // is this lease's from then on.
  void testRepublishOnlyByTheElectedReplica() {
    auto status = [&](const std::string& path) { return daemon_->get(path).status; };
    auto republish = [&](const std::string& query = "") {
      return httpRequest(daemon_->port(), "POST", "/promsnmp/inventory/republish" + query, {}, "");
    };
    CPPUNIT_ASSERT_EQUAL(503, status("/promsnmp/elected"));
    CPPUNIT_ASSERT_EQUAL(503, republish().status);  // a follower
    elector_->send(leaderLine(4, 30000));
    CPPUNIT_ASSERT(eventually(5, [&] { return status("/promsnmp/leader") == 200; }));
    CPPUNIT_ASSERT_EQUAL(200, status("/promsnmp/elected"));
    CPPUNIT_ASSERT_EQUAL(
        200, httpRequest(daemon_->port(), "POST", "/promsnmp/inventory", {}, kOneDevice).status);
    HttpAnswer notBehind = republish();
    CPPUNIT_ASSERT_EQUAL_MESSAGE(notBehind.body, 409, notBehind.status);
    CPPUNIT_ASSERT_EQUAL(400, republish("?empty=yes").status);

    // The share restored from a copy taken at v1: the newer slots and the head go back.
    const std::string share = dir_->path() + "/share";
    for (const char* slot : {"/v00000000000000000002", "/v00000000000000000003"}) {
      std::filesystem::remove(share + slot);
    }
    std::filesystem::remove(share + "/promsnmp-inventory.json");
    std::filesystem::create_hard_link(share + "/v00000000000000000001",
                                      share + "/promsnmp-inventory.json");
    CPPUNIT_ASSERT(eventually(5, [&] { return status("/promsnmp/leader") == 503; }));
    CPPUNIT_ASSERT_EQUAL(200, status("/promsnmp/elected"));
    CPPUNIT_ASSERT(daemon_->get("/actuator/health").body.find("\"share\":\"rolled_back\"") !=
                   std::string::npos);
    HttpAnswer done = republish();
    CPPUNIT_ASSERT_EQUAL_MESSAGE(done.body, 200, done.status);
    CPPUNIT_ASSERT_MESSAGE(done.body, done.body.find("\"version\":4") != std::string::npos &&
                                          done.body.find("\"epoch\":5") != std::string::npos &&
                                          done.body.find("\"devices\":1") != std::string::npos);
    CPPUNIT_ASSERT(eventually(5, [&] { return status("/promsnmp/leader") == 200; }));
    CPPUNIT_ASSERT(daemon_->get("/actuator/health").body.find("\"share\":\"ok\"") !=
                   std::string::npos);
    // The leader writes on with the republished epoch; the chain verifies.
    CPPUNIT_ASSERT_EQUAL(
        200, httpRequest(daemon_->port(), "POST", "/promsnmp/inventory", {}, kOneDevice).status);
    std::string history = inventoryCli(env_, {"--json", "history"});
    CPPUNIT_ASSERT_MESSAGE(
        history, history.find("\"version\":5,\"ok\":true,\"epoch\":5") != std::string::npos);
    inventoryCli(env_, {"verify"});
  }

 private:
  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<FakeElector> elector_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Daemon> daemon_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonElectorTest);
