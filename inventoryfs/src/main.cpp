// promsnmp-inventory: the operator's CLI for the shared inventory (see InventoryCli.h).
#include <iostream>

#include "InventoryCli.h"
#include "inventoryfs/Keyring.h"

int main(int argc, char** argv) {
  inventoryfs::InventoryCli cli(inventoryfs::Keyring::processEnvironment(), std::cout, std::cerr);
  return cli.run(std::vector<std::string>(argv + 1, argv + argc));
}
