#include "collection/MetricsCache.h"

#include <algorithm>
#include <atomic>
#include <future>
#include <stdexcept>
#include <thread>

#include <cppunit/extensions/HelperMacros.h>

#include "common/FakeClock.h"

using namespace promsnmp;
using common::FakeClock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

using Previous = const std::shared_ptr<const CacheEntry>&;

// A poll outcome whose result started at `startedAt` (seconds after a fixed epoch).
PollOutcome outcome(const std::string& target, PollError error = PollError::None,
                    int startedAt = 0) {
  auto result = std::make_shared<PollResult>();
  result->target = target;
  result->error = error;
  result->durationSeconds = 0.5;
  result->startedAt = std::chrono::system_clock::time_point(seconds(1748779200 + startedAt));
  std::shared_ptr<DeviceBody> body;
  if (error == PollError::None) {
    RenderedDevice text;
    text.classic = "body of " + target + "\n";
    text.interfaces = 3;
    body = std::make_shared<DeviceBody>(std::move(text));
  }
  return {result, body};
}

}  // namespace

class MetricsCacheTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(MetricsCacheTest);
  CPPUNIT_TEST(testMissThenHit);
  CPPUNIT_TEST(testExpiredEntryIsPolledAgainWithPrevious);
  CPPUNIT_TEST(testLeastRecentlyUsedEvicted);
  CPPUNIT_TEST(testSingleFlightRunsOnePollFor200Callers);
  CPPUNIT_TEST(testWaiterBoundedByBudget);
  CPPUNIT_TEST(testFailedPollKeepsLastGoodUntilTtl);
  CPPUNIT_TEST(testOlderPollDoesNotReplaceNewer);
  CPPUNIT_TEST(testThrowingPollReleasesWaiters);
  CPPUNIT_TEST(testBackgroundPollJoinsSingleFlight);
  CPPUNIT_TEST(testRecentlyRequested);
  CPPUNIT_TEST(testEvictAllEraseAndPurge);
  CPPUNIT_TEST(testStatusOfLookup);
  CPPUNIT_TEST(testHoleInRequestsPollsLive);
  CPPUNIT_TEST(testTakeoverTooSlowServesTheFreshEntry);
  CPPUNIT_TEST(testStalledRequestInBurstIsNoHole);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { clock_ = std::make_unique<FakeClock>(); }

  // Behind HAProxy, another replica serves a target while this one misses its scrapes; after
  // such a hole, a fresh entry may hold older counters than the ones served meanwhile: the first
  // request after the hole polls live. Regular requests, and jitter within the slack, are hits.
  void testHoleInRequestsPollsLive() {
    MetricsCache cache(*clock_, {});
    int polls = 0;
    auto poll = [&](Previous) {
      ++polls;
      return outcome("r1", PollError::None, polls);
    };
    auto request = [&] { return cache.get("r1", milliseconds(0), poll).source; };
    CPPUNIT_ASSERT(request() == CacheLookup::Source::Polled);
    for (int i = 0; i < 4; ++i) {  // every 2 s, one of them 2.2 s late (within 1.5 x + slack)
      clock_->advance(milliseconds(i == 2 ? 2200 : 2000));
      CPPUNIT_ASSERT(request() == CacheLookup::Source::Hit);
    }
    CPPUNIT_ASSERT_EQUAL(1, polls);
    clock_->advance(milliseconds(5000));  // over 1.5 x 2.2 s + 1 s: scrapes went elsewhere
    CPPUNIT_ASSERT(request() == CacheLookup::Source::Polled);
    CPPUNIT_ASSERT_EQUAL(2, polls);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.stats().takeovers);
    // The hole is not the new cadence: the next regular request is a hit...
    clock_->advance(milliseconds(2000));
    CPPUNIT_ASSERT(request() == CacheLookup::Source::Hit);
    // ...and two scrapers at uneven offsets (gaps of 0.5 s and 3.5 s) are no holes.
    for (int i = 0; i < 6; ++i) {
      clock_->advance(milliseconds(i % 2 == 0 ? 500 : 3500));
      CPPUNIT_ASSERT(request() == CacheLookup::Source::Hit || i < 2);
    }
    CPPUNIT_ASSERT(polls <= 3);
  }

  // A burst of requests for one target, one of its threads stalled for 900 ms by a loaded
  // machine: no hole (the slack is a second), one poll.
  void testStalledRequestInBurstIsNoHole() {
    MetricsCache cache(*clock_, {});
    int polls = 0;
    auto poll = [&](Previous) {
      ++polls;
      return outcome("r1", PollError::None, polls);
    };
    CPPUNIT_ASSERT(cache.get("r1", milliseconds(0), poll).source == CacheLookup::Source::Polled);
    for (int i = 0; i < 20; ++i) {  // a millisecond apart
      clock_->advance(milliseconds(1));
      CPPUNIT_ASSERT(cache.get("r1", milliseconds(0), poll).source == CacheLookup::Source::Hit);
    }
    clock_->advance(milliseconds(900));
    CPPUNIT_ASSERT(cache.get("r1", milliseconds(0), poll).source == CacheLookup::Source::Hit);
    CPPUNIT_ASSERT_EQUAL(1, polls);
  }

  // A takeover poll that outlasts the budget: the fresh entry is served (Stale), not nothing.
  void testTakeoverTooSlowServesTheFreshEntry() {
    MetricsCache cache(*clock_, {});
    auto poll = [&](Previous) { return outcome("r1"); };
    cache.get("r1", milliseconds(0), poll);
    for (int i = 0; i < 2; ++i) {
      clock_->advance(milliseconds(2000));
      cache.get("r1", milliseconds(0), poll);
    }
    clock_->advance(milliseconds(10000));
    auto timedOut = [](Previous) { return PollOutcome{}; };  // what an abandoned poll gives
    CacheLookup l = cache.get("r1", milliseconds(0), timedOut);
    CPPUNIT_ASSERT(l.source == CacheLookup::Source::Stale);
    CPPUNIT_ASSERT(l.body != nullptr);
    CPPUNIT_ASSERT_EQUAL(std::string("body of r1\n"), l.body->text().classic);
  }

  void testMissThenHit() {
    MetricsCache cache(*clock_, {});
    int polls = 0;
    auto poll = [&](Previous previous) {
      ++polls;
      CPPUNIT_ASSERT(!previous);
      return outcome("r1");
    };
    CacheLookup first = cache.get("r1", milliseconds(0), poll);
    CPPUNIT_ASSERT(first.source == CacheLookup::Source::Polled);
    CPPUNIT_ASSERT_EQUAL(std::string("body of r1\n"), first.body->text().classic);
    clock_->advance(seconds(299));
    CacheLookup second = cache.get("r1", milliseconds(0), poll);
    CPPUNIT_ASSERT(second.source == CacheLookup::Source::Hit);
    CPPUNIT_ASSERT(second.entry == first.entry);
    CPPUNIT_ASSERT_EQUAL(1, polls);
    MetricsCache::Stats s = cache.stats();
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), s.hits);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), s.misses);
    CPPUNIT_ASSERT_EQUAL(size_t(1), s.size);
  }

  void testExpiredEntryIsPolledAgainWithPrevious() {
    MetricsCache cache(*clock_, {milliseconds(1000), 10});
    cache.put("r1", outcome("r1"));
    clock_->advance(milliseconds(1000));
    std::shared_ptr<const CacheEntry> seen;
    CacheLookup l = cache.get("r1", milliseconds(0), [&](Previous prev) {
      seen = prev;
      return outcome("r1", PollError::None, 1);
    });
    CPPUNIT_ASSERT(l.source == CacheLookup::Source::Polled);
    CPPUNIT_ASSERT(seen && seen->lastGood);  // labels can be reused from the expired entry
    CPPUNIT_ASSERT(l.entry != seen);
  }

  void testLeastRecentlyUsedEvicted() {
    MetricsCache cache(*clock_, {milliseconds(300000), 2});
    cache.put("a", outcome("a"));
    cache.put("b", outcome("b"));
    auto never = [](Previous) -> PollOutcome { throw std::logic_error("must be a hit"); };
    CPPUNIT_ASSERT(cache.get("a", milliseconds(0), never).source == CacheLookup::Source::Hit);
    cache.put("c", outcome("c"));  // b is the least recently used
    CPPUNIT_ASSERT(cache.peek("a"));
    CPPUNIT_ASSERT(!cache.peek("b"));
    CPPUNIT_ASSERT(cache.peek("c"));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.stats().evictions);
    CPPUNIT_ASSERT_EQUAL(size_t(2), cache.stats().size);
  }

  void testSingleFlightRunsOnePollFor200Callers() {
    MetricsCache cache(*clock_, {});
    constexpr int kCallers = 200;
    std::atomic<int> polls{0};
    std::atomic<bool> timedOut{false};
    auto poll = [&](Previous) {
      ++polls;
      // Hold the poll until every other caller is waiting for it (bounded: 20 s).
      auto deadline = std::chrono::steady_clock::now() + seconds(20);
      while (cache.stats().waits < kCallers - 1) {
        if (std::chrono::steady_clock::now() > deadline) {
          timedOut = true;
          break;
        }
        std::this_thread::sleep_for(milliseconds(1));
      }
      return outcome("cold");
    };
    std::vector<std::future<CacheLookup>> results;
    results.reserve(kCallers);
    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    for (int i = 0; i < kCallers; ++i) {
      results.push_back(std::async(std::launch::async, [&, start] {
        start.wait();
        return cache.get("cold", seconds(30), poll);
      }));
    }
    go.set_value();
    int polled = 0;
    int waited = 0;
    std::shared_ptr<const CacheEntry> entry;
    for (auto& f : results) {
      CacheLookup l = f.get();
      polled += l.source == CacheLookup::Source::Polled;
      waited += l.source == CacheLookup::Source::Waited;
      CPPUNIT_ASSERT(l.entry);
      if (entry) {
        CPPUNIT_ASSERT(l.entry == entry);
      }
      entry = l.entry;
    }
    CPPUNIT_ASSERT(!timedOut);
    CPPUNIT_ASSERT_EQUAL(1, polls.load());
    CPPUNIT_ASSERT_EQUAL(1, polled);
    CPPUNIT_ASSERT_EQUAL(kCallers - 1, waited);
    MetricsCache::Stats s = cache.stats();
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), s.misses);
    CPPUNIT_ASSERT_EQUAL(uint64_t(kCallers - 1), s.waits);
    CPPUNIT_ASSERT_EQUAL(size_t(0), s.inFlight);
  }

  void testWaiterBoundedByBudget() {
    MetricsCache cache(*clock_, {milliseconds(1000), 10});
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> started;
    auto slowPoll = [&](Previous) {
      started.set_value();
      released.wait_for(seconds(20));  // bounded even if the test fails first
      return outcome("slow", PollError::None, 1);
    };
    auto leader =
        std::async(std::launch::async, [&] { return cache.get("slow", seconds(0), slowPoll); });
    started.get_future().wait();

    auto t0 = std::chrono::steady_clock::now();
    CacheLookup cold = cache.get("slow", milliseconds(50), slowPoll);
    auto waitedFor = std::chrono::steady_clock::now() - t0;
    CPPUNIT_ASSERT(cold.source == CacheLookup::Source::None);  // nothing stored yet
    CPPUNIT_ASSERT(!cold.entry);
    CPPUNIT_ASSERT(waitedFor >= milliseconds(50));
    CPPUNIT_ASSERT(waitedFor < seconds(10));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.stats().timeouts);

    release.set_value();
    CPPUNIT_ASSERT(leader.get().source == CacheLookup::Source::Polled);

    // With an expired entry, a waiter whose budget runs out gets that entry's status.
    clock_->advance(seconds(2));
    std::promise<void> release2;
    std::shared_future<void> released2 = release2.get_future().share();
    std::promise<void> started2;
    auto slowPoll2 = [&](Previous) {
      started2.set_value();
      released2.wait_for(seconds(20));
      return outcome("slow", PollError::None, 2);
    };
    auto leader2 =
        std::async(std::launch::async, [&] { return cache.get("slow", seconds(0), slowPoll2); });
    started2.get_future().wait();
    CacheLookup stale = cache.get("slow", milliseconds(10), slowPoll2);
    CPPUNIT_ASSERT(stale.source == CacheLookup::Source::Stale);
    CPPUNIT_ASSERT(stale.entry);
    CPPUNIT_ASSERT(!stale.body);  // older than the ttl: never served
    release2.set_value();
    leader2.get();
  }

  void testFailedPollKeepsLastGoodUntilTtl() {
    MetricsCache cache(*clock_, {milliseconds(60000), 10});
    cache.put("r1", outcome("r1", PollError::None, 0));
    clock_->advance(seconds(20));
    cache.put("r1", outcome("r1", PollError::Timeout, 20));
    auto fail = [](Previous) -> PollOutcome { throw std::logic_error("must be a hit"); };
    CacheLookup l = cache.get("r1", milliseconds(0), fail);
    CPPUNIT_ASSERT(l.source == CacheLookup::Source::Hit);
    CPPUNIT_ASSERT(l.body);
    CPPUNIT_ASSERT(!l.entry->last->up());
    TargetStatus s = l.status("r1", 0.001);
    CPPUNIT_ASSERT(!s.up);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(20.0, *s.dataAgeSeconds, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.0, s.pollAgeSeconds, 1e-9);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), s.errors[pollErrorReasonIndex(PollError::Timeout)]);

    // The device keeps failing; the failures keep the entry fresh, but the good body expires
    // 60 s after it was stored.
    clock_->advance(seconds(30));
    cache.put("r1", outcome("r1", PollError::Transport, 50));
    clock_->advance(seconds(10));
    l = cache.get("r1", milliseconds(0), fail);
    CPPUNIT_ASSERT(l.source == CacheLookup::Source::Hit);
    CPPUNIT_ASSERT(!l.body);
    s = l.status("r1", 0);
    CPPUNIT_ASSERT(!s.dataAgeSeconds);
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), s.errors[pollErrorReasonIndex(PollError::Transport)]);

    // A good poll restores it.
    cache.put("r1", outcome("r1", PollError::None, 60));
    l = cache.get("r1", milliseconds(0), fail);
    CPPUNIT_ASSERT(l.body && l.status("r1", 0).up);
  }

  void testOlderPollDoesNotReplaceNewer() {
    MetricsCache cache(*clock_, {});
    cache.put("r1", outcome("r1", PollError::None, 30));
    auto newer = cache.peek("r1");
    std::shared_ptr<const CacheEntry> kept = cache.put("r1", outcome("r1", PollError::None, 10));
    CPPUNIT_ASSERT(kept == newer);
    CPPUNIT_ASSERT(cache.peek("r1") == newer);
  }

  void testThrowingPollReleasesWaiters() {
    MetricsCache cache(*clock_, {});
    std::promise<void> started;
    std::promise<void> release;
    auto leader = std::async(std::launch::async, [&] {
      return cache.get("r1", seconds(0), [&](Previous) -> PollOutcome {
        started.set_value();
        release.get_future().wait_for(seconds(20));
        throw std::runtime_error("boom");
      });
    });
    started.get_future().wait();
    auto waiter = std::async(std::launch::async, [&] {
      return cache.get("r1", seconds(20), [](Previous) { return outcome("r1"); });
    });
    // Let the waiter reach the wait (bounded), then fail the poll.
    auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (cache.stats().waits < 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    release.set_value();
    CPPUNIT_ASSERT_THROW(leader.get(), std::runtime_error);
    CacheLookup w = waiter.get();
    CPPUNIT_ASSERT(w.source == CacheLookup::Source::None);
    CPPUNIT_ASSERT_EQUAL(size_t(0), cache.stats().inFlight);
    // The next caller polls again.
    CPPUNIT_ASSERT(cache.get("r1", seconds(0), [](Previous) { return outcome("r1"); }).source ==
                   CacheLookup::Source::Polled);
  }

  void testBackgroundPollJoinsSingleFlight() {
    MetricsCache cache(*clock_, {});
    CPPUNIT_ASSERT(cache.beginPoll("r1"));
    CPPUNIT_ASSERT(!cache.beginPoll("r1"));  // already running: the collector skips it
    auto waiter = std::async(std::launch::async, [&] {
      return cache.get("r1", seconds(20), [](Previous) -> PollOutcome {
        throw std::logic_error("must wait for the background poll");
      });
    });
    auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (cache.stats().waits < 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    auto stored = cache.finishPoll("r1", outcome("r1"));
    CacheLookup l = waiter.get();
    CPPUNIT_ASSERT(l.source == CacheLookup::Source::Waited);
    CPPUNIT_ASSERT(l.entry == stored);
    CPPUNIT_ASSERT(cache.beginPoll("r1"));
    cache.finishPoll("r1", {});
  }

  void testRecentlyRequested() {
    MetricsCache cache(*clock_, {});
    cache.put("background-only", outcome("background-only"));
    auto poll = [](Previous) { return outcome("x"); };
    cache.get("a", milliseconds(0), poll);
    clock_->advance(seconds(50));
    cache.get("b", milliseconds(0), poll);
    clock_->advance(seconds(20));
    std::vector<std::string> recent = cache.recentlyRequested(seconds(60));
    CPPUNIT_ASSERT_EQUAL(size_t(1), recent.size());
    CPPUNIT_ASSERT_EQUAL(std::string("b"), recent[0]);
    recent = cache.recentlyRequested(seconds(120));
    std::sort(recent.begin(), recent.end());
    CPPUNIT_ASSERT_EQUAL(size_t(2), recent.size());
    CPPUNIT_ASSERT_EQUAL(std::string("a"), recent[0]);
  }

  void testEvictAllEraseAndPurge() {
    MetricsCache cache(*clock_, {milliseconds(1000), 10});
    cache.put("a", outcome("a"));
    cache.put("b", outcome("b"));
    CPPUNIT_ASSERT(cache.erase("a"));
    CPPUNIT_ASSERT(!cache.erase("a"));
    CPPUNIT_ASSERT_EQUAL(size_t(1), cache.stats().size);
    cache.evictAll();
    CPPUNIT_ASSERT_EQUAL(size_t(0), cache.stats().size);
    cache.put("c", outcome("c"));
    clock_->advance(milliseconds(600));
    cache.put("d", outcome("d"));
    clock_->advance(milliseconds(500));
    CPPUNIT_ASSERT_EQUAL(size_t(1), cache.purgeExpired());
    CPPUNIT_ASSERT(!cache.peek("c"));
    CPPUNIT_ASSERT(cache.peek("d"));
    CPPUNIT_ASSERT_EQUAL(uint64_t(1), cache.stats().expirations);
  }

  void testStatusOfLookup() {
    MetricsCache cache(*clock_, {});
    CacheLookup l = cache.get("r1", milliseconds(0), [](Previous) { return outcome("r1"); });
    TargetStatus s = l.status("r1", 0.75);
    CPPUNIT_ASSERT(s.live && s.polled && s.up);
    CPPUNIT_ASSERT_EQUAL(size_t(3), s.interfaces);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.5, s.pollDurationSeconds, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(0.75, s.scrapeDurationSeconds, 1e-9);
    clock_->advance(seconds(7));
    l = cache.get("r1", milliseconds(0),
                  [](Previous) -> PollOutcome { throw std::logic_error("hit expected"); });
    s = l.status("r1", 0);
    CPPUNIT_ASSERT(!s.live);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(7.0, s.pollAgeSeconds, 1e-9);
    CPPUNIT_ASSERT_DOUBLES_EQUAL(7.0, *s.dataAgeSeconds, 1e-9);

    TargetStatus unknown = CacheLookup{}.status("nobody", 0);
    CPPUNIT_ASSERT(!unknown.polled && !unknown.up);
  }

 private:
  std::unique_ptr<FakeClock> clock_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(MetricsCacheTest);
