// history, rollback, verify and watch: the kept versions.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "InventoryCli.h"
#include "Json.h"
#include "cli/Commands.h"
#include "inventoryfs/Envelope.h"
#include "inventoryfs/Exceptions.h"
#include "inventoryfs/InventoryWatcher.h"

namespace inventoryfs::cli {

namespace {

void writeReport(detail::JsonWriter& w, const VersionReport& v) {
  w.beginObject();
  w.key("version");
  w.integer(static_cast<int64_t>(v.version));
  w.key("ok");
  w.boolean(v.ok);
  if (v.ok) {
    w.key("epoch");
    w.integer(static_cast<int64_t>(v.header.epoch));
    w.key("writer");
    w.string(v.header.writerIdHex());
    w.key("admin");
    w.boolean((v.header.flags & kFlagAdminWrite) != 0);
    w.key("keyId");
    w.string(v.header.keyIdHex());
    w.key("format");
    w.integer(v.header.format);
    w.key("inventoryId");
    w.string(v.header.inventoryIdHex());
    w.key("kdf");
    w.string(v.header.kdf.algorithm == Kdf::Scrypt ? "scrypt" : "direct");
    w.key("createdAt");
    w.string(isoTime(v.header.createdAtMs));
    w.key("devices");
    w.integer(static_cast<int64_t>(v.deviceCount));
    w.key("seeds");
    w.integer(static_cast<int64_t>(v.seedCount));
  } else {
    w.key("error");
    w.string(v.error);
  }
  w.endObject();
}

}  // namespace

int history(Session& session) {
  std::ostream& out = session.out();
  std::vector<VersionReport> reports = session.store().verify();
  if (session.json()) {
    std::string s;
    detail::JsonWriter w(s, false);
    w.beginArray();
    for (const VersionReport& v : reports) {
      writeReport(w, v);
    }
    w.endArray();
    out << s << "\n";
    return kExitOk;
  }
  if (!reports.empty() && reports.back().ok) {
    const Header& newest = reports.back().header;
    out << "# inventory "
        << (newest.hasInventoryId() ? newest.inventoryIdHex() : "(none: format 2)") << "\n";
  }
  std::vector<std::vector<std::string>> rows = {
      {"VERSION", "EPOCH", "WRITER", "KEY", "CREATED", "DEVICES", "SEEDS", "STATUS"}};
  for (const VersionReport& v : reports) {
    if (v.ok) {
      bool admin = (v.header.flags & kFlagAdminWrite) != 0;
      rows.push_back({std::to_string(v.version), std::to_string(v.header.epoch),
                      v.header.writerIdHex().substr(0, 8) + (admin ? " (admin)" : ""),
                      v.header.keyIdHex(), isoTime(v.header.createdAtMs),
                      std::to_string(v.deviceCount), std::to_string(v.seedCount), "ok"});
    } else {
      rows.push_back({std::to_string(v.version), "-", "-", "-", "-", "-", "-", v.error});
    }
  }
  session.printTable(rows);
  return kExitOk;
}

int rollback(Session& session) {
  const CommandLine& cl = session.cl();
  if (!cl.value("to")) {
    throw UsageError{"rollback: --to N is required"};
  }
  uint64_t to = static_cast<uint64_t>(cl.integer("to", 0, 1, INT64_MAX));
  InventoryStore& store = session.store();
  if (!store.slots().slotExists(to)) {
    throw DataException("version " + std::to_string(to) +
                        " is not kept (`history` lists the kept versions)");
  }
  Snapshot old = store.readVersion(to);
  CommitResult r = store.commitAdmin([&](Inventory& inventory) { inventory = old.inventory; });
  return session.reportCommit("rolled back to the content of v" + std::to_string(to), r,
                              &old.inventory);
}

int verify(Session& session) {
  std::ostream& out = session.out();
  std::vector<std::string> errors;
  std::vector<VersionReport> reports = session.store().verify(&errors);
  // The newest version must also be what a reader gets through the head.
  try {
    session.store().load();
  } catch (const InventoryException& e) {
    errors.push_back("reading the newest version: " + e.displayText());
  }
  if (session.json()) {
    std::string s;
    detail::JsonWriter w(s, false);
    w.beginObject();
    w.key("ok");
    w.boolean(errors.empty());
    w.key("versions");
    w.beginArray();
    for (const VersionReport& v : reports) {
      writeReport(w, v);
    }
    w.endArray();
    w.key("errors");
    w.beginArray();
    for (const std::string& e : errors) {
      w.string(e);
    }
    w.endArray();
    w.endObject();
    out << s << "\n";
  } else if (errors.empty()) {
    out << "ok: " << reports.size() << " versions v" << reports.front().version << "..v"
        << reports.back().version << ", epochs " << reports.front().header.epoch << ".."
        << reports.back().header.epoch << ", tags verified, chain complete, nonces unique\n";
  } else {
    for (const std::string& e : errors) {
      session.err() << "verify: " << e << "\n";
    }
  }
  return errors.empty() ? kExitOk : kExitData;
}

int watch(Session& session) {
  const CommandLine& cl = session.cl();
  std::ostream& out = session.out();
  std::ostream& err = session.err();
  auto interval = std::chrono::milliseconds(cl.integer("interval", 1000, 10, 3600000));
  int64_t count = cl.integer("count", 0, 0, INT64_MAX);
  static std::atomic<bool> stop{false};
  struct sigaction sa {};
  sa.sa_handler = [](int) { stop = true; };
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  int64_t seen = 0;
  std::string lastError;
  InventoryWatcher watcher(
      session.store(), interval,
      {[&](const Snapshot& s) {
         ++seen;
         out << isoTime(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count())
             << " version=" << s.version << " epoch=" << s.epoch
             << " devices=" << s.inventory.devices.size()
             << " seeds=" << s.inventory.discoverySeeds.size() << std::endl;
         lastError.clear();
       },
       [&](const std::string& error, ShareProblem problem) {
         if (error != lastError) {  // say it when it changes, not every poll
           err << "watch: " << error << " (share " << shareProblemName(problem)
               << "; keeping the last good version)" << std::endl;
           lastError = error;
         }
       },
       [&] {
         if (!lastError.empty()) {
           err << "watch: the share is readable again" << std::endl;
           lastError.clear();
         }
       }});
  while (!stop && (count == 0 || seen < count)) {
    watcher.pollOnce();
    for (auto waited = std::chrono::milliseconds(0); waited < interval && !stop;
         waited += std::chrono::milliseconds(10)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return kExitOk;
}

}  // namespace inventoryfs::cli
