#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "SnmpAgentHelpers.h"
#include "collection/DevicePoller.h"
#include "collection/MetricCatalog.h"
#include "collection/PollResult.h"
#include "snmp/NetSnmpClient.h"
#include "snmp/SnmpClient.h"

using promsnmp::ColumnGroup;
using promsnmp::DevicePoller;
using promsnmp::IfMetric;
using promsnmp::InterfaceRow;
using promsnmp::MetricDef;
using promsnmp::MetricType;
using promsnmp::NetSnmpClient;
using promsnmp::PollError;
using promsnmp::PollResult;
using promsnmp::SnmpTarget;
using testing::SnmpdAgent;
using testing::SnmpSimAgent;
using testing::ToolValue;

namespace {

// One agent of each kind for the whole suite (snmpsimd takes a moment to start); stopped when
// the test program exits.
SnmpSimAgent& sim() {
  static std::unique_ptr<SnmpSimAgent> agent = std::make_unique<SnmpSimAgent>();
  return *agent;
}

SnmpdAgent& snmpd() {
  static std::unique_ptr<SnmpdAgent> agent = std::make_unique<SnmpdAgent>();
  return *agent;
}

SnmpTarget simTarget() {
  SnmpTarget t;
  t.name = "Profiler3750";
  t.address = "127.0.0.1";
  t.port = sim().port();
  t.version = 1;
  t.community = sim().community();
  t.timeoutMs = 3000;
  t.retries = 1;
  return t;
}

SnmpTarget snmpdV2cTarget() {
  SnmpTarget t;
  t.name = "localhost";
  t.address = "127.0.0.1";
  t.port = snmpd().port();
  t.version = 1;
  t.community = SnmpdAgent::kCommunity;
  t.timeoutMs = 2000;
  t.retries = 1;
  return t;
}

SnmpTarget snmpdV3Target() {
  SnmpTarget t;
  t.name = "localhost-v3";
  t.address = "127.0.0.1";
  t.port = snmpd().port();
  t.version = 3;
  t.securityName = SnmpdAgent::kUser;
  t.securityLevel = 3;
  t.authProtocol = "SHA512";  // the inventory's spelling
  t.authPassphrase = SnmpdAgent::kAuthPassphrase;
  t.privProtocol = "AES256";
  t.privPassphrase = SnmpdAgent::kPrivPassphrase;
  t.timeoutMs = 2000;
  t.retries = 1;
  return t;
}

std::shared_ptr<PollResult> pollSync(DevicePoller& poller, const SnmpTarget& target,
                                     std::shared_ptr<const PollResult> previous = nullptr) {
  auto promise = std::make_shared<std::promise<std::shared_ptr<PollResult>>>();
  std::future<std::shared_ptr<PollResult>> future = promise->get_future();
  poller.poll(target, std::move(previous),
              [promise](std::shared_ptr<PollResult> r) { promise->set_value(std::move(r)); });
  CPPUNIT_ASSERT_MESSAGE("poll did not finish within 60 s",
                         future.wait_for(std::chrono::seconds(60)) == std::future_status::ready);
  return future.get();
}

std::map<uint32_t, const InterfaceRow*> byIndex(const PollResult& r) {
  std::map<uint32_t, const InterfaceRow*> out;
  for (const InterfaceRow& row : r.interfaces) {
    out[row.ifIndex] = &row;
  }
  return out;
}

/// ifIndex → value of a walked column (keys of `walked` are "<column>.<ifIndex>").
std::map<uint32_t, ToolValue> columnOf(const std::map<std::string, ToolValue>& walked,
                                       const std::string& column) {
  std::map<uint32_t, ToolValue> out;
  for (const auto& [oid, value] : walked) {
    std::string index = oid.substr(column.size() + 1);
    if (index.find('.') == std::string::npos) {
      out[static_cast<uint32_t>(std::stoul(index))] = value;
    }
  }
  return out;
}

std::map<uint32_t, ToolValue> walkColumn(const std::vector<std::string>& args, uint16_t port,
                                         std::string_view column, const std::string& envDir) {
  std::string c(column);
  return columnOf(testing::toolWalk(args, port, c, envDir), c);
}

std::string labelOf(const InterfaceRow& row, std::string_view column) {
  if (column == promsnmp::kIfDescrColumn) {
    return row.ifDescr;
  }
  if (column == promsnmp::kIfNameColumn) {
    return row.ifName;
  }
  return row.ifAlias;
}

/// The columns promsnmp collects from a device with an ifXTable.
std::vector<const MetricDef*> collectedWithIfX() {
  std::vector<const MetricDef*> out;
  for (const MetricDef& def : promsnmp::ifMetrics()) {
    if (def.group != ColumnGroup::IfFallback) {
      out.push_back(&def);
    }
  }
  return out;
}

double processCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void printPoll(const std::string& what, const PollResult& r) {
  unsigned goal = (r.varbinds + 63) / 64;
  std::cout << "\n  " << what << ": requests=" << r.requests << " varbinds=" << r.varbinds
            << " interfaces=" << r.interfaces.size() << " ceil(varbinds/64)=" << goal
            << " ratio=" << (goal > 0 ? static_cast<double>(r.requests) / goal : 0.0)
            << " duration=" << r.durationSeconds << "s" << std::flush;
}

}  // namespace

class SnmpPollTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(SnmpPollTest);
  CPPUNIT_TEST(testCiscoRecordingMatchesSnmpbulkwalk);
  CPPUNIT_TEST(testCiscoRequestsStayBounded);
  CPPUNIT_TEST(testSnmpdV2cMatchesSnmpbulkwalk);
  CPPUNIT_TEST(testSnmpdV3AuthPriv);
  CPPUNIT_TEST(testEveryV3Protocol);
  CPPUNIT_TEST(testV3ContextNameSelectsTheData);
  CPPUNIT_TEST(testWrongV3PassphraseIsAuthentication);
  CPPUNIT_TEST(testUnsupportedProtocolIsAuthentication);
  CPPUNIT_TEST(testClosedPortTimesOutQuickly);
  CPPUNIT_TEST(testConcurrentPollsShareOneSession);
  CPPUNIT_TEST(testSessionBoundAndIdleClose);
  CPPUNIT_TEST(testDestructorFailsPending);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testCiscoRecordingMatchesSnmpbulkwalk() {
    NetSnmpClient client;
    DevicePoller poller(client);
    auto r = pollSync(poller, simTarget());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r->errorDetail, std::string("none"),
                                 std::string(promsnmp::pollErrorName(r->error)));
    CPPUNIT_ASSERT(r->errorDetail.empty());
    CPPUNIT_ASSERT(r->hasIfXTable);
    CPPUNIT_ASSERT(r->labelsRefreshed);
    CPPUNIT_ASSERT_EQUAL(uint64_t(697202257), *r->sysUpTime);  // static in the recording
    printPoll("cisco_16_switch first poll", *r);

    auto ours = byIndex(*r);
    std::vector<std::string> args = {"-v2c", "-c", sim().community()};
    std::set<uint32_t> expectedInterfaces;
    for (std::string_view label :
         {promsnmp::kIfDescrColumn, promsnmp::kIfNameColumn, promsnmp::kIfAliasColumn}) {
      auto walked = walkColumn(args, sim().port(), label, sim().dir());
      CPPUNIT_ASSERT(!walked.empty());
      for (const auto& [ifIndex, value] : walked) {
        if (label == promsnmp::kIfDescrColumn) {
          expectedInterfaces.insert(ifIndex);
        }
        CPPUNIT_ASSERT_MESSAGE("no interface " + std::to_string(ifIndex), ours.count(ifIndex));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(std::string(label) + "." + std::to_string(ifIndex),
                                     value.bytes, labelOf(*ours[ifIndex], label));
      }
    }
    size_t compared = 0;
    for (const MetricDef* def : collectedWithIfX()) {
      auto walked = walkColumn(args, sim().port(), def->column, sim().dir());
      for (const auto& [ifIndex, value] : walked) {
        expectedInterfaces.insert(ifIndex);
      }
      for (const auto& [ifIndex, row] : ours) {
        std::optional<uint64_t> v = row->get(def->id);
        auto it = walked.find(ifIndex);
        std::string where = std::string(def->name) + "." + std::to_string(ifIndex);
        if (it == walked.end()) {
          CPPUNIT_ASSERT_MESSAGE(where + " should be absent", !v.has_value());
          continue;
        }
        CPPUNIT_ASSERT_MESSAGE(where + " missing", v.has_value());
        CPPUNIT_ASSERT_EQUAL_MESSAGE(where, it->second.text, std::to_string(*v));
        ++compared;
      }
    }
    std::set<uint32_t> got;
    for (const auto& [ifIndex, row] : ours) {
      got.insert(ifIndex);
    }
    CPPUNIT_ASSERT(expectedInterfaces == got);
    CPPUNIT_ASSERT_EQUAL(size_t(59), got.size());
    CPPUNIT_ASSERT(compared > 900);
  }

  void testCiscoRequestsStayBounded() {
    // snmpsimd answers at most 64 varbinds: responses come back truncated, never tooBig. The
    // walk must neither loop nor waste packets; start above the cap to exercise truncation.
    NetSnmpClient client;
    DevicePoller::Options options;
    options.initialMaxRepetitions = 50;
    DevicePoller poller(client, options);
    double cpuBefore = processCpuSeconds();
    auto first = pollSync(poller, simTarget());
    double cpu = processCpuSeconds() - cpuBefore;
    CPPUNIT_ASSERT(first->up());
    printPoll("cisco_16_switch poll (labels walked)", *first);
    std::cout << " cpu=" << cpu * 1000 << "ms" << std::flush;
    unsigned goal = (first->varbinds + 63) / 64;
    CPPUNIT_ASSERT(first->requests <= goal * 3 / 2 + 1);
    CPPUNIT_ASSERT(first->varbinds < 1500);  // 21 columns x 59 rows = 1239, plus column ends

    auto second = pollSync(poller, simTarget(), first);
    CPPUNIT_ASSERT(second->up());
    CPPUNIT_ASSERT(!second->labelsRefreshed);  // the recording's sysUpTime does not move
    printPoll("cisco_16_switch poll (labels reused)", *second);
    CPPUNIT_ASSERT(second->requests < first->requests);
    CPPUNIT_ASSERT_EQUAL(first->interfaces.size(), second->interfaces.size());
    CPPUNIT_ASSERT(first->interfaces[5].ifDescr == second->interfaces[5].ifDescr);
    CPPUNIT_ASSERT_EQUAL(uint64_t(first->requests + second->requests), client.stats().packetsSent);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), client.stats().openSessions);
  }

  void testSnmpdV2cMatchesSnmpbulkwalk() {
    NetSnmpClient client;
    DevicePoller poller(client);
    std::vector<std::string> args = snmpd().v2cArgs();
    std::map<const MetricDef*, std::map<uint32_t, ToolValue>> before;
    for (const MetricDef* def : collectedWithIfX()) {
      before[def] = walkColumn(args, snmpd().port(), def->column, snmpd().dir());
    }
    auto r = pollSync(poller, snmpdV2cTarget());
    std::map<const MetricDef*, std::map<uint32_t, ToolValue>> after;
    for (const MetricDef* def : collectedWithIfX()) {
      after[def] = walkColumn(args, snmpd().port(), def->column, snmpd().dir());
    }
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r->errorDetail, std::string("none"),
                                 std::string(promsnmp::pollErrorName(r->error)));
    CPPUNIT_ASSERT(r->hasIfXTable);
    printPoll("snmpd v2c poll", *r);
    auto ours = byIndex(*r);
    CPPUNIT_ASSERT(!ours.empty());

    for (std::string_view label :
         {promsnmp::kIfDescrColumn, promsnmp::kIfNameColumn, promsnmp::kIfAliasColumn}) {
      auto walked = walkColumn(args, snmpd().port(), label, snmpd().dir());
      for (const auto& [ifIndex, value] : walked) {
        CPPUNIT_ASSERT(ours.count(ifIndex));
        CPPUNIT_ASSERT_EQUAL(value.bytes, labelOf(*ours[ifIndex], label));
      }
    }
    std::set<IfMetric> exact = {IfMetric::Type, IfMetric::Mtu, IfMetric::Speed};
    size_t counters = 0;
    for (const MetricDef* def : collectedWithIfX()) {
      for (const auto& [ifIndex, row] : ours) {
        std::string where = std::string(def->name) + "." + std::to_string(ifIndex);
        std::optional<uint64_t> v = row->get(def->id);
        auto b = before[def].find(ifIndex);
        auto a = after[def].find(ifIndex);
        if (b == before[def].end() || a == after[def].end()) {
          continue;  // an interface that came or went between the walks
        }
        CPPUNIT_ASSERT_MESSAGE(where + " missing", v.has_value());
        if (exact.count(def->id)) {
          CPPUNIT_ASSERT_EQUAL_MESSAGE(where, b->second.text, std::to_string(*v));
        } else if (def->type == MetricType::Counter) {
          CPPUNIT_ASSERT_MESSAGE(where + " below the first walk",
                                 std::stoull(b->second.text) <= *v);
          CPPUNIT_ASSERT_MESSAGE(where + " above the second walk",
                                 *v <= std::stoull(a->second.text));
          ++counters;
        }
      }
    }
    CPPUNIT_ASSERT(counters >= 8);
  }

  void testSnmpdV3AuthPriv() {
    NetSnmpClient client;
    DevicePoller poller(client);
    auto first = pollSync(poller, snmpdV3Target());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(first->errorDetail, std::string("none"),
                                 std::string(promsnmp::pollErrorName(first->error)));
    printPoll("snmpd v3 authPriv (SHA-512/AES-256) first poll", *first);
    auto walked =
        walkColumn(snmpd().v3Args(), snmpd().port(), promsnmp::kIfDescrColumn, snmpd().dir());
    auto ours = byIndex(*first);
    CPPUNIT_ASSERT_EQUAL(walked.size(), ours.size());
    for (const auto& [ifIndex, value] : walked) {
      CPPUNIT_ASSERT(ours.count(ifIndex));
      CPPUNIT_ASSERT_EQUAL(value.bytes, ours[ifIndex]->ifDescr);
    }
    CPPUNIT_ASSERT(ours.begin()->second->get(IfMetric::HCInOctets).has_value());

    // The engine ID and keys stay with the session: the next poll needs no discovery.
    auto second = pollSync(poller, snmpdV3Target(), first);
    CPPUNIT_ASSERT(second->up());
    printPoll("snmpd v3 authPriv second poll", *second);
    NetSnmpClient::Stats stats = client.stats();
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), stats.engineIdDiscoveries);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), stats.openSessions);
    CPPUNIT_ASSERT(second->requests < first->requests);
  }

  void testEveryV3Protocol() {
    // One GET per user, all at once through one client: 43 sessions, one engine, 43 users in
    // net-snmp's USM table.
    NetSnmpClient client;
    std::vector<SnmpdAgent::V3User> users = SnmpdAgent::protocolUsers();
    std::vector<std::future<promsnmp::SnmpResponse>> answers;
    std::vector<std::shared_ptr<std::promise<promsnmp::SnmpResponse>>> promises;
    promsnmp::SnmpRequest get;
    get.oids = {promsnmp::Oid::parse(promsnmp::kSysUpTime)};
    for (const SnmpdAgent::V3User& u : users) {
      SnmpTarget t = snmpdV3Target();
      t.name = u.name;
      t.securityName = u.name;
      t.authProtocol = u.authProtocol;  // snmpd's spelling ("SHA-224", "AES-192-C") also maps
      t.privProtocol = u.privProtocol;
      t.securityLevel = u.authProtocol.empty() ? 1 : u.privProtocol.empty() ? 2 : 3;
      auto promise = std::make_shared<std::promise<promsnmp::SnmpResponse>>();
      answers.push_back(promise->get_future());
      client.send(t, get, [promise](promsnmp::SnmpResponse r) { promise->set_value(r); });
    }
    std::string failed;
    for (size_t i = 0; i < users.size(); ++i) {
      CPPUNIT_ASSERT(answers[i].wait_for(std::chrono::seconds(30)) == std::future_status::ready);
      promsnmp::SnmpResponse r = answers[i].get();
      if (!r.ok() || r.varbinds.size() != 1 ||
          r.varbinds[0].value.type != promsnmp::SnmpType::TimeTicks) {
        failed += " " + users[i].name + "(" + promsnmp::responseStatusName(r.status) + ": " +
                  r.message + ")";
      }
    }
    CPPUNIT_ASSERT_EQUAL_MESSAGE(failed, std::string(), failed);
    CPPUNIT_ASSERT_EQUAL(uint64_t(users.size()), client.stats().engineIdDiscoveries);
    std::cout << "\n  SNMPv3 users answered: " << users.size() << " (MD5, SHA, SHA-224..512 x "
              << "none, DES, AES, AES-192, AES-256, AES-192-C, AES-256-C; noAuthNoPriv)"
              << std::flush;
  }

  void testV3ContextNameSelectsTheData() {
    // snmpsimd serves the recording named by the SNMPv3 contextName and leaves any other
    // context unanswered (snmp_exporter's context_name / snmp_context): the name reaches the
    // agent, and each context is a session of its own.
    NetSnmpClient client;
    SnmpTarget t;
    t.name = "sim-v3";
    t.address = "127.0.0.1";
    t.port = sim().port();
    t.version = 3;
    t.securityName = "simulator";  // snmpsimd's default user
    t.securityLevel = 3;
    t.authProtocol = "MD5";
    t.authPassphrase = "auctoritas";
    t.privProtocol = "DES";
    t.privPassphrase = "privatus";
    t.timeoutMs = 1000;
    t.retries = 0;
    auto get = [&](const std::string& context) {
      t.contextName = context;
      promsnmp::SnmpRequest request;
      request.oids = {promsnmp::Oid::parse("1.3.6.1.2.1.1.1.0")};
      auto promise = std::make_shared<std::promise<promsnmp::SnmpResponse>>();
      std::future<promsnmp::SnmpResponse> answer = promise->get_future();
      client.send(t, request,
                  [promise](promsnmp::SnmpResponse r) { promise->set_value(std::move(r)); });
      CPPUNIT_ASSERT(answer.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
      return answer.get();
    };
    promsnmp::SnmpResponse cisco = get(sim().community());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(cisco.message, std::string("ok"),
                                 std::string(promsnmp::responseStatusName(cisco.status)));
    CPPUNIT_ASSERT_EQUAL(size_t(1), cisco.varbinds.size());
    CPPUNIT_ASSERT(cisco.varbinds[0].value.bytes.find("C3750") != std::string::npos);
    CPPUNIT_ASSERT(get("").status == promsnmp::SnmpResponse::Status::Timeout);
    CPPUNIT_ASSERT(get("no_such_recording").status == promsnmp::SnmpResponse::Status::Timeout);
    CPPUNIT_ASSERT(get(sim().community()).ok());
    CPPUNIT_ASSERT_EQUAL(uint64_t(3), client.stats().openSessions);
  }

  void testWrongV3PassphraseIsAuthentication() {
    NetSnmpClient client;
    DevicePoller poller(client);
    SnmpTarget wrongAuth = snmpdV3Target();
    wrongAuth.authPassphrase = "wrongpass123";
    auto r = pollSync(poller, wrongAuth);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r->errorDetail, std::string("authentication"),
                                 std::string(promsnmp::pollErrorName(r->error)));
    CPPUNIT_ASSERT(r->interfaces.empty());
    CPPUNIT_ASSERT(r->errorDetail.find("wrongpass") == std::string::npos);
    CPPUNIT_ASSERT(client.stats().authenticationFailures >= 1);

    // A wrong privacy passphrase decrypts to garbage that snmpd cannot parse: it drops the
    // message without a report (snmpget says "Timeout" too), so this is a timeout.
    SnmpTarget wrongPriv = snmpdV3Target();
    wrongPriv.privPassphrase = "wrongpriv123";
    wrongPriv.timeoutMs = 300;
    wrongPriv.retries = 0;
    auto p = pollSync(poller, wrongPriv);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(p->errorDetail, std::string("timeout"),
                                 std::string(promsnmp::pollErrorName(p->error)));

    // The right credentials still work on the same client afterwards (the USM user of the
    // failed sessions is replaced, not reused).
    auto good = pollSync(poller, snmpdV3Target());
    CPPUNIT_ASSERT_EQUAL_MESSAGE(good->errorDetail, std::string("none"),
                                 std::string(promsnmp::pollErrorName(good->error)));
  }

  void testUnsupportedProtocolIsAuthentication() {
    NetSnmpClient client;
    DevicePoller poller(client);
    SnmpTarget t = snmpdV3Target();
    t.privProtocol = "3DES";
    auto r = pollSync(poller, t);
    CPPUNIT_ASSERT(r->error == PollError::Authentication);
    CPPUNIT_ASSERT(r->errorDetail.find("3DES") != std::string::npos);
    CPPUNIT_ASSERT_EQUAL(uint32_t(0), r->requests);
  }

  void testClosedPortTimesOutQuickly() {
    NetSnmpClient client;
    DevicePoller poller(client);
    SnmpTarget t = simTarget();
    t.port = testing::freeUdpPort();  // nobody listens
    t.timeoutMs = 300;
    t.retries = 0;
    auto start = std::chrono::steady_clock::now();
    auto r = pollSync(poller, t);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    CPPUNIT_ASSERT_EQUAL(std::string("timeout"), std::string(promsnmp::pollErrorName(r->error)));
    CPPUNIT_ASSERT(r->interfaces.empty());
    CPPUNIT_ASSERT_EQUAL(uint32_t(1), r->requests);
    CPPUNIT_ASSERT_MESSAGE(std::to_string(seconds), seconds < 1.5);
    CPPUNIT_ASSERT(seconds >= 0.29);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), client.stats().timeouts);

    // With retries the client resends: 3 packets, about 3 x 200 ms.
    t.timeoutMs = 200;
    t.retries = 2;
    auto again = pollSync(poller, t);
    CPPUNIT_ASSERT(again->error == PollError::Timeout);
    CPPUNIT_ASSERT_EQUAL(uint32_t(3), again->requests);
    CPPUNIT_ASSERT(again->durationSeconds >= 0.59);

    // SNMPv3: the engine-ID discovery is what times out; its packet is the poll's.
    SnmpTarget v3 = snmpdV3Target();
    v3.port = t.port;
    v3.timeoutMs = 300;
    v3.retries = 0;
    auto v3r = pollSync(poller, v3);
    CPPUNIT_ASSERT(v3r->error == PollError::Timeout);
    CPPUNIT_ASSERT_EQUAL(uint32_t(1), v3r->requests);
    CPPUNIT_ASSERT(v3r->durationSeconds < 1.5);
    CPPUNIT_ASSERT(v3r->errorDetail.find("engine ID discovery") != std::string::npos);
  }

  void testConcurrentPollsShareOneSession() {
    NetSnmpClient::Options options;
    options.maxInFlightPerTarget = 2;
    NetSnmpClient client(options);
    DevicePoller poller(client);
    std::vector<std::future<std::shared_ptr<PollResult>>> futures;
    for (int i = 0; i < 6; ++i) {
      futures.push_back(
          std::async(std::launch::async, [&] { return pollSync(poller, snmpdV2cTarget()); }));
    }
    for (auto& f : futures) {
      auto r = f.get();
      CPPUNIT_ASSERT(r->up());
      CPPUNIT_ASSERT(!r->interfaces.empty());
    }
    NetSnmpClient::Stats stats = client.stats();
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), stats.openSessions);
    CPPUNIT_ASSERT_EQUAL(uint64_t(0), stats.inFlight);
    CPPUNIT_ASSERT_EQUAL(uint64_t(0), stats.queued);
  }

  void testSessionBoundAndIdleClose() {
    NetSnmpClient::Options options;
    options.maxInFlight = 1;
    options.maxSessions = 1;
    options.sessionIdleTimeout = std::chrono::seconds(0);
    NetSnmpClient client(options);
    DevicePoller poller(client);
    // Three targets through one session slot: each open closes the least recently used one.
    for (int round = 0; round < 2; ++round) {
      CPPUNIT_ASSERT(pollSync(poller, simTarget())->up());
      CPPUNIT_ASSERT(pollSync(poller, snmpdV2cTarget())->up());
      CPPUNIT_ASSERT(pollSync(poller, snmpdV3Target())->up());
      CPPUNIT_ASSERT(client.stats().openSessions <= 1);
    }
    CPPUNIT_ASSERT_EQUAL(uint64_t(2), client.stats().engineIdDiscoveries);  // reopened: again
    // Idle sessions close within about a second of the idle timeout.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (client.stats().openSessions > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CPPUNIT_ASSERT_EQUAL(uint64_t(0), client.stats().openSessions);
    CPPUNIT_ASSERT(pollSync(poller, simTarget())->up());
  }

  void testDestructorFailsPending() {
    SnmpTarget t = simTarget();
    t.port = testing::freeUdpPort();
    t.timeoutMs = 10000;
    t.retries = 0;
    auto promise = std::make_shared<std::promise<std::shared_ptr<PollResult>>>();
    auto future = promise->get_future();
    auto start = std::chrono::steady_clock::now();
    {
      NetSnmpClient client;
      DevicePoller poller(client);
      poller.poll(t, nullptr,
                  [promise](std::shared_ptr<PollResult> r) { promise->set_value(std::move(r)); });
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }  // destroyed with the GET in flight
    CPPUNIT_ASSERT(future.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    auto r = future.get();
    CPPUNIT_ASSERT(r->error == PollError::Transport);
    CPPUNIT_ASSERT(r->errorDetail.find("client stopped") != std::string::npos);
    CPPUNIT_ASSERT(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(SnmpPollTest);
