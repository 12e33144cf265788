// The site page across real daemons (issue 17): two replicas on one share, each asked by the
// other's page over HTTP with the viewer's own credentials. The page lists both, marks the
// leader, shows the device with its poller, the inventory history and the admin section only to
// an admin; a replica killed turns down on the next page, under the name it last answered with.
// The follower's name carries markup, which must come out escaped.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"

using namespace testing;

namespace {

const char* const kFollower = "<b>two</b>&\"";  // the follower's replica id
const char* const kFollowerEscaped = "&lt;b&gt;two&lt;/b&gt;&amp;&quot;";

/// The opening tag of the element carrying `hook` (an attribute and its value).
std::string tagOf(const std::string& html, const std::string& hook) {
  size_t at = html.find(hook);
  if (at == std::string::npos) {
    return "";
  }
  size_t open = html.rfind('<', at);
  return html.substr(open, html.find('>', at) - open + 1);
}

}  // namespace

class DaemonSiteTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonSiteTest);
  CPPUNIT_TEST(testPageShowsEveryReplicaAndFollowsAKill);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<TempDir>();
    base_ = {{"PROM_INV_FILE", dir_->path() + "/share/promsnmp-inventory.json"},
             {"PROM_ENCRYPT_KEY", "site page test key"},
             {"COLLECTION_INTERVAL", "2000"},
             {"PROMSNMP_COLLECTION_MODE", "all"},
             {"PROMSNMP_WEB_CONFIG_FILE", dir_->path() + "/web.yml"},
             {"PROMSNMP_WEB_ADMIN_USERS", "ops"}};
    inventoryCli(base_, {"init"});
    // Nothing listens on 127.0.0.1:9: polls fail fast, and the device is down with a reason.
    inventoryCli(base_, {"add-device", "--sys-name", "edge-sw1", "--address", "127.0.0.1", "--port",
                         "9", "--community", "c", "--timeout", "300", "--retries", "0"});
    std::ofstream(dir_->path() + "/web.yml") << "basic_auth_users:\n  prometheus: " << kReadUserHash
                                             << "\n  ops: " << kAdminUserHash << "\n";
  }

  void tearDown() override {
    leader_.reset();
    follower_.reset();
    dir_.reset();
  }

  void testPageShowsEveryReplicaAndFollowsAKill() {
    auto env = base_;
    env["PROMSNMP_STATE_DIR"] = dir_->path() + "/state-2";
    env["PROMSNMP_ROLE"] = "follower";
    env["PROMSNMP_REPLICA_ID"] = kFollower;
    std::filesystem::create_directories(dir_->path() + "/two");
    std::filesystem::create_directories(dir_->path() + "/one");
    follower_ = std::make_unique<Daemon>(dir_->path() + "/two", env);
    const std::string followerUrl = "http://127.0.0.1:" + std::to_string(follower_->port());
    env = base_;
    env["PROMSNMP_STATE_DIR"] = dir_->path() + "/state-1";
    env["PROMSNMP_ROLE"] = "leader";
    env["PROMSNMP_REPLICA_ID"] = "one";
    env["PROMSNMP_PEERS"] = followerUrl + "/, dns:no-such-name.invalid:8080";
    leader_ = std::make_unique<Daemon>(dir_->path() + "/one", env);
    const std::map<std::string, std::string> admin = {
        {"Authorization", basicAuth("ops", "admin-secret")}};
    const std::map<std::string, std::string> reader = {
        {"Authorization", basicAuth("prometheus", "scrape-secret")}};

    // The page and the peer endpoint need the read scope like the rest of the API.
    CPPUNIT_ASSERT_EQUAL(401, leader_->get("/").status);
    CPPUNIT_ASSERT_EQUAL(401, follower_->get("/promsnmp/site/replica").status);
    HttpAnswer self = follower_->get("/promsnmp/site/replica", reader);
    CPPUNIT_ASSERT_EQUAL(200, self.status);
    Poco::JSON::Object::Ptr report =
        Poco::JSON::Parser().parse(self.body).extract<Poco::JSON::Object::Ptr>();
    CPPUNIT_ASSERT_EQUAL(std::string(kFollower), report->getValue<std::string>("replica"));
    CPPUNIT_ASSERT(!report->getValue<bool>("elected"));
    CPPUNIT_ASSERT_EQUAL(32u,
                         static_cast<unsigned>(report->getValue<std::string>("writerId").size()));

    // Both replicas polled the device (collection mode all, every 2 s): the page shows it down
    // with the reason, polled by one of them.
    std::string page;
    CPPUNIT_ASSERT(eventually(20, [&] {
      page = leader_->get("/", admin).body;
      return tagOf(page, "data-device=\"edge-sw1\"").find("data-state=\"down\"") !=
             std::string::npos;
    }));
    const std::string device = tagOf(page, "data-device=\"edge-sw1\"");
    CPPUNIT_ASSERT_MESSAGE(device, device.find("data-poller=\"one\"") != std::string::npos ||
                                       device.find(std::string("data-poller=\"") +
                                                   kFollowerEscaped + "\"") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(page, page.find("down: ") != std::string::npos);

    // Both replicas: the leader (this page, linked to itself), the follower escaped and linked.
    const std::string one = tagOf(page, "data-replica=\"one\"");
    CPPUNIT_ASSERT_MESSAGE(page, one.find("data-leader=\"true\"") != std::string::npos);
    CPPUNIT_ASSERT(page.find("<a class=\"leader-link\" href=\"/\">one</a>") != std::string::npos);
    const std::string two = tagOf(page, std::string("data-replica=\"") + kFollowerEscaped + "\"");
    CPPUNIT_ASSERT_MESSAGE(page, two.find("data-state=\"up\"") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(page, two.find("data-leader=\"false\"") != std::string::npos);
    CPPUNIT_ASSERT(page.find("<b>two</b>") == std::string::npos);
    CPPUNIT_ASSERT(page.find("href=\"" + followerUrl + "/\"") != std::string::npos);
    // The peer entry that does not resolve is said, not fatal.
    CPPUNIT_ASSERT_MESSAGE(
        page, page.find("site.peers: dns:no-such-name.invalid:8080") != std::string::npos);
    // The inventory's history: the CLI's two writes, and the admin's operations section.
    CPPUNIT_ASSERT(page.find("<section id=\"history\">") != std::string::npos);
    CPPUNIT_ASSERT(page.find(">operator (CLI)</td>") != std::string::npos);
    CPPUNIT_ASSERT(page.find("data-admin") != std::string::npos);
    CPPUNIT_ASSERT(page.find("signed in as ops (admin)") != std::string::npos);

    // A read-only viewer: the same site (the follower answered with the viewer's credentials),
    // without the admin section.
    const std::string read = leader_->get("/", reader).body;
    CPPUNIT_ASSERT_MESSAGE(
        read,
        tagOf(read, std::string("data-replica=\"") + kFollowerEscaped).find("data-state=\"up\"") !=
            std::string::npos);
    CPPUNIT_ASSERT(read.find("data-admin") == std::string::npos);
    CPPUNIT_ASSERT(read.find("signed in as prometheus (read)") != std::string::npos);

    // The follower is killed: the next page shows it down under its name, and says why.
    follower_->signal(SIGKILL, 5000);
    CPPUNIT_ASSERT(eventually(5, [&] {
      page = leader_->get("/", admin).body;
      return tagOf(page, std::string("data-replica=\"") + kFollowerEscaped)
                 .find("data-state=\"down\"") != std::string::npos;
    }));
    CPPUNIT_ASSERT_MESSAGE(page, page.find("1 of 2 replicas answer") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(page, page.find("<td class=\"down\">down: ") != std::string::npos);
  }

 private:
  std::unique_ptr<TempDir> dir_;
  std::map<std::string, std::string> base_;
  std::unique_ptr<Daemon> leader_;
  std::unique_ptr<Daemon> follower_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonSiteTest);
