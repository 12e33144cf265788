// site.peers as the site page reads it (expandPeers): plain and named URLs, dns: entries resolved
// to every address (localhost, from /etc/hosts: no network), duplicates dropped, and entries that
// cannot be used named as problems instead of failing the page. And askPeers on a port where
// nothing listens: an answer with the error, no exception.
#include "site/PeerClient.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;

class PeerClientTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(PeerClientTest);
  CPPUNIT_TEST(testUrlsAndNames);
  CPPUNIT_TEST(testDnsEntryGivesEveryAddress);
  CPPUNIT_TEST(testBadEntriesAreProblems);
  CPPUNIT_TEST(testPeerThatDoesNotAnswer);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testUrlsAndNames() {
    std::vector<std::string> problems;
    std::map<std::string, std::string> names;
    std::vector<std::string> urls = expandPeers(
        {"http://a:8080/", "b=http://b:8080", "https://c:8443", "http://a:8080"}, problems, names);
    CPPUNIT_ASSERT(problems.empty());
    CPPUNIT_ASSERT(
        (urls == std::vector<std::string>{"http://a:8080", "http://b:8080", "https://c:8443"}));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, names.size());
    CPPUNIT_ASSERT_EQUAL(std::string("b"), names["http://b:8080"]);
  }

  void testDnsEntryGivesEveryAddress() {
    std::vector<std::string> problems;
    std::map<std::string, std::string> names;
    std::vector<std::string> urls = expandPeers({"dns:localhost:9116"}, problems, names);
    CPPUNIT_ASSERT(problems.empty());
    CPPUNIT_ASSERT(std::find(urls.begin(), urls.end(), "http://127.0.0.1:9116") != urls.end());
    for (const std::string& url : urls) {
      CPPUNIT_ASSERT_MESSAGE(url, url.rfind("http://", 0) == 0 && url.size() > 5 &&
                                      url.substr(url.size() - 5) == ":9116");
    }
  }

  void testBadEntriesAreProblems() {
    std::vector<std::string> problems;
    std::map<std::string, std::string> names;
    std::vector<std::string> urls =
        expandPeers({"promsnmp-1:8080", "=http://x:1", "a=b", "dns:nohost", "dns:h:0",
                     "dns:h:70000", "dns:no-such-name.invalid:8080", "http://ok:1"},
                    problems, names);
    CPPUNIT_ASSERT((urls == std::vector<std::string>{"http://ok:1"}));
    CPPUNIT_ASSERT_EQUAL(size_t{7}, problems.size());
    CPPUNIT_ASSERT(problems[0].find("'promsnmp-1:8080' is none of") != std::string::npos);
    CPPUNIT_ASSERT(problems[1].find("is not REPLICA=http(s)://host:port") != std::string::npos);
    CPPUNIT_ASSERT(problems[3].find("'dns:nohost' is not dns:NAME:PORT") != std::string::npos);
    CPPUNIT_ASSERT(problems[6].find("dns:no-such-name.invalid:8080: ") != std::string::npos);
  }

  void testPeerThatDoesNotAnswer() {
    int port = 0;
    {
      Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
      port = socket.address().port();
    }  // closed: nothing listens there now
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    std::vector<PeerAnswer> answers = askPeers({url}, "", std::chrono::milliseconds(1000));
    CPPUNIT_ASSERT_EQUAL(size_t{1}, answers.size());
    CPPUNIT_ASSERT_EQUAL(url, answers[0].url);
    CPPUNIT_ASSERT(!answers[0].report);
    CPPUNIT_ASSERT_MESSAGE(answers[0].error, answers[0].error.find("refused") != std::string::npos);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(PeerClientTest);
