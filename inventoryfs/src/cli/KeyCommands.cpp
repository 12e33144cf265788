// rotate-key, decrypt and encrypt: keys and envelopes.
#include <chrono>

#include "InventoryCli.h"
#include "cli/Commands.h"
#include "inventoryfs/Envelope.h"

namespace inventoryfs::cli {

int rotateKey(Session& session) {
  Snapshot before = session.store().load();
  Inventory result;
  CommitResult r = session.store().commitAdmin([&](Inventory& inventory) { result = inventory; });
  if (!session.json()) {
    session.err() << "re-encrypted with key id " << session.keys().current().idHex() << " (was "
                  << (before.format == EnvelopeFormat::V2 ? before.header.keyIdHex() : "a Java key")
                  << "); older versions keep their key until they age out\n";
  }
  return session.reportCommit("rotated", r, &result);
}

int decrypt(Session& session) {
  Opened opened = open(readWholeFile(session.onePositional("FILE")), session.keys());
  std::string text = opened.plaintext;
  if (text.empty() || text.back() != '\n') {
    text += "\n";
  }
  session.writeOutput(session.cl().value("output"), text);
  return kExitOk;
}

int encrypt(Session& session) {
  std::string plain = readWholeFile(session.onePositional("FILE"));
  inventoryFromJson(plain);  // refuse to seal something no reader would accept
  std::string bytes;
  if (session.cl().flag("legacy")) {
    bytes = sealLegacy(plain, session.keys());
  } else {
    Header header;
    header.flags = kFlagAdminWrite;
    header.writerId = newWriterId();
    header.createdAtMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    bytes = sealV2(header, plain, session.keys());
  }
  session.writeOutput(session.cl().value("output"), bytes);
  return kExitOk;
}

}  // namespace inventoryfs::cli
