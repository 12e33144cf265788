// The site page's merge and rendering (renderSitePage): which replica is shown as leader, which
// replica a device's state comes from, a replica that stopped answering keeping its name, the
// inventory history's writers, what only an admin sees, and that every printed value is
// escaped. The DOM hooks asserted here are the ones the browser test (e2e.site_page) reads.
#include "site/SitePage.h"

#include <string>

#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

namespace {

ReplicaReport replica(const std::string& name, bool elected) {
  ReplicaReport r;
  r.replica = name;
  r.writerId = "w-" + name;
  r.role = elected ? "leader (epoch 3, lease 3)" : std::string("follower (leader: one)");
  r.holder = "one";
  r.elected = elected;
  r.leading = elected;
  r.health = "UP";
  r.version = 9;
  r.epoch = 3;
  r.inventoryDevices = 2;
  return r;
}

DeviceReport device(const std::string& name, bool up, double age) {
  DeviceReport d;
  d.name = name;
  d.up = up;
  d.error = up ? "" : "timeout: no answer";
  d.ageSeconds = age;
  d.durationSeconds = 0.2;
  d.dataAgeSeconds = up ? age : -1;
  d.interfaces = 4;
  d.polls = 3;
  d.failures = up ? 0 : 3;
  d.recent = up ? "+++" : "---";
  return d;
}

PeerAnswer answer(const std::string& url, ReplicaReport report) {
  PeerAnswer a;
  a.url = url;
  a.report = std::move(report);
  return a;
}

PeerAnswer failed(const std::string& url, const std::string& error) {
  PeerAnswer a;
  a.url = url;
  a.error = error;
  return a;
}

/// The opening tag of the element whose attribute `hook` is `value` (e.g. data-replica="two").
std::string tagOf(const std::string& html, const std::string& hook) {
  size_t at = html.find(hook);
  if (at == std::string::npos) {
    return "";
  }
  size_t open = html.rfind('<', at);
  return html.substr(open, html.find('>', at) - open + 1);
}

SitePageInput site() {
  SitePageInput in;
  in.local = replica("one", true);
  ReplicaReport two = replica("two", false);
  two.devices = {device("sw1", false, 4), device("sw2", true, 2)};
  ReplicaReport one = replica("one", true);
  one.devices = {device("sw1", true, 30)};  // polled longer ago than two's poll
  in.answers = {answer("http://h:1", one), answer("http://h:2", two)};
  in.devices = {SiteDevice{"sw1", "10.0.0.1:161", "cisco-ios", "sysObjectID 1.3.6.1.4.1.9.1.1",
                           "cisco_cpu, if_mib"},
                SiteDevice{"sw2", "10.0.0.2:161", "", "", ""},
                SiteDevice{"sw3", "10.0.0.3:161", "", "", ""}};
  in.history = {InventoryVersion{8, 2, "w-gone", false, 1000},
                InventoryVersion{9, 3, "w-one", false, 2000},
                InventoryVersion{10, 3, "w-cli", true, 3000}};
  in.nowMs = 1'700'000'000'000;
  return in;
}

}  // namespace

class SitePageTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SitePageTest);
  CPPUNIT_TEST(testEveryReplicaAndTheLeaderLink);
  CPPUNIT_TEST(testDeviceStateFromTheReplicaThatPolledLast);
  CPPUNIT_TEST(testSilentReplicaKeepsItsNameAndIsDown);
  CPPUNIT_TEST(testThisReplicaShownWhenNotInPeers);
  CPPUNIT_TEST(testHistoryNamesWriters);
  CPPUNIT_TEST(testAdminSectionOnlyForAdmins);
  CPPUNIT_TEST(testEverythingEscaped);
  CPPUNIT_TEST(testProblemsFirstFilterAndLimit);
  CPPUNIT_TEST(testBannersForSplitViews);
  CPPUNIT_TEST(testRefreshWithAndWithoutScript);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testEveryReplicaAndTheLeaderLink() {
    const std::string html = renderSitePage(site());
    const std::string one = tagOf(html, "data-replica=\"one\"");
    const std::string two = tagOf(html, "data-replica=\"two\"");
    CPPUNIT_ASSERT_MESSAGE(one, one.find("data-state=\"up\"") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(one, one.find("data-leader=\"true\"") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(two, two.find("data-leader=\"false\"") != std::string::npos);
    CPPUNIT_ASSERT(html.find("<a class=\"leader-link\" href=\"http://h:1/\">one</a>") !=
                   std::string::npos);
    // The holder's lease token is not shown: the follower's role names the holder.
    CPPUNIT_ASSERT(html.find(std::string(40, 'a')) == std::string::npos);
    CPPUNIT_ASSERT(html.find("follower (leader: one)") != std::string::npos);
  }

  void testDeviceStateFromTheReplicaThatPolledLast() {
    const std::string html = renderSitePage(site());
    const std::string sw1 = tagOf(html, "data-device=\"sw1\"");
    CPPUNIT_ASSERT_MESSAGE(sw1, sw1.find("data-state=\"down\"") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(sw1, sw1.find("data-poller=\"two\"") != std::string::npos);
    CPPUNIT_ASSERT(html.find("down: timeout: no answer") != std::string::npos);
    const std::string sw3 = tagOf(html, "data-device=\"sw3\"");
    CPPUNIT_ASSERT_MESSAGE(sw3, sw3.find("data-state=\"unpolled\"") != std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(sw3, sw3.find("data-poller=\"\"") != std::string::npos);
    CPPUNIT_ASSERT(html.find("3 devices: 1 up, 1 down, 1 not polled") != std::string::npos);
    // Profile with its reason as the tooltip, and the modules.
    CPPUNIT_ASSERT(html.find("<td title=\"sysObjectID 1.3.6.1.4.1.9.1.1\">cisco-ios</td>"
                             "<td class=\"list\">cisco_cpu, if_mib</td>") != std::string::npos);
  }

  void testSilentReplicaKeepsItsNameAndIsDown() {
    SitePageInput in = site();
    in.answers[1] = failed("http://h:2", "Connection refused");
    in.knownNames["http://h:2"] = "two";
    in.answers.push_back(failed("http://h:3", "no answer within 1500 ms"));  // never answered
    const std::string html = renderSitePage(in);
    const std::string two = tagOf(html, "data-replica=\"two\"");
    CPPUNIT_ASSERT_MESSAGE(two, two.find("data-state=\"down\"") != std::string::npos);
    CPPUNIT_ASSERT(html.find("down: Connection refused") != std::string::npos);
    const std::string three = tagOf(html, "data-replica=\"http://h:3\"");
    CPPUNIT_ASSERT_MESSAGE(html, three.find("data-state=\"down\"") != std::string::npos);
    // A replica of a release without the site page answers 404: up, without details.
    PeerAnswer older = failed("http://h:4", "HTTP 404 Not Found");
    older.status = 404;
    in.answers.push_back(older);
    const std::string withOlder = renderSitePage(in);
    const std::string four = tagOf(withOlder, "data-replica=\"http://h:4\"");
    CPPUNIT_ASSERT_MESSAGE(four, four.find("data-state=\"up\"") != std::string::npos);
    CPPUNIT_ASSERT(withOlder.find("a release without the site page") != std::string::npos);
    in.answers.pop_back();
    // Its devices are no longer reported: sw2 is not polled by anyone that answers.
    const std::string sw2 = tagOf(html, "data-device=\"sw2\"");
    CPPUNIT_ASSERT_MESSAGE(sw2, sw2.find("data-state=\"unpolled\"") != std::string::npos);
    CPPUNIT_ASSERT(html.find("2 of 4 replicas answer") == std::string::npos);
    CPPUNIT_ASSERT_MESSAGE(html, html.find("1 of 3 replicas answer") != std::string::npos);
  }

  void testThisReplicaShownWhenNotInPeers() {
    SitePageInput in = site();
    in.answers.clear();
    const std::string html = renderSitePage(in);
    const std::string one = tagOf(html, "data-replica=\"one\"");
    CPPUNIT_ASSERT_MESSAGE(html, one.find("data-leader=\"true\"") != std::string::npos);
    CPPUNIT_ASSERT(html.find("<a class=\"leader-link\" href=\"/\">") != std::string::npos);
    CPPUNIT_ASSERT(html.find("site.peers is not set") != std::string::npos);
    // Peers that do not list this replica: it is added once, as "this page".
    in = site();
    in.answers.erase(in.answers.begin());
    const std::string twoRows = renderSitePage(in);
    CPPUNIT_ASSERT(twoRows.find("2 of 2 replicas answer") != std::string::npos);
    CPPUNIT_ASSERT(twoRows.find("(this page)") != std::string::npos);
  }

  void testHistoryNamesWriters() {
    const std::string html = renderSitePage(site());
    const size_t history = html.find("<section id=\"history\">");
    CPPUNIT_ASSERT(history != std::string::npos);
    const std::string section = html.substr(history, html.find("</section>", history) - history);
    // Newest first; a writer that answers by name, a CLI write, a process gone.
    const size_t v10 = section.find("<td>v10</td>");
    const size_t v9 = section.find("<td>v9</td>");
    const size_t v8 = section.find("<td>v8</td>");
    CPPUNIT_ASSERT(v10 < v9 && v9 < v8 && v8 != std::string::npos);
    CPPUNIT_ASSERT(section.find("title=\"writer w-one\">one</td>") != std::string::npos);
    CPPUNIT_ASSERT(section.find("title=\"writer w-cli\">operator (CLI)</td>") != std::string::npos);
    CPPUNIT_ASSERT(section.find("title=\"writer w-gone\">an earlier process</td>") !=
                   std::string::npos);
  }

  void testAdminSectionOnlyForAdmins() {
    SitePageInput in = site();
    in.viewer = "ops";
    in.admin = true;
    const std::string admin = renderSitePage(in);
    CPPUNIT_ASSERT(admin.find("data-admin") != std::string::npos);
    CPPUNIT_ASSERT(admin.find("signed in as ops (admin)") != std::string::npos);
    in.viewer = "prometheus";
    in.admin = false;
    const std::string reader = renderSitePage(in);
    CPPUNIT_ASSERT(reader.find("data-admin") == std::string::npos);
    CPPUNIT_ASSERT(reader.find("republish") == std::string::npos);
    CPPUNIT_ASSERT(reader.find("signed in as prometheus (read)") != std::string::npos);
  }

  void testEverythingEscaped() {
    const std::string evil = "<script>alert(\"x\")</script>&'";
    SitePageInput in = site();
    in.local.replica = evil;
    in.answers[1].report->replica = evil + "2";
    in.answers[1].report->role = evil;
    in.answers[1].report->devices[0].error = evil;
    in.answers.push_back(failed("http://h:3/" + evil, evil));
    in.devices[0].name = evil;
    in.answers[1].report->devices[0].name = evil;
    in.devices[1].profile = evil;
    in.devices[1].reason = evil;
    in.devices[1].modules = evil;
    in.filter = "";
    in.problems = {evil};
    in.viewer = evil;
    in.shareProblemWords = evil;
    in.local.shareError = evil;
    const std::string html = renderSitePage(in);
    CPPUNIT_ASSERT(html.find("<script>alert") == std::string::npos);
    CPPUNIT_ASSERT(html.find("\"x\"") == std::string::npos);
    CPPUNIT_ASSERT(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;") !=
                   std::string::npos);
    // The page's one script is its own.
    size_t scripts = 0;
    for (size_t at = html.find("<script"); at != std::string::npos;
         at = html.find("<script", at + 1)) {
      ++scripts;
    }
    CPPUNIT_ASSERT_EQUAL(size_t{1}, scripts);
    // A device name in a link is URL-encoded, then escaped.
    CPPUNIT_ASSERT(html.find("/snmp?target=%3Cscript%3E") != std::string::npos);
  }

  void testProblemsFirstFilterAndLimit() {
    SitePageInput in = site();
    const std::string html = renderSitePage(in);
    const size_t down = html.find("data-device=\"sw1\"");
    const size_t unpolled = html.find("data-device=\"sw3\"");
    const size_t up = html.find("data-device=\"sw2\"");
    CPPUNIT_ASSERT(down < unpolled && unpolled < up && up != std::string::npos);
    in.filter = "10.0.0.2";
    const std::string filtered = renderSitePage(in);
    CPPUNIT_ASSERT(filtered.find("data-device=\"sw2\"") != std::string::npos);
    CPPUNIT_ASSERT(filtered.find("data-device=\"sw1\"") == std::string::npos);
    CPPUNIT_ASSERT(filtered.find("1 devices matching “10.0.0.2”") != std::string::npos);
    in.filter.clear();
    in.maxDevices = 2;
    const std::string limited = renderSitePage(in);
    CPPUNIT_ASSERT(limited.find("data-device=\"sw2\"") == std::string::npos);
    CPPUNIT_ASSERT(limited.find("Showing 2 of 3") != std::string::npos);
  }

  void testBannersForSplitViews() {
    SitePageInput in = site();
    in.answers[1].report->version = 7;
    in.answers[1].report->elected = true;
    const std::string html = renderSitePage(in);
    CPPUNIT_ASSERT(html.find("serve different inventory versions (v7, v9)") != std::string::npos);
    CPPUNIT_ASSERT(html.find("More than one replica says it holds the lease") != std::string::npos);
    in = site();
    in.answers[0].report->elected = false;
    const std::string noLeader = renderSitePage(in);
    CPPUNIT_ASSERT(noLeader.find("The elector names one as leader, but no replica that answers") !=
                   std::string::npos);
    CPPUNIT_ASSERT(noLeader.find("data-leader=\"true\"") == std::string::npos);
  }

  void testRefreshWithAndWithoutScript() {
    SitePageInput in = site();
    in.refreshSeconds = 7;
    const std::string html = renderSitePage(in);
    CPPUNIT_ASSERT(html.find("<noscript><meta http-equiv=\"refresh\" content=\"7\"></noscript>") !=
                   std::string::npos);
    CPPUNIT_ASSERT(html.find("data-refresh-seconds=\"7\"") != std::string::npos);
    CPPUNIT_ASSERT(html.find("<main data-generated=\"2023-11-14 22:13:20Z\">") !=
                   std::string::npos);
    in.refreshSeconds = 0;
    CPPUNIT_ASSERT(renderSitePage(in).find("http-equiv") == std::string::npos);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SitePageTest);
