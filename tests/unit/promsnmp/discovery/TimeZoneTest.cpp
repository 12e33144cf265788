// Tests of TimeZone: offsets read from the host's /usr/share/zoneinfo agree with `TZ=... date`
// (the expected values below were produced with it on Debian 12, tzdata 2025b), the POSIX footer
// rule takes over after the last transition (2040, 2100 and 2200 instants; a zone given only by
// its rule), local times map onto gaps and overlaps, and bad names or data are rejected with the
// path. The transitions come from date/tz; where it sees zones differently from the file system
// (names it leaves out, spellings of a path) the tests below say so.
#include "discovery/TimeZone.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Exception.h>
#include <cppunit/TestFixture.h>
#include <cppunit/extensions/HelperMacros.h>

using namespace promsnmp;
using namespace std::chrono;

namespace {

TimeZone::TimePoint epoch(std::int64_t s) { return TimeZone::TimePoint{seconds{s}}; }

/// UTC offset at epoch second `s`, in seconds.
long offset(const TimeZone& zone, std::int64_t s) {
  return static_cast<long>(zone.utcOffsetAt(epoch(s)).count());
}

long hm(int h, int m, int s = 0) {
  return h < 0 ? -(-h * 3600L + m * 60L + s) : h * 3600L + m * 60L + s;
}

local_seconds local(int y, unsigned mo, unsigned d, int h, int mi, int s = 0) {
  return local_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}

std::int64_t epochOf(sys_seconds t) { return t.time_since_epoch().count(); }

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

/// A temporary directory removed with its contents at the end of the scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tztest.XXXXXX").string();
    CPPUNIT_ASSERT(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  void write(const std::string& name, const std::string& data) const {
    std::ofstream(path_ + "/" + name, std::ios::binary) << data;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

template <typename E, typename F>
std::string messageOf(F f) {
  try {
    f();
  } catch (const E& e) {
    return e.displayText();
  }
  CPPUNIT_FAIL("expected exception not thrown");
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

class TimeZoneTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(TimeZoneTest);
  CPPUNIT_TEST(testNewYorkOffsetsMatchDate);
  CPPUNIT_TEST(testFooterRuleAfterLastTransition);
  CPPUNIT_TEST(testNonHourOffsets);
  CPPUNIT_TEST(testLordHoweHalfHourDaylightSaving);
  CPPUNIT_TEST(testLocalMeanTimeBeforeFirstTransition);
  CPPUNIT_TEST(testUtc);
  CPPUNIT_TEST(testToLocal);
  CPPUNIT_TEST(testFromLocalUniqueGapOverlap);
  CPPUNIT_TEST(testFromLocalSouthernAndHalfHour);
  CPPUNIT_TEST(testFarFutureAndPast);
  CPPUNIT_TEST(testFooterOnlyData);
  CPPUNIT_TEST(testBadFooterRejected);
  CPPUNIT_TEST(testRejectsUnsafeNames);
  CPPUNIT_TEST(testMissingZoneNamesPath);
  CPPUNIT_TEST(testOnlyDatabaseNames);
  CPPUNIT_TEST(testLinksLoad);
  CPPUNIT_TEST(testBadDataNamesPath);
  CPPUNIT_TEST(testConcurrentConstUse);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testNewYorkOffsetsMatchDate() {
    TimeZone ny = TimeZone::load("America/New_York");
    CPPUNIT_ASSERT_EQUAL(std::string("America/New_York"), ny.name());
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 1768478400));  // 2026-01-15T12:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 1784116800));  // 2026-07-15T12:00Z
    // 2026-03-08 02:00 EST -> 03:00 EDT at 07:00Z; 2026-11-01 02:00 EDT -> 01:00 EST at 06:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 1772953200 - 1));
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 1772953200));
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 1793512800 - 1));
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 1793512800));
  }

  void testFooterRuleAfterLastTransition() {
    // Debian's files are "fat" (transitions listed to 2037), so 2040 comes from the footer
    // "EST5EDT,M3.2.0,M11.1.0": 2040-03-11 07:00Z and 2040-11-04 06:00Z per `date`.
    TimeZone ny = TimeZone::load("America/New_York");
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 2210241600));  // 2040-01-15T12:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 2225966400));  // 2040-07-15T12:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 2215061999));
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 2215062000));
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 2235621599));
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 2235621600));
    TimeZone berlin = TimeZone::load("Europe/Berlin");
    CPPUNIT_ASSERT_EQUAL(hm(1, 0), offset(berlin, 2210241600));
    CPPUNIT_ASSERT_EQUAL(hm(2, 0), offset(berlin, 2225966400));
  }

  void testNonHourOffsets() {
    TimeZone kolkata = TimeZone::load("Asia/Kolkata");
    CPPUNIT_ASSERT_EQUAL(hm(5, 30), offset(kolkata, 1768478400));
    CPPUNIT_ASSERT_EQUAL(hm(5, 30), offset(kolkata, 1784116800));
    CPPUNIT_ASSERT_EQUAL(hm(5, 30), offset(kolkata, 2225966400));  // 2040
    TimeZone saoPaulo = TimeZone::load("America/Sao_Paulo");       // no DST since 2019
    CPPUNIT_ASSERT_EQUAL(hm(-3, 0), offset(saoPaulo, 1768478400));
    CPPUNIT_ASSERT_EQUAL(hm(-3, 0), offset(saoPaulo, 2210241600));
  }

  void testLordHoweHalfHourDaylightSaving() {
    TimeZone lordHowe = TimeZone::load("Australia/Lord_Howe");
    CPPUNIT_ASSERT_EQUAL(hm(11, 0), offset(lordHowe, 1768478400));   // 2026-01-15
    CPPUNIT_ASSERT_EQUAL(hm(10, 30), offset(lordHowe, 1784116800));  // 2026-07-15
    // 2026-04-05 02:00 +11 -> 01:30 +10:30; 2026-10-04 02:00 +10:30 -> 02:30 +11
    CPPUNIT_ASSERT_EQUAL(hm(11, 0), offset(lordHowe, 1775314799));
    CPPUNIT_ASSERT_EQUAL(hm(10, 30), offset(lordHowe, 1775314800));
    CPPUNIT_ASSERT_EQUAL(hm(10, 30), offset(lordHowe, 1791041399));
    CPPUNIT_ASSERT_EQUAL(hm(11, 0), offset(lordHowe, 1791041400));
    // 2040, from the footer "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"
    CPPUNIT_ASSERT_EQUAL(hm(11, 0), offset(lordHowe, 2210241600));
    CPPUNIT_ASSERT_EQUAL(hm(10, 30), offset(lordHowe, 2225966400));
    CPPUNIT_ASSERT_EQUAL(hm(11, 0), offset(lordHowe, 2216818799));
    CPPUNIT_ASSERT_EQUAL(hm(10, 30), offset(lordHowe, 2216818800));
    CPPUNIT_ASSERT_EQUAL(hm(10, 30), offset(lordHowe, 2233150199));
    CPPUNIT_ASSERT_EQUAL(hm(11, 0), offset(lordHowe, 2233150200));
  }

  void testLocalMeanTimeBeforeFirstTransition() {
    // 1900-01-01T00:00Z: `date` shows +05:21:10 (Kolkata) and -03:06:28 (Sao Paulo).
    CPPUNIT_ASSERT_EQUAL(hm(5, 21, 10), offset(TimeZone::load("Asia/Kolkata"), -2208988800));
    CPPUNIT_ASSERT_EQUAL(hm(-3, 6, 28), offset(TimeZone::load("America/Sao_Paulo"), -2208988800));
  }

  void testUtc() {
    TimeZone loaded = TimeZone::load("UTC");
    TimeZone builtIn = TimeZone::utc();
    CPPUNIT_ASSERT_EQUAL(std::string("UTC"), builtIn.name());
    for (std::int64_t s : {-2208988800LL, 0LL, 1768478400LL, 2225966400LL}) {
      CPPUNIT_ASSERT_EQUAL(0L, offset(loaded, s));
      CPPUNIT_ASSERT_EQUAL(0L, offset(builtIn, s));
    }
  }

  void testToLocal() {
    TimeZone ny = TimeZone::load("America/New_York");
    // 2026-07-15T12:00:00.9Z is 08:00:00 EDT; sub-seconds are truncated
    auto t = epoch(1784116800) + milliseconds{900};
    CPPUNIT_ASSERT(ny.toLocal(t) == local(2026, 7, 15, 8, 0));
    CPPUNIT_ASSERT(TimeZone::load("Asia/Kolkata").toLocal(t) == local(2026, 7, 15, 17, 30));
  }

  void testFromLocalUniqueGapOverlap() {
    TimeZone ny = TimeZone::load("America/New_York");
    using Kind = TimeZone::LocalMapping::Kind;

    auto unique = ny.fromLocal(local(2026, 3, 7, 2, 0));
    CPPUNIT_ASSERT(unique.kind == Kind::Unique);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1772866800}, epochOf(unique.first));

    // 02:30 on 2026-03-08 does not exist; the gap ends at 03:00 EDT = 07:00Z
    auto gap = ny.fromLocal(local(2026, 3, 8, 2, 30));
    CPPUNIT_ASSERT(gap.kind == Kind::Gap);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1772953200}, epochOf(gap.first));

    // 01:30 on 2026-11-01 happens at 05:30Z (EDT) and 06:30Z (EST)
    auto overlap = ny.fromLocal(local(2026, 11, 1, 1, 30));
    CPPUNIT_ASSERT(overlap.kind == Kind::Overlap);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1793511000}, epochOf(overlap.first));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1793514600}, epochOf(overlap.second));

    // the same in 2040, from the footer rule
    CPPUNIT_ASSERT(ny.fromLocal(local(2040, 3, 11, 2, 0)).kind == Kind::Gap);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{2215062000},
                         epochOf(ny.fromLocal(local(2040, 3, 11, 2, 59, 59)).first));
    CPPUNIT_ASSERT(ny.fromLocal(local(2040, 11, 4, 1, 0)).kind == Kind::Overlap);
    CPPUNIT_ASSERT(ny.fromLocal(local(2040, 11, 4, 2, 0)).kind == Kind::Unique);
  }

  void testFromLocalSouthernAndHalfHour() {
    TimeZone lordHowe = TimeZone::load("Australia/Lord_Howe");
    using Kind = TimeZone::LocalMapping::Kind;
    auto gap = lordHowe.fromLocal(local(2026, 10, 4, 2, 15));  // 02:00-02:30 skipped
    CPPUNIT_ASSERT(gap.kind == Kind::Gap);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1791041400}, epochOf(gap.first));
    CPPUNIT_ASSERT(lordHowe.fromLocal(local(2026, 10, 4, 2, 30)).kind == Kind::Unique);
    auto overlap = lordHowe.fromLocal(local(2026, 4, 5, 1, 45));  // 01:30-02:00 twice
    CPPUNIT_ASSERT(overlap.kind == Kind::Overlap);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1775313900}, epochOf(overlap.first));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1775315700}, epochOf(overlap.second));
    auto kolkata = TimeZone::load("Asia/Kolkata").fromLocal(local(2026, 6, 1, 2, 0));
    CPPUNIT_ASSERT(kolkata.kind == Kind::Unique);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{1780259400}, epochOf(kolkata.first));
  }

  void testFarFutureAndPast() {
    // 2100 and 2200 from the footer (system_clock ends in 2262), 1800 before the first transition
    // (local mean time -4:56:02), all per `date` and `zdump -v`.
    TimeZone ny = TimeZone::load("America/New_York");
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 4103697600));  // 2100-01-15T12:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 4119336000));  // 2100-07-15T12:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 4108690800 - 1));
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 4108690800));  // 2100-03-14T07:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 4129250400 - 1));
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 4129250400));       // 2100-11-07T06:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(ny, 7259371200));       // 2200-01-15T12:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(ny, 7275009600));       // 2200-07-15T12:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-4, 56, 2), offset(ny, -5364662400));  // 1800-01-01T00:00Z
    // Nuuk's footer "<-02>2<-01>,M3.5.0/-1,M10.5.0/0" has a negative rule time (RFC 8536 3.3.1),
    // which date/tz's own Posix::time_zone (3.0.1) cannot read.
    TimeZone nuuk = TimeZone::load("America/Nuuk");
    CPPUNIT_ASSERT_EQUAL(hm(-2, 0), offset(nuuk, 2216250000 - 1));
    CPPUNIT_ASSERT_EQUAL(hm(-1, 0), offset(nuuk, 2216250000));  // 2040-03-25T01:00Z
    CPPUNIT_ASSERT_EQUAL(hm(-1, 0), offset(nuuk, 2234998800 - 1));
    CPPUNIT_ASSERT_EQUAL(hm(-2, 0), offset(nuuk, 2234998800));  // 2040-10-28T01:00Z
    // 2100's gap and overlap in local time: 02:30 on 03-14 skipped, 01:30 on 11-07 twice.
    const auto gap = ny.fromLocal(local(2100, 3, 14, 2, 30));
    const auto twice = ny.fromLocal(local(2100, 11, 7, 1, 30));
    using Kind = TimeZone::LocalMapping::Kind;
    CPPUNIT_ASSERT(gap.kind == Kind::Gap && twice.kind == Kind::Overlap);
    CPPUNIT_ASSERT_EQUAL(std::int64_t{4108690800}, epochOf(gap.first));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{4129250400 - 1800}, epochOf(twice.first));
    CPPUNIT_ASSERT_EQUAL(std::int64_t{4129250400 + 1800}, epochOf(twice.second));
  }

  void testFooterOnlyData() {
    // No transitions at all: every instant comes from the rule, as in a "slim" file.
    TimeZone us = TimeZone::fromPosixRule("Test/US", "EST5EDT,M3.2.0,M11.1.0");
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(us, 1768478400));
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(us, 1784116800));
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(us, 1772953200 - 1));
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(us, 1772953200));
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(us, 1793512800 - 1));
    CPPUNIT_ASSERT_EQUAL(hm(-5, 0), offset(us, 1793512800));

    TimeZone india = TimeZone::fromPosixRule("Test/IN", "<+0530>-5:30");
    CPPUNIT_ASSERT_EQUAL(hm(5, 30), offset(india, 2225966400));

    TimeZone lordHowe = TimeZone::fromPosixRule("Test/LH", "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
    CPPUNIT_ASSERT_EQUAL(hm(11, 0), offset(lordHowe, 1775314799));
    CPPUNIT_ASSERT_EQUAL(hm(10, 30), offset(lordHowe, 1775314800));
    CPPUNIT_ASSERT_EQUAL(hm(10, 30), offset(lordHowe, 1791041399));
    CPPUNIT_ASSERT_EQUAL(hm(11, 0), offset(lordHowe, 1791041400));

    // Julian-day rules and explicit times: DST from day 60 (Mar 1) 02:00 to J300 (Oct 27) 03:00
    TimeZone julian = TimeZone::fromPosixRule("Test/J", "AAA0BBB,J60/2,J300/3");
    // 2026-03-01T01:59:59Z / 02:00:00Z
    CPPUNIT_ASSERT_EQUAL(0L, offset(julian, 1772330399));
    CPPUNIT_ASSERT_EQUAL(hm(1, 0), offset(julian, 1772330400));
    // 2026-10-27 03:00 BBB = 02:00Z
    CPPUNIT_ASSERT_EQUAL(hm(1, 0), offset(julian, 1793066400 - 1));
    CPPUNIT_ASSERT_EQUAL(0L, offset(julian, 1793066400));
  }

  void testBadFooterRejected() {
    for (const std::string footer : {"EST5EDT", "E5", "EST5EDT,M3.2.0", "EST5EDT,M13.1.0,M1.1.0",
                                     "<+05", "EST5EDT,M3.2.0,M11.1.0x"}) {
      std::string text = messageOf<Poco::DataFormatException>(
          [&] { TimeZone::fromPosixRule("Test/Bad", footer); });
      CPPUNIT_ASSERT_MESSAGE(footer + ": " + text, contains(text, "Test/Bad"));
    }
  }

  void testRejectsUnsafeNames() {
    for (const std::string name : {"", "/etc/localtime", "../../etc/passwd", "America/../UTC"}) {
      std::string text = messageOf<Poco::InvalidArgumentException>([&] { TimeZone::load(name); });
      CPPUNIT_ASSERT_MESSAGE(text, contains(text, "invalid time zone name"));
    }
  }

  void testMissingZoneNamesPath() {
    std::string text =
        messageOf<Poco::NotFoundException>([] { TimeZone::load("Mars/Olympus_Mons"); });
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "/usr/share/zoneinfo/Mars/Olympus_Mons"));
    text = messageOf<Poco::NotFoundException>([] { TimeZone::load("America"); });  // a directory
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, "/usr/share/zoneinfo/America"));
  }

  void testOnlyDatabaseNames() {
    // date/tz knows the names it found under /usr/share/zoneinfo, minus the posix/ and right/
    // copies and the files that are not zones: another spelling of a path, a POSIX TZ string or
    // glibc's ":name" form of TZ is no zone, where the old reader opened any file.
    for (const std::string name :
         {"America/./New_York", "America//New_York", "america/new_york", "posix/Europe/Berlin",
          "right/UTC", "posixrules", "Factory", "zone.tab", "EST5EDT,M3.2.0,M11.1.0",
          ":America/New_York", "America/New_York/"}) {
      std::string text = messageOf<Poco::NotFoundException>([&] { TimeZone::load(name); });
      CPPUNIT_ASSERT_MESSAGE(text, contains(text, "/usr/share/zoneinfo/" + name));
    }
  }

  void testLinksLoad() {
    // Links (symbolic in Debian's tzdata) are zones of their own name with the target's rules.
    TimeZone eastern = TimeZone::load("US/Eastern");
    CPPUNIT_ASSERT_EQUAL(std::string("US/Eastern"), eastern.name());
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(eastern, 1784116800));
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(eastern, 2225966400));  // 2040, from the footer
    CPPUNIT_ASSERT_EQUAL(hm(2, 0), offset(TimeZone::load("Etc/GMT-2"), 1784116800));
  }

  void testBadDataNamesPath() {
    TempDir dir;
    dir.write("Garbage", "this is not a time zone file at all, not even close to one.......");
    std::string ny = readFile("/usr/share/zoneinfo/America/New_York");
    dir.write("Truncated", ny.substr(0, ny.size() / 2));
    dir.write("NoFooterNewline", ny.substr(0, ny.size() - 1));
    dir.write("Good", ny);
    // date/tz reads only /usr/share/zoneinfo; what TimeZone reads itself is the footer.
    for (const std::string name : {"Garbage", "Truncated", "NoFooterNewline"}) {
      std::string path = dir.path() + "/" + name;
      std::string text = messageOf<Poco::DataFormatException>([&] { TimeZone::readFooter(path); });
      CPPUNIT_ASSERT_MESSAGE(text, contains(text, path));
    }
    std::string footer = TimeZone::readFooter(dir.path() + "/Good");
    CPPUNIT_ASSERT_EQUAL(std::string("EST5EDT,M3.2.0,M11.1.0"), footer);
    CPPUNIT_ASSERT_EQUAL(hm(-4, 0), offset(TimeZone::fromPosixRule("Good", footer), 1784116800));
    std::string text =
        messageOf<Poco::NotFoundException>([&] { TimeZone::readFooter(dir.path() + "/Missing"); });
    CPPUNIT_ASSERT_MESSAGE(text, contains(text, dir.path() + "/Missing"));
  }

  void testConcurrentConstUse() {
    const TimeZone zone = TimeZone::load("Australia/Lord_Howe");
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&zone, &failures, i] {
        for (int n = 0; n < 2000; ++n) {
          if (offset(zone, 1791041400) != hm(11, 0) || offset(zone, 2216818800) != hm(10, 30) ||
              zone.fromLocal(local(2026, 10, 4, 2, 15)).first != sys_seconds{seconds{1791041400}}) {
            ++failures[i];
          }
        }
      });
    }
    for (auto& t : threads) {
      t.join();
    }
    for (int f : failures) {
      CPPUNIT_ASSERT_EQUAL(0, f);
    }
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(TimeZoneTest);
