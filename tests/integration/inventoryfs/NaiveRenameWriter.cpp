#include "NaiveRenameWriter.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "inventoryfs/Envelope.h"
#include "inventoryfs/InventoryJson.h"

namespace testing {

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint64_t headVersion(const std::string& headPath) {
  return inventoryfs::readHeader(readFile(headPath)).version;
}

}  // namespace

int naiveCommit(const std::string& headPath, const inventoryfs::Keyring& keys,
                const inventoryfs::InventoryStore::Change& change) {
  int conflicts = 0;
  while (true) {
    inventoryfs::Opened opened = inventoryfs::open(readFile(headPath), keys);
    uint64_t version = opened.header.version;
    inventoryfs::Inventory inventory = inventoryfs::inventoryFromJson(opened.plaintext);
    change(inventory);
    inventoryfs::Header header;
    header.version = version + 1;
    header.flags = inventoryfs::kFlagAdminWrite;
    header.inventoryId = opened.header.inventoryId;  // as every writer keeps them
    header.kdf = opened.header.kdf;
    std::string bytes = inventoryfs::sealV2(header, inventoryfs::inventoryToJson(inventory), keys);
    unsigned int r = 0;
    (void)::getrandom(&r, sizeof r, 0);
    std::string temp = headPath + ".naive." + std::to_string(::getpid()) + "." + std::to_string(r);
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || ::write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) ||
        ::fsync(fd) != 0 || ::close(fd) != 0) {
      throw std::runtime_error("naive writer: cannot write " + temp);
    }
    if (headVersion(headPath) != version) {  // "the check": detected, retried
      ::unlink(temp.c_str());
      ++conflicts;
      continue;
    }
    if (::rename(temp.c_str(), headPath.c_str()) != 0) {  // not atomic with the check
      throw std::runtime_error("naive writer: rename failed");
    }
    return conflicts;
  }
}

}  // namespace testing
