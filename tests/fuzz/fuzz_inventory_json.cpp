// libFuzzer target for the inventory JSON codec: any input either fails with an
// InventoryException or parses into a model that every writer style renders into text that
// parses back to the same model and renders to the same text again. Instants get the same
// treatment through parseInstant/formatInstant.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined ... fuzz_inventory_json.cpp
//   ./fuzz_inventory_json tests/fuzz/corpus/inventory_json
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "inventoryfs/Exceptions.h"
#include "inventoryfs/Inventory.h"
#include "inventoryfs/InventoryJson.h"

using namespace inventoryfs;

namespace {

void checkInstant(std::string_view text) {
  Instant instant;
  try {
    instant = parseInstant(text);
  } catch (const InventoryException&) {
    return;
  }
  const std::string formatted = formatInstant(instant);
  try {
    if (!(parseInstant(formatted) == instant)) {
      abort();
    }
  } catch (const InventoryException&) {
    abort();  // formatInstant wrote something parseInstant refuses
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (size <= 64) {
    checkInstant(text);
  }
  // Strict reading (request bodies) accepts a subset of what lenient reading (files) accepts,
  // with the same result.
  std::optional<Inventory> strict;
  try {
    strict = inventoryFromJson(text, JsonReadOptions{true});
  } catch (const InventoryException&) {
  }
  Inventory inventory;
  try {
    inventory = inventoryFromJson(text);
  } catch (const InventoryException&) {
    if (strict) {
      abort();  // strict accepted what lenient refuses
    }
    return 0;
  }
  if (strict && !(*strict == inventory)) {
    abort();
  }
  JsonWriteOptions options[3];
  options[1].style = JsonStyle::Pretty;
  options[1].typeTwice = true;
  options[2].maskCredentials = true;
  for (const JsonWriteOptions& o : options) {
    const std::string written = inventoryToJson(inventory, o);
    Inventory reread;
    try {
      reread = inventoryFromJson(written);
    } catch (const InventoryException&) {
      abort();  // we wrote something we cannot read
    }
    if (!o.maskCredentials && !(reread == inventory)) {
      abort();
    }
    if (inventoryToJson(reread, o) != written) {
      abort();
    }
  }
  return 0;
}
