// F-9, F-19 and F-20 of the fault catalog (election-and-shared-file.md §7.3), injected with the
// LD_PRELOAD layer tests/tools/IoFault.cpp into real promsnmp daemons and the CLI sharing one
// inventory directory, and with a real full tmpfs:
//   F-9  | Delayed storage operation (NFS hang analogue) | slowdown on `link` for > TTL in the
//        | leader's mount | Op completes late → EEXIST or higher epoch; no lost update (I3, I7)
//   F-19 | ENOSPC / EDQUOT / EIO at write, fsync, close | errno injection | Commit aborted, no
//        | slot created, old head intact; close errors not retried
//   F-20 | ESTALE / ENOENT mid-read | errno injection | Reader retries by name (I10)
// A daemon's rules live in a file the layer re-reads when it changes (FaultRules below), so one
// daemon goes through every fault and its recovery; every injected fault is logged by the layer
// and counted here.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <sstream>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultHelpers.h"
#include "SiteHarness.h"

using namespace faults;
using testing::Daemon;
using testing::FakeElector;

namespace {

using Steady = std::chrono::steady_clock;

double secondsSince(Steady::time_point t) {
  return std::chrono::duration<double>(Steady::now() - t).count();
}

/// Fault rules for processes started with env(): written to a file by rename (the layer re-reads
/// it when it changes), and the layer's log of the faults it injected.
class FaultRules {
 public:
  explicit FaultRules(const std::string& dir)
      : file_(dir + "/io-fault.rules"), log_(dir + "/io-fault.log") {}

  Env env() const {
    return {{"LD_PRELOAD", PROMSNMP_IOFAULT_LIB},
            {"PROMSNMP_IO_FAULT_FILE", file_},
            {"PROMSNMP_IO_FAULT_LOG", log_}};
  }
  /// The environment of a one-shot process (the CLI) with fixed `rules`.
  Env fixed(const std::string& rules) const {
    return {{"LD_PRELOAD", PROMSNMP_IOFAULT_LIB},
            {"PROMSNMP_IO_FAULT", rules},
            {"PROMSNMP_IO_FAULT_LOG", log_}};
  }
  void arm(const std::string& rules) const { replaceByRename(file_, rules + "\n"); }
  void clear() const { ::unlink(file_.c_str()); }
  /// Lines of the injection log ("<pid> <call> <path> <what>").
  std::vector<std::string> injected() const {
    std::vector<std::string> lines;
    std::ifstream in(log_);
    for (std::string line; std::getline(in, line);) {
      lines.push_back(line);
    }
    return lines;
  }
  std::string injectedText() const {
    std::string out;
    for (const std::string& line : injected()) {
      out += "\n    " + line;
    }
    return out;
  }

 private:
  std::string file_;
  std::string log_;
};

// The writer's temp file (DirectorySlotStore: ".tmp." + 16 hex digits), the slots and the head.
const char* const kTempFile = R"(/\.tmp\.[0-9a-f]{16}$)";
const char* const kSlot = "/v[0-9]{20}$";
const char* const kHeadOrSlot = R"((/promsnmp-inventory\.json|/v[0-9]{20})$)";
// The calls of a commit the F-19 tests fail: the temp file's write, fsync and close, and the link
// that claims the slot (a full directory can refuse a new name too).
const char* const kCommitCalls[] = {"write", "fsync", "close", "link"};

/// The rule that fails `call` of a commit with `err`.
std::string commitFault(const std::string& call, const std::string& err) {
  return "call=" + call + " path=" + (call == "link" ? kSlot : kTempFile) + " errno=" + err;
}

double writeFailures(int port) {
  std::string value = testing::sampleValue(
      testing::parseSamples(testing::httpRequest(port, "GET", "/metrics").body),
      "promsnmp_inventory_write_failures_total");
  return value.empty() ? -1 : std::stod(value);
}

size_t tempCount(const Site& site) {
  size_t n = 0;
  for (const std::string& name : listDir(site.share())) {
    n += name.rfind(".tmp.", 0) == 0 ? 1 : 0;
  }
  return n;
}

/// What strerror says for each errno the tests inject.
std::string errnoText(const std::string& name) {
  int err = name == "ENOSPC" ? ENOSPC : name == "EDQUOT" ? EDQUOT : name == "EIO" ? EIO : 0;
  return std::strerror(err);
}

}  // namespace

class IoFaultTest : public TimedFixture {
  CPPUNIT_TEST_SUITE(IoFaultTest);
  CPPUNIT_TEST(testF19WriteFsyncCloseErrorsAbortDaemonCommit_I7_I8_I10_I15);
  CPPUNIT_TEST(testF19WriteFsyncCloseErrorsAbortCliCommit_I7_I8_I15);
  CPPUNIT_TEST(testF19RealEnospcOnFullTmpfs_I7_I8_I10_I15);
  CPPUNIT_TEST(testF9DelayedLinkPastLeaseRefusedForHigherEpoch_I3_I7);
  CPPUNIT_TEST(testF9DelayedLinkLosesRaceAndMergesOnTop_I7);
  CPPUNIT_TEST(testF20EstaleEnoentMidReadFollowerRetriesOrKeepsLastGood_I9_I10);
  CPPUNIT_TEST(testF20EstaleEnoentMidReadCli_I10);
  CPPUNIT_TEST_SUITE_END();

 public:
  void tearDown() override {
    // Daemons are locals of the test method, stopped by now; the mount goes before the site.
    if (!mounted_.empty()) {
      if (::umount2(mounted_.c_str(), 0) != 0) {
        ::umount2(mounted_.c_str(), MNT_DETACH);
      }
      mounted_.clear();
    }
    site_.reset();
    TimedFixture::tearDown();
  }

  // F-19 in the daemon leader: ENOSPC, EDQUOT and EIO at write, fsync and close of the temp
  // file of a commit (POST /promsnmp/inventory), and at the link claiming the slot. Each is refused
  // with a 503 naming the call and the error, logged and counted; no slot v<N+1> appears, the head
  // is byte for byte the old one (I8) and still served by the leader and a follower (I10), the temp
  // is gone (I15), the write is not retried (one injection per POST: a failed close is not taken
  // for a commit). With the fault cleared the next commit is exactly v<N+1> (I7: no gap, nothing
  // lost).
  void testF19WriteFsyncCloseErrorsAbortDaemonCommit_I7_I8_I10_I15() {
    name_ = "testF19WriteFsyncCloseErrorsAbortDaemonCommit_I7_I8_I10_I15";
    site_ = std::make_unique<Site>();
    site_->init(2);
    FaultRules rules(site_->root());
    auto leader = site_->start("leader", "", rules.env());
    auto follower = site_->start("follower", "follower");
    // The first commit of a standalone leader is preceded by its fence: done before the faults.
    CPPUNIT_ASSERT_EQUAL(200, postInventory(leader->port(), inventoryJson("warm", 2)).status);
    int round = 0;
    double worstMs = 0;
    for (const char* call : kCommitCalls) {
      for (const char* err : {"ENOSPC", "EDQUOT", "EIO"}) {
        ++round;
        const std::string what = std::string("F-19 ") + err + " at " + call;
        const uint64_t n = site_->newest();
        CPPUNIT_ASSERT(testing::eventually(5, [&] {
          return observe(*follower).version == std::to_string(n) &&
                 observe(*leader).version == std::to_string(n);
        }));
        const Baseline good = baseline(*leader);
        const std::string head = readBytes(site_->head());
        const double failures = writeFailures(leader->port());
        const size_t injectedBefore = rules.injected().size();
        const size_t logBefore = leader->log().size();

        rules.arm(commitFault(call, err));
        auto t0 = Steady::now();
        testing::HttpAnswer post =
            postInventory(leader->port(), inventoryJson("r" + std::to_string(round) + "-", 3));
        worstMs = std::max(worstMs, secondsSince(t0) * 1000);
        CPPUNIT_ASSERT_MESSAGE(what + ": commit not refused: " + post.body,
                               post.status >= 500 && post.status < 600);
        CPPUNIT_ASSERT_MESSAGE(
            what + ": the refusal does not name the call and error: " + post.body,
            contains(post.body, "inventory not written") &&
                contains(post.body, std::string(call) + "(") &&
                contains(post.body, errnoText(err)));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(
            what + ": injections (the write must not be retried)" + rules.injectedText(),
            injectedBefore + 1, rules.injected().size());
        rules.clear();
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": a slot appeared", n, site_->newest());
        CPPUNIT_ASSERT_MESSAGE(what + " I8: the head changed", head == readBytes(site_->head()));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I15: temp left behind", size_t{0}, tempCount(*site_));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": promsnmp_inventory_write_failures_total",
                                     failures + 1, writeFailures(leader->port()));
        CPPUNIT_ASSERT_MESSAGE(what + ": no log line", contains(leader->log().substr(logBefore),
                                                                "inventory write refused"));
        for (const Daemon* d : {leader.get(), follower.get()}) {
          Seen s = observe(*d);
          CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I10: version served", good.version, s.version);
          CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I10: /targets served", good.targets, s.targets);
        }
        // The failure was the disk's, not the replica's: it still leads and the next commit
        // (fault cleared) is v<N+1>.
        CPPUNIT_ASSERT_EQUAL(200, leader->get("/promsnmp/leader").status);
        testing::HttpAnswer again =
            postInventory(leader->port(), inventoryJson("ok" + std::to_string(round) + "-", 3));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": commit after the fault: " + again.body, 200,
                                     again.status);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I7: version after the fault", n + 1, site_->newest());
        CPPUNIT_ASSERT_EQUAL(n + 1, site_->header(n + 1).version);
      }
    }
    testing::ProcessResult verify = site_->cliResult({"verify"});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.out + verify.err, 0, verify.code);
    std::fprintf(
        stderr,
        "\n  [F-19] daemon: %d faults (ENOSPC/EDQUOT/EIO x write/fsync/close/link) refused, "
        "slowest refusal %.0f ms, chain v1..v%llu verified\n",
        round, worstMs, static_cast<unsigned long long>(site_->newest()));
  }

  // F-19 in the CLI writer (add-device): the same twelve faults; exit non-zero with the error on
  // stderr, no slot, head intact, no temp; then the same command succeeds with v<N+1>.
  void testF19WriteFsyncCloseErrorsAbortCliCommit_I7_I8_I15() {
    name_ = "testF19WriteFsyncCloseErrorsAbortCliCommit_I7_I8_I15";
    site_ = std::make_unique<Site>();
    site_->init(1);
    FaultRules rules(site_->root());
    int round = 0;
    for (const char* call : kCommitCalls) {
      for (const char* err : {"ENOSPC", "EDQUOT", "EIO"}) {
        ++round;
        const std::string what = std::string("F-19 CLI ") + err + " at " + call;
        const uint64_t n = site_->newest();
        const std::string head = readBytes(site_->head());
        std::vector<std::string> add = {"add-device", "--sys-name", "c" + std::to_string(round),
                                        "--address",  "127.0.0.9",  "--community",
                                        "c"};
        testing::ProcessResult r = site_->cliResult(add, rules.fixed(commitFault(call, err)));
        CPPUNIT_ASSERT_MESSAGE(what + ": exit " + std::to_string(r.code) + " " + r.err,
                               r.code != 0 && r.signal == 0);
        CPPUNIT_ASSERT_MESSAGE(what + ": " + r.err, contains(r.err, std::string(call) + "(") &&
                                                        contains(r.err, errnoText(err)));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": a slot appeared", n, site_->newest());
        CPPUNIT_ASSERT_MESSAGE(what + " I8: the head changed", head == readBytes(site_->head()));
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I15: temp left behind", size_t{0}, tempCount(*site_));
        r = site_->cliResult(add);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": " + r.err, 0, r.code);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I7", n + 1, site_->newest());
      }
    }
    CPPUNIT_ASSERT_EQUAL(size_t(round), rules.injected().size());
    std::fprintf(stderr, "\n  [F-19] CLI: %d faults refused, %d retries committed v2..v%llu\n",
                 round, round, static_cast<unsigned long long>(site_->newest()));
  }

  // F-19 with a real ENOSPC: the share is a 512 KiB tmpfs, filled up by another file. The
  // leader's commit and a CLI commit are refused with "No space left on device"; no slot, head
  // intact and served (I8, I10), no temp (I15); with space freed the next commit is v<N+1> (I7).
  void testF19RealEnospcOnFullTmpfs_I7_I8_I10_I15() {
    name_ = "testF19RealEnospcOnFullTmpfs_I7_I8_I10_I15";
    site_ = std::make_unique<Site>();
    if (::mount("tmpfs", site_->share().c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                "size=512k,mode=0750") != 0) {
      faults::skip(name_ + ": cannot mount a tmpfs on " + site_->share() + " (" +
                   std::strerror(errno) + "; needs root or CAP_SYS_ADMIN)");
      return;
    }
    mounted_ = site_->share();
    site_->init(2);
    auto leader = site_->start("leader", "");
    CPPUNIT_ASSERT_EQUAL(200, postInventory(leader->port(), inventoryJson("warm", 2)).status);
    const uint64_t n = site_->newest();
    const Baseline good = baseline(*leader);
    const std::string head = readBytes(site_->head());
    const double failures = writeFailures(leader->port());

    // Fill the share: 4 KiB writes until the file system says ENOSPC (at most 1 MiB).
    const std::string filler = site_->share() + "/filler";
    int fd = ::open(filler.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    CPPUNIT_ASSERT(fd >= 0);
    std::string block(4096, 'x');
    size_t filled = 0;
    int fillError = 0;
    while (filled < (1u << 20)) {
      ssize_t w = ::write(fd, block.data(), block.size());
      if (w < 0) {
        fillError = errno;
        break;
      }
      filled += static_cast<size_t>(w);
    }
    ::close(fd);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("the tmpfs never filled up", ENOSPC, fillError);

    testing::HttpAnswer post = postInventory(leader->port(), inventoryJson("full", 3));
    CPPUNIT_ASSERT_MESSAGE("F-19 full tmpfs: commit not refused: " + post.body,
                           post.status >= 500 && contains(post.body, std::strerror(ENOSPC)));
    testing::ProcessResult cli = site_->cliResult(
        {"add-device", "--sys-name", "full", "--address", "127.0.0.9", "--community", "c"});
    CPPUNIT_ASSERT_MESSAGE("F-19 full tmpfs, CLI: " + cli.err,
                           cli.code != 0 && contains(cli.err, std::strerror(ENOSPC)));
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-19 full tmpfs: a slot appeared", n, site_->newest());
    CPPUNIT_ASSERT_MESSAGE("F-19 full tmpfs I8: head changed", head == readBytes(site_->head()));
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-19 full tmpfs I15: temps", size_t{0}, tempCount(*site_));
    CPPUNIT_ASSERT_EQUAL(failures + 1, writeFailures(leader->port()));
    Seen s = observe(*leader);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-19 full tmpfs I10", good.version, s.version);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-19 full tmpfs I10", good.targets, s.targets);

    CPPUNIT_ASSERT_EQUAL(0, ::unlink(filler.c_str()));
    testing::HttpAnswer again = postInventory(leader->port(), inventoryJson("freed", 3));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(again.body, 200, again.status);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("F-19 full tmpfs I7", n + 1, site_->newest());
    std::fprintf(stderr,
                 "\n  [F-19] tmpfs 512 KiB: filled with %zu KiB, daemon and CLI refused with "
                 "ENOSPC, v%llu committed after freeing\n",
                 filled / 1024, static_cast<unsigned long long>(n + 1));
  }

  // F-9, the leader's slot claim stalls past its lease (NFS hang analogue): daemon A leads with
  // lease token 5 and a 1.5 s lease; its link(temp, v<N+1>) is delayed 3 s. Meanwhile A's lease
  // lapses, B is told it leads with token 6, fences and commits (acknowledged). A's link then
  // completes late and meets B's slot (EEXIST); re-reading, A finds epoch 6 above its 5 and is
  // refused ("stepped down"). I3: no epoch-5 slot after the first epoch-6 slot; I7: B's commit is
  // the head and in the chain; A's POST is not acknowledged, its temp is gone.
  void testF9DelayedLinkPastLeaseRefusedForHigherEpoch_I3_I7() {
    name_ = "testF9DelayedLinkPastLeaseRefusedForHigherEpoch_I3_I7";
    site_ = std::make_unique<Site>();
    site_->init(2);
    FaultRules rules(site_->root());
    const std::string socketA = site_->root() + "/a.sock";
    const std::string socketB = site_->root() + "/b.sock";
    FakeElector electorA(socketA);
    FakeElector electorB(socketB);
    Env envA = rules.env();
    envA["PROMSNMP_ELECTOR_SOCKET"] = socketA;
    auto a = site_->start("a", "", envA);
    electorA.accept();
    auto b = site_->start("b", "", {{"PROMSNMP_ELECTOR_SOCKET", socketB}});
    electorB.accept();
    electorB.send(R"({"role":"follower","epoch":5,"holder":"a","lease_ms":10000})");
    const uint64_t fenceA = site_->newest() + 1;
    electorA.send(R"({"role":"leader","epoch":5,"holder":"a","lease_ms":1500})");
    CPPUNIT_ASSERT(testing::eventually(5, [&] { return site_->newest() == fenceA; }));
    CPPUNIT_ASSERT_EQUAL(uint64_t{5}, site_->header(fenceA).epoch);
    CPPUNIT_ASSERT_EQUAL(200, a->get("/promsnmp/leader").status);

    const int delayMs = 3000;
    rules.arm("call=link path=" + std::string(kSlot) + " delay=" + std::to_string(delayMs) +
              " times=1");
    auto t0 = Steady::now();
    std::future<testing::HttpAnswer> late = std::async(std::launch::async, [&] {
      return testing::httpRequest(a->port(), "POST", "/promsnmp/inventory", {},
                                  inventoryJson("late", 4), 15000);
    });
    CPPUNIT_ASSERT_MESSAGE("A never reached its slot claim",
                           testing::eventually(5, [&] { return rules.injected().size() == 1; }));
    // A stalled in a write still answers its leader probe and /metrics at once (they must not
    // queue behind the write), and its lease runs out (no renew) while it waits in link(2).
    for (const char* path : {"/promsnmp/leader", "/metrics"}) {
      testing::HttpAnswer probe = testing::httpRequest(a->port(), "GET", path, {}, {}, 1000);
      CPPUNIT_ASSERT_MESSAGE(std::string(path) + " hung behind the stalled write",
                             probe.status != 0);
    }
    CPPUNIT_ASSERT(
        testing::eventually(3, [&] { return a->get("/promsnmp/leader").status != 200; }));
    const double lapsedAt = secondsSince(t0);
    electorB.send(R"({"role":"leader","epoch":6,"holder":"b","lease_ms":10000})");
    CPPUNIT_ASSERT(
        testing::eventually(3, [&] { return b->get("/promsnmp/leader").status == 200; }));
    testing::HttpAnswer newer = postInventory(b->port(), inventoryJson("newer", 2));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(newer.body, 200, newer.status);
    const uint64_t acked = site_->newest();
    const double ackedAt = secondsSince(t0);
    CPPUNIT_ASSERT_MESSAGE("B committed after A's delay ended (A lost its lease at " +
                               std::to_string(lapsedAt) + " s, B acknowledged at " +
                               std::to_string(ackedAt) + " s); the test proves nothing",
                           ackedAt * 1000 < delayMs);

    CPPUNIT_ASSERT(late.wait_for(std::chrono::seconds(15)) == std::future_status::ready);
    testing::HttpAnswer answer = late.get();
    const double lateAt = secondsSince(t0);
    CPPUNIT_ASSERT_MESSAGE("F-9: A's late commit was acknowledged: " + answer.body,
                           answer.status == 503 && contains(answer.body, "stepped down"));
    CPPUNIT_ASSERT(lateAt * 1000 >= delayMs);
    CPPUNIT_ASSERT_MESSAGE(a->log(), contains(a->log(), "stepping down"));

    // I3 along the chain; I7: B's acknowledged commit is the newest version and the head.
    bool seenNewer = false;
    for (uint64_t v : site_->slots()) {
      uint64_t epoch = site_->header(v).epoch;
      CPPUNIT_ASSERT_MESSAGE(
          "I3: epoch " + std::to_string(epoch) + " at v" + std::to_string(v) + " after epoch 6",
          !seenNewer || epoch >= 6);
      seenNewer = seenNewer || epoch >= 6;
    }
    CPPUNIT_ASSERT_EQUAL_MESSAGE("I7: B's commit is not the newest", acked, site_->newest());
    CPPUNIT_ASSERT_EQUAL(uint64_t{6}, site_->header(acked).epoch);
    std::string shown = site_->cli({"show", "--json"});
    CPPUNIT_ASSERT_MESSAGE("I7: " + shown, contains(shown, "newer2") && !contains(shown, "late"));
    CPPUNIT_ASSERT_EQUAL(size_t{0}, tempCount(*site_));
    testing::ProcessResult verify = site_->cliResult({"verify"});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.out + verify.err, 0, verify.code);
    std::fprintf(stderr,
                 "\n  [F-9] link delayed %d ms > lease 1500 ms: A stepped down at %.2f s, B (epoch "
                 "6) acknowledged v%llu at %.2f s, A's late claim answered %d at %.2f s "
                 "(\"stepped down\"), 0 epoch-5 slots after epoch 6\n",
                 delayMs, lapsedAt, static_cast<unsigned long long>(acked), ackedAt, answer.status,
                 lateAt);
  }

  // F-9, the lost race: a CLI writer's slot claim stalls 2 s while the daemon leader commits
  // v<N+1>. The CLI's late link meets that slot (EEXIST); it re-reads and commits its change on
  // top as v<N+2> (2 attempts). I7: both acknowledged updates are in the final state.
  void testF9DelayedLinkLosesRaceAndMergesOnTop_I7() {
    name_ = "testF9DelayedLinkLosesRaceAndMergesOnTop_I7";
    site_ = std::make_unique<Site>();
    site_->init(2);
    FaultRules rules(site_->root());
    auto leader = site_->start("leader", "");
    CPPUNIT_ASSERT_EQUAL(200, postInventory(leader->port(), inventoryJson("warm", 2)).status);
    const uint64_t n = site_->newest();
    const int delayMs = 2000;
    auto t0 = Steady::now();
    std::future<testing::ProcessResult> cli = std::async(std::launch::async, [&] {
      return site_->cliResult({"--json", "add-device", "--sys-name", "late-cli", "--address",
                               "127.0.0.9", "--community", "c"},
                              rules.fixed("call=link path=" + std::string(kSlot) +
                                          " delay=" + std::to_string(delayMs) + " times=1"));
    });
    CPPUNIT_ASSERT_MESSAGE("the CLI never reached its slot claim",
                           testing::eventually(5, [&] { return rules.injected().size() == 1; }));
    testing::HttpAnswer during = postInventory(leader->port(), inventoryJson("during", 3));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(during.body, 200, during.status);
    CPPUNIT_ASSERT_EQUAL(n + 1, site_->newest());
    const double ackedAt = secondsSince(t0);
    CPPUNIT_ASSERT(cli.wait_for(std::chrono::seconds(15)) == std::future_status::ready);
    testing::ProcessResult r = cli.get();
    CPPUNIT_ASSERT_EQUAL_MESSAGE(r.err, 0, r.code);
    CPPUNIT_ASSERT_MESSAGE(r.out, contains(r.out, "\"version\":" + std::to_string(n + 2)) &&
                                      contains(r.out, "\"attempts\":2"));
    std::string shown = site_->cli({"show", "--json"});
    for (const char* name : {"during1", "during2", "during3", "late-cli"}) {
      CPPUNIT_ASSERT_MESSAGE(std::string("I7: ") + name + " lost: " + shown, contains(shown, name));
    }
    CPPUNIT_ASSERT(
        testing::eventually(5, [&] { return observe(*leader).version == std::to_string(n + 2); }));
    CPPUNIT_ASSERT_EQUAL(size_t{0}, tempCount(*site_));
    testing::ProcessResult verify = site_->cliResult({"verify"});
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.out + verify.err, 0, verify.code);
    std::fprintf(stderr,
                 "\n  [F-9] CLI link delayed %d ms: daemon acknowledged v%llu at %.2f s, CLI lost "
                 "the race (EEXIST) and committed v%llu on top in 2 attempts, both in the head\n",
                 delayMs, static_cast<unsigned long long>(n + 1), ackedAt,
                 static_cast<unsigned long long>(n + 2));
  }

  // F-20 in a follower daemon. Transient ESTALE at read and ENOENT at open of the head: the
  // follower resolves the name again (or lists the slots) and takes the new version with the
  // right content, without an alarm. Persistent ESTALE (open and read of head and slots), then
  // persistent ENOENT at open: it keeps serving the last good version, alarms, never an empty
  // inventory (I9, I10), and catches up once the fault clears.
  void testF20EstaleEnoentMidReadFollowerRetriesOrKeepsLastGood_I9_I10() {
    name_ = "testF20EstaleEnoentMidReadFollowerRetriesOrKeepsLastGood_I9_I10";
    site_ = std::make_unique<Site>();
    site_->init(2);
    FaultRules rules(site_->root());
    auto follower = site_->start("follower", "follower", rules.env());
    int devices = 2;
    auto addDevice = [&] {
      ++devices;
      site_->cli({"add-device", "--sys-name", "dev" + std::to_string(devices), "--address",
                  "127.0.0." + std::to_string(10 + devices), "--port", "1161", "--community", "c"});
    };
    auto caughtUp = [&] {
      Seen s = observe(*follower);
      return s.version == std::to_string(site_->newest()) &&
             targetGroups(s.targets) == static_cast<size_t>(devices) && s.failing == "0";
    };
    std::string figures;

    struct Transient {
      const char* what;
      std::string rule;
    };
    for (const Transient& t :
         {Transient{"ESTALE at read, 3 times",
                    std::string("call=read path=") + kHeadOrSlot + " errno=ESTALE times=3"},
          Transient{"ENOENT at open of the head, 3 times",
                    "call=open path=/promsnmp-inventory\\.json$ errno=ENOENT times=3"}}) {
      const size_t before = rules.injected().size();
      rules.arm(t.rule);
      auto t0 = Steady::now();
      addDevice();
      bool ok = testing::eventually(5, caughtUp);
      Seen s = observe(*follower);
      CPPUNIT_ASSERT_MESSAGE(std::string("F-20 ") + t.what + ": follower at " + s.version +
                                 " with " + std::to_string(targetGroups(s.targets)) +
                                 " targets, failing " + s.failing + rules.injectedText(),
                             ok);
      CPPUNIT_ASSERT_MESSAGE(std::string("F-20 ") + t.what + ": nothing injected",
                             rules.injected().size() > before);
      figures += std::string("\n  [F-20] follower, ") + t.what + ": " +
                 std::to_string(rules.injected().size() - before) + " injected, v" + s.version +
                 " with the right content after " + std::to_string(secondsSince(t0)).substr(0, 4) +
                 " s, no alarm";
      rules.clear();
    }

    for (const Transient& t :
         {Transient{"persistent ESTALE at open and read",
                    std::string("call=open|read path=") + kHeadOrSlot + " errno=ESTALE"},
          Transient{"persistent ENOENT at open",
                    std::string("call=open path=") + kHeadOrSlot + " errno=ENOENT"}}) {
      const std::string what = std::string("F-20 ") + t.what;
      CPPUNIT_ASSERT(testing::eventually(5, caughtUp));
      const Baseline good = baseline(*follower);
      const size_t logBefore = follower->log().size();
      rules.arm(t.rule);
      auto t0 = Steady::now();
      addDevice();
      bool alarmed = testing::eventually(5, [&] { return observe(*follower).failing == "1"; });
      const double alarmAfter = secondsSince(t0);
      Seen s = observe(*follower);
      CPPUNIT_ASSERT_MESSAGE(what + ": no alarm; health " + s.health, alarmed);
      CPPUNIT_ASSERT_MESSAGE(what + ": " + s.health, contains(s.health, "\"error\""));
      CPPUNIT_ASSERT_MESSAGE(what + ": no log line",
                             contains(follower->log().substr(logBefore),
                                      "inventory unreadable, keeping the last good version"));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I9", good.version, s.version);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I10", good.targets, s.targets);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I10", 200, s.targetsStatus);
      CPPUNIT_ASSERT_MESSAGE(what + " I10: empty", targetGroups(s.targets) > 0);
      rules.clear();
      bool recovered = testing::eventually(5, caughtUp);
      CPPUNIT_ASSERT_MESSAGE(what + ": no recovery after the fault cleared", recovered);
      figures += "\n  [F-20] follower, " + std::string(t.what) + ": alarm after " +
                 std::to_string(alarmAfter).substr(0, 4) + " s, kept v" + good.version +
                 ", caught up to v" + std::to_string(site_->newest()) + " once cleared";
    }
    std::fprintf(stderr, "%s\n", figures.c_str());
  }

  // F-20 in the CLI: `show` and `verify` under three ESTALEs at read retry by name and print the
  // right content; under a persistent ESTALE they fail with the error (exit != 0) and print no
  // inventory, never an empty one (I10).
  void testF20EstaleEnoentMidReadCli_I10() {
    name_ = "testF20EstaleEnoentMidReadCli_I10";
    site_ = std::make_unique<Site>();
    site_->init(3);
    FaultRules rules(site_->root());
    const std::string good = site_->cli({"show", "--json"});
    CPPUNIT_ASSERT(contains(good, "dev3"));
    const std::string transient =
        std::string("call=read path=") + kHeadOrSlot + " errno=ESTALE times=3";
    testing::ProcessResult show = site_->cliResult({"show", "--json"}, rules.fixed(transient));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(show.err, 0, show.code);
    CPPUNIT_ASSERT_EQUAL_MESSAGE("I10: show after ESTALE", good, show.out);
    testing::ProcessResult verify = site_->cliResult({"verify"}, rules.fixed(transient));
    CPPUNIT_ASSERT_EQUAL_MESSAGE(verify.out + verify.err, 0, verify.code);
    const size_t transientInjected = rules.injected().size();
    CPPUNIT_ASSERT_EQUAL(size_t{6}, transientInjected);

    const std::string persistent =
        std::string("call=open|read path=") + kHeadOrSlot + " errno=ESTALE";
    show = site_->cliResult({"show", "--json"}, rules.fixed(persistent));
    CPPUNIT_ASSERT_MESSAGE(
        "I10: show under persistent ESTALE: exit " + std::to_string(show.code) + " out " + show.out,
        show.code != 0 && contains(show.out, "\"ok\":false") && !contains(show.out, "devices"));
    CPPUNIT_ASSERT_MESSAGE(show.err, contains(show.err, std::strerror(ESTALE)));
    std::fprintf(stderr,
                 "\n  [F-20] CLI: show and verify retried %zu ESTALEs and printed the right "
                 "content; under a persistent ESTALE show exits %d: %s",
                 transientInjected, show.code, show.err.c_str());
  }

 private:
  std::unique_ptr<Site> site_;
  std::string mounted_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(IoFaultTest);
