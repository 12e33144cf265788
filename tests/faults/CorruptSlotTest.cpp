// F-11 and F-13 of the fault catalog (election-and-shared-file.md §7.3) against two real daemons
// (a standalone leader and a PROMSNMP_ROLE=follower) sharing one inventory directory:
//   F-11 | Truncated head (random length, 0 bytes, header only) | `truncate -s` on the newest slot
//        | Readers reject (tag/length) and keep last good (I8, I10); leader refuses to write over
//        | an unreadable head and alarms
//   F-13 | Bit flips / chunk copy / old chunk restore | Jepsen-style corrupt-file on the head
//        | Tag failure → reject (I8)
// The bad file is put where a reader looks for the newest version: as the next slot v<N+1>
// (a torn or corrupted write seen by readers already at N), or in place of the head (the head is
// a hard link to v<N>, so both change) for readers that (re)start on it.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <random>

#include <cppunit/extensions/HelperMacros.h>

#include "FaultHelpers.h"

using namespace faults;
using testing::Daemon;

class CorruptSlotTest : public TwoDaemonFixture {
  CPPUNIT_TEST_SUITE(CorruptSlotTest);
  CPPUNIT_TEST(testF11TruncatedNewestSlot_I8_I10);
  CPPUNIT_TEST(testF11TruncatedHeadInPlace_I8_I10);
  CPPUNIT_TEST(testF13BitFlipsAndChunkCopy_I8_I10);
  CPPUNIT_TEST_SUITE_END();

 public:
  // F-11 on the next slot: random length, 0 bytes, header only (its 128 bytes). I8: no reader
  // accepts a file failing the length check; I10: the error never becomes an empty inventory.
  void testF11TruncatedNewestSlot_I8_I10() {
    name_ = "testF11TruncatedNewestSlot_I8_I10";
    std::string full = validNext();
    std::uniform_int_distribution<size_t> length(inventoryfs::readHeader(full).size() + 1,
                                                 full.size() - 1);
    size_t cut = length(rng_);
    injectNext("F-11 v<N+1> truncated to " + std::to_string(cut) + " of " +
                   std::to_string(full.size()) + " bytes",
               full.substr(0, cut));
    injectNext("F-11 v<N+1> of 0 bytes", "");
    injectNext("F-11 v<N+1> header only", full.substr(0, inventoryfs::readHeader(full).size()));
    injectNext("F-11 v<N+1> half a header",
               full.substr(0, inventoryfs::readHeader(full).size() / 2));
  }

  // F-11 as `truncate -s` on the head itself (the same inode as v<N>). Running readers already
  // hold N; the leader must refuse to write over it and alarm; a follower restarted on it must
  // serve its local replica of N (I10), say why, and never an empty inventory.
  void testF11TruncatedHeadInPlace_I8_I10() {
    name_ = "testF11TruncatedHeadInPlace_I8_I10";
    uint64_t n = site_->newest();
    std::string full = readBytes(site_->head());
    std::uniform_int_distribution<size_t> length(inventoryfs::readHeader(full).size() + 1,
                                                 full.size() - 1);
    std::string unalarmed;  // checked after every length ran
    for (size_t cut : {length(rng_), size_t{0}, inventoryfs::readHeader(full).size()}) {
      std::string what = "F-11 head truncated in place to " + std::to_string(cut) + " bytes";
      CPPUNIT_ASSERT_EQUAL(0, ::truncate(site_->head().c_str(), static_cast<off_t>(cut)));
      // Running readers keep N.
      for (const Daemon* d : {leader_.get(), follower_.get()}) {
        Seen r = observe(*d);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I9", good_.version, r.version);
        CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I10", good_.targets, r.targets);
      }
      // A follower restarted on the broken head: local replica, alarm, never empty.
      follower_.reset();
      follower_ = site_->start("follower", "follower");
      Seen f = observe(*follower_);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I10: restarted follower", good_.version, f.version);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what + " I10: restarted follower", good_.targets, f.targets);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": restarted follower metric", std::string("1"),
                                   f.failing);
      CPPUNIT_ASSERT_MESSAGE(what + ": " + f.health,
                             contains(f.health, "\"source\":\"local replica\""));
      CPPUNIT_ASSERT_MESSAGE(what + ": " + f.health, contains(f.health, "\"error\""));
      size_t logBefore = leader_->log().size();

      testing::HttpAnswer post = postInventory(leader_->port(), inventoryJson("overwrite", 1));
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": leader wrote over an unreadable head: " + post.body,
                                   503, post.status);
      CPPUNIT_ASSERT_EQUAL_MESSAGE(what + ": a new slot appeared", n, site_->newest());
      // The leader alarms: log, metric or health detail (house rule: say what is wrong).
      bool alarmed = testing::eventually(3, [&] {
        Seen s = observe(*leader_);
        return s.failing == "1" || contains(s.health, "\"error\"") ||
               leader_->log().size() > logBefore;
      });
      if (!alarmed) {
        Seen s = observe(*leader_);
        unalarmed += "\n" + what + ": the leader refused (503) but raised no alarm: metric " +
                     s.failing + ", health " + s.health + ", log unchanged";
      }
      // Repair (the operator restores the bytes) before the next length.
      rewriteInPlace(site_->head(), full);
    }
    CPPUNIT_ASSERT_MESSAGE(unalarmed, unalarmed.empty());
  }

  // F-13: single bit flips in the header (AAD), the ciphertext and the tag; a chunk copied in
  // from the previous version at the same offset; an old chunk of an earlier write of the same
  // slot restored. Every one fails the GCM tag (I8) and changes nothing served (I10).
  void testF13BitFlipsAndChunkCopy_I8_I10() {
    name_ = "testF13BitFlipsAndChunkCopy_I8_I10";
    std::string full = validNext();
    const size_t h = inventoryfs::readHeader(full).size();
    const size_t tag = full.size() - inventoryfs::kTagSize;
    auto flip = [&](size_t lo, size_t hi, const std::string& region) {
      std::uniform_int_distribution<size_t> at(lo, hi - 1);
      std::uniform_int_distribution<int> bit(0, 7);
      size_t i = at(rng_);
      int b = bit(rng_);
      std::string bad = full;
      bad[i] = static_cast<char>(bad[i] ^ (1 << b));
      injectNext("F-13 bit " + std::to_string(b) + " of byte " + std::to_string(i) + " (" + region +
                     ") flipped",
                 bad);
    };
    flip(56, 68, "header: nonce");  // AAD
    flip(16, 32, "header: version/epoch");
    flip(h, tag, "ciphertext");
    flip(tag, full.size(), "tag");

    // Chunk copy: bytes of v<N> (another valid file under the same key) over the same range.
    std::string previous = readBytes(site_->slotPath(site_->newest()));
    size_t len = std::min(previous.size(), full.size()) - h - inventoryfs::kTagSize;
    std::string spliced = full;
    spliced.replace(h, len / 2, previous.substr(h, len / 2));
    injectNext("F-13 first half of the ciphertext copied from v<N>", spliced);

    // Old chunk restore: a second write of the same slot with one chunk of the first put back.
    std::string second = validNext("next");
    std::string restored = second;
    size_t chunk = std::min<size_t>(32, second.size() - h - inventoryfs::kTagSize);
    restored.replace(h, chunk, full.substr(h, chunk));
    CPPUNIT_ASSERT(restored != second);
    injectNext("F-13 old chunk restored into a rewrite of v<N+1>", restored);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(CorruptSlotTest);
