#include "collection/ModuleScrape.h"

#include <cppunit/extensions/HelperMacros.h>

#include "inventory/InventoryState.h"

using namespace promsnmp;

namespace {

inventoryfs::Device device(const std::string& name, const std::string& address, uint16_t port,
                           const std::string& community) {
  inventoryfs::Device d;
  d.sysName = name;
  inventoryfs::Agent a;
  a.version = 1;
  a.endpoint = inventoryfs::Endpoint{address, port};
  a.readCommunity = community;
  d.agents.push_back(a);
  d.primaryAgent = a;
  return d;
}

InventoryView view() {
  InventoryView v;
  v.version = 7;
  v.inventory.devices = {device("core1", "192.0.2.1", 161, "inv-secret"),
                         device("edge2", "192.0.2.2", 1161, "edge-secret")};
  v.index();
  return v;
}

ModuleSet moduleSet() {
  ModuleSet set;
  for (const char* name : {"if_mib", "system", "hrStorage"}) {
    auto m = std::make_shared<Module>();
    m->name = name;
    set.modules[name] = m;
  }
  auto old = std::make_shared<Module>();
  old->name = "old_format";
  ModuleAuth embedded;
  embedded.version = 1;
  embedded.community = common::Secret("from-module");
  old->embeddedAuth = embedded;
  set.modules["old_format"] = old;
  ModuleAuth v2;
  v2.name = "public_v2";
  set.auths["public_v2"] = v2;
  ModuleAuth other;
  other.name = "other";
  other.version = 2;
  other.community = common::Secret("other-secret");
  set.auths["other"] = other;
  return set;
}

ModuleScrapeRequest request(const std::string& target, std::vector<std::string> modules) {
  ModuleScrapeRequest r;
  r.target = target;
  r.modules = std::move(modules);
  return r;
}

}  // namespace

class ModuleScrapeTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ModuleScrapeTest);
  CPPUNIT_TEST(testModulesSplitDedupedAndSortedIntoTheKey);
  CPPUNIT_TEST(testUnknownModuleOrAuthIs400);
  CPPUNIT_TEST(testInventoryDeviceUsesInventoryCredentialsUnlessAuthGiven);
  CPPUNIT_TEST(testUnlistedTargetRefusedUnlessAllowed);
  CPPUNIT_TEST(testUnlistedTargetSyntax);
  CPPUNIT_TEST(testUnlistedTargetAuthChoice);
  CPPUNIT_TEST(testContextOverride);
  CPPUNIT_TEST(testDeviceModulesResolveAsTheExplicitScrape);
  CPPUNIT_TEST(testDeviceWithoutModulesHasNoSet);
  CPPUNIT_TEST(testDeviceUnknownModulesLeftOutAndKeyed);
  CPPUNIT_TEST(testDeviceUnknownAuthOrNoModuleDefinedPollsNothing);
  CPPUNIT_TEST_SUITE_END();

 public:
  void testModulesSplitDedupedAndSortedIntoTheKey() {
    InventoryView v = view();
    ModuleSet set = moduleSet();
    // snmp_exporter: `module` comma-separated or repeated, duplicates removed (main.go).
    auto r = resolveModuleScrape(request("core1", {"system,if_mib", "system", ",if_mib"}), v, set,
                                 false);
    CPPUNIT_ASSERT(r.spec);
    CPPUNIT_ASSERT_EQUAL(size_t(2), r.spec->modules.size());
    CPPUNIT_ASSERT_EQUAL(std::string("if_mib"), r.spec->modules[0]->name);
    CPPUNIT_ASSERT_EQUAL(std::string("system"), r.spec->modules[1]->name);
    auto same = resolveModuleScrape(request("192.0.2.1", {"if_mib", "system"}), v, set, false);
    CPPUNIT_ASSERT_EQUAL(r.spec->key, same.spec->key);  // one device, one cache entry
    auto other = resolveModuleScrape(request("core1", {"if_mib"}), v, set, false);
    CPPUNIT_ASSERT(other.spec->key != r.spec->key);
    CPPUNIT_ASSERT_EQUAL(400, resolveModuleScrape(request("core1", {","}), v, set, false).status);
  }

  void testUnknownModuleOrAuthIs400() {
    InventoryView v = view();
    ModuleSet set = moduleSet();
    auto r = resolveModuleScrape(request("core1", {"if_mib,nope"}), v, set, true);
    CPPUNIT_ASSERT(!r.spec);
    CPPUNIT_ASSERT_EQUAL(400, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("Unknown module 'nope'"), r.error);
    auto q = request("core1", {"if_mib"});
    q.auth = "missing";
    r = resolveModuleScrape(q, v, set, true);
    CPPUNIT_ASSERT_EQUAL(400, r.status);
    CPPUNIT_ASSERT_EQUAL(std::string("Unknown auth 'missing'"), r.error);
  }

  void testInventoryDeviceUsesInventoryCredentialsUnlessAuthGiven() {
    InventoryView v = view();
    ModuleSet set = moduleSet();
    auto r = resolveModuleScrape(request("edge2", {"if_mib"}), v, set, false);
    CPPUNIT_ASSERT(r.spec);
    CPPUNIT_ASSERT_EQUAL(std::string("edge2"), r.spec->device);
    CPPUNIT_ASSERT_EQUAL(std::string("edge-secret"), r.spec->target.community);
    CPPUNIT_ASSERT_EQUAL(uint16_t(1161), r.spec->target.port);
    CPPUNIT_ASSERT(r.spec->authName.empty());
    // By address and port too; and `auth=` replaces the credentials, not the address.
    auto q = request("192.0.2.2:1161", {"if_mib"});
    q.auth = "other";
    r = resolveModuleScrape(q, v, set, false);
    CPPUNIT_ASSERT(r.spec);
    CPPUNIT_ASSERT_EQUAL(std::string("edge2"), r.spec->device);
    CPPUNIT_ASSERT_EQUAL(std::string("other-secret"), r.spec->target.community);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.2"), r.spec->target.address);
    CPPUNIT_ASSERT_EQUAL(uint16_t(1161), r.spec->target.port);
    CPPUNIT_ASSERT_EQUAL(std::string("other"), r.spec->authName);
  }

  void testUnlistedTargetRefusedUnlessAllowed() {
    InventoryView v = view();
    ModuleSet set = moduleSet();
    auto r = resolveModuleScrape(request("198.51.100.9", {"if_mib"}), v, set, false);
    CPPUNIT_ASSERT(!r.spec);
    CPPUNIT_ASSERT_EQUAL(404, r.status);
    CPPUNIT_ASSERT(r.error.find("snmp.allow_unlisted_targets") != std::string::npos);
    r = resolveModuleScrape(request("198.51.100.9", {"if_mib"}), v, set, true);
    CPPUNIT_ASSERT(r.spec);
    CPPUNIT_ASSERT(r.spec->device.empty());
    CPPUNIT_ASSERT_EQUAL(std::string("198.51.100.9"), r.spec->target.address);
    CPPUNIT_ASSERT_EQUAL(uint16_t(161), r.spec->target.port);
    CPPUNIT_ASSERT_EQUAL(std::string("public"), r.spec->target.community);
  }

  void testUnlistedTargetSyntax() {
    InventoryView v = view();
    ModuleSet set = moduleSet();
    struct Case {
      const char* target;
      const char* host;
      uint16_t port;
    };
    // snmp_exporter: [transport://]host[:port], IPv6 in brackets.
    for (const Case& c :
         {Case{"udp://10.1.2.3:1161", "10.1.2.3", 1161},
          Case{"switch.example:162", "switch.example", 162},
          Case{"[2001:db8::1]:1161", "2001:db8::1", 1161},
          Case{"[2001:db8::1]", "2001:db8::1", 161}, Case{"2001:db8::2", "2001:db8::2", 161}}) {
      auto r = resolveModuleScrape(request(c.target, {"if_mib"}), v, set, true);
      CPPUNIT_ASSERT_MESSAGE(c.target, r.spec.has_value());
      CPPUNIT_ASSERT_EQUAL(std::string(c.host), r.spec->target.address);
      CPPUNIT_ASSERT_EQUAL(c.port, r.spec->target.port);
    }
    for (const char* bad : {"tcp://10.1.2.3", "10.1.2.3:0", "10.1.2.3:70000", "[2001:db8::1",
                            "[]:161", "host:", "udp://"}) {
      auto r = resolveModuleScrape(request(bad, {"if_mib"}), v, set, true);
      CPPUNIT_ASSERT_MESSAGE(bad, !r.spec.has_value());
      CPPUNIT_ASSERT_EQUAL_MESSAGE(bad, 400, r.status);
    }
  }

  void testUnlistedTargetAuthChoice() {
    InventoryView v = view();
    ModuleSet set = moduleSet();
    // The 0.21 format: the module's own auth when the URL names none.
    auto r = resolveModuleScrape(request("10.9.9.9", {"old_format"}), v, set, true);
    CPPUNIT_ASSERT(r.spec);
    CPPUNIT_ASSERT_EQUAL(std::string("from-module"), r.spec->target.community);
    CPPUNIT_ASSERT_EQUAL(0, r.spec->target.version);  // v1 in the inventory's numbering
    // Without public_v2 and without an auth in the module, snmp_exporter answers 400.
    set.auths.erase("public_v2");
    r = resolveModuleScrape(request("10.9.9.9", {"if_mib"}), v, set, true);
    CPPUNIT_ASSERT_EQUAL(400, r.status);
    CPPUNIT_ASSERT(r.error.find("public_v2") != std::string::npos);
  }

  void testContextOverride() {
    InventoryView v = view();
    ModuleSet set = moduleSet();
    auto q = request("core1", {"if_mib"});
    q.context = "vlan-10";
    auto r = resolveModuleScrape(q, v, set, false);
    CPPUNIT_ASSERT(r.spec);
    CPPUNIT_ASSERT_EQUAL(std::string("vlan-10"), r.spec->target.contextName);
    auto plain = resolveModuleScrape(request("core1", {"if_mib"}), v, set, false);
    CPPUNIT_ASSERT(plain.spec->key != r.spec->key);
  }

  /// A device's own set is `target=<its name>&module=<its modules>[&auth=<its auth>]`: the
  /// same key, target and credentials, whatever order or repetition the entry has.
  void testDeviceModulesResolveAsTheExplicitScrape() {
    InventoryView v = view();
    v.inventory.devices[0].modules = std::vector<std::string>{"system", "if_mib", "system"};
    v.inventory.devices[1].modules = std::vector<std::string>{"if_mib"};
    v.inventory.devices[1].auth = "other";
    ModuleSet set = moduleSet();
    auto own = resolveDeviceModules(v.inventory.devices[0], v, &set);
    CPPUNIT_ASSERT(own && own->spec && own->error.empty() && own->unknown.empty());
    auto explicitly = resolveModuleScrape(request("192.0.2.1", {"if_mib,system"}), v, set, false);
    CPPUNIT_ASSERT_EQUAL(explicitly.spec->key, own->spec->key);
    CPPUNIT_ASSERT_EQUAL(std::string("inv-secret"), own->spec->target.community);
    CPPUNIT_ASSERT(own->modules == std::vector<std::string>({"if_mib", "system"}));
    CPPUNIT_ASSERT(own->spec->unknownModules.empty());

    auto withAuth = resolveDeviceModules(v.inventory.devices[1], v, &set);
    auto q = request("edge2", {"if_mib"});
    q.auth = "other";
    auto explicitAuth = resolveModuleScrape(q, v, set, false);
    CPPUNIT_ASSERT_EQUAL(explicitAuth.spec->key, withAuth->spec->key);
    CPPUNIT_ASSERT_EQUAL(std::string("other"), withAuth->spec->authName);
    CPPUNIT_ASSERT_EQUAL(std::string("other-secret"), withAuth->spec->target.community);
    CPPUNIT_ASSERT_EQUAL(std::string("192.0.2.2"), withAuth->spec->target.address);
    CPPUNIT_ASSERT_EQUAL(uint16_t(1161), withAuth->spec->target.port);
  }

  void testDeviceWithoutModulesHasNoSet() {
    InventoryView v = view();
    ModuleSet set = moduleSet();
    CPPUNIT_ASSERT(!resolveDeviceModules(v.inventory.devices[0], v, &set));
    v.inventory.devices[0].modules = std::vector<std::string>{};  // empty: the interface set
    CPPUNIT_ASSERT(!hasModules(v.inventory.devices[0]));
    CPPUNIT_ASSERT(!resolveDeviceModules(v.inventory.devices[0], v, &set));
    inventoryfs::Device agentless;
    agentless.sysName = "none";
    agentless.modules = std::vector<std::string>{"system"};
    CPPUNIT_ASSERT(hasModules(agentless));
    CPPUNIT_ASSERT(!resolveDeviceModules(agentless, v, &set));
  }

  void testDeviceUnknownModulesLeftOutAndKeyed() {
    InventoryView v = view();
    v.inventory.devices[0].modules = std::vector<std::string>{"system", "nope", "absent"};
    ModuleSet set = moduleSet();
    auto own = resolveDeviceModules(v.inventory.devices[0], v, &set);
    CPPUNIT_ASSERT(own && own->spec);
    CPPUNIT_ASSERT_EQUAL(size_t(1), own->spec->modules.size());
    CPPUNIT_ASSERT_EQUAL(std::string("system"), own->spec->modules[0]->name);
    CPPUNIT_ASSERT(own->unknown == std::vector<std::string>({"absent", "nope"}));
    CPPUNIT_ASSERT(own->unknown == own->spec->unknownModules);
    // Not the entry of `module=system`: that answer has no promsnmp_module_up 0 lines.
    auto known = resolveModuleScrape(request("core1", {"system"}), v, set, false);
    CPPUNIT_ASSERT(known.spec->key != own->spec->key);
    CPPUNIT_ASSERT_EQUAL(size_t(0), own->spec->key.rfind(known.spec->key, 0));
  }

  void testDeviceUnknownAuthOrNoModuleDefinedPollsNothing() {
    InventoryView v = view();
    ModuleSet set = moduleSet();
    v.inventory.devices[0].modules = std::vector<std::string>{"system"};
    v.inventory.devices[0].auth = "missing";
    auto badAuth = resolveDeviceModules(v.inventory.devices[0], v, &set);
    CPPUNIT_ASSERT(badAuth && !badAuth->spec && badAuth->unknownAuth);
    CPPUNIT_ASSERT_EQUAL(std::string("unknown auth 'missing'"), badAuth->error);
    v.inventory.devices[0].auth.reset();
    v.inventory.devices[0].modules = std::vector<std::string>{"nope"};
    auto none = resolveDeviceModules(v.inventory.devices[0], v, &set);
    CPPUNIT_ASSERT(none && !none->spec && !none->unknownAuth && !none->error.empty());
    CPPUNIT_ASSERT(none->unknown == std::vector<std::string>({"nope"}));
    // No module files at all: every module is unknown.
    v.inventory.devices[0].modules = std::vector<std::string>{"system"};
    auto unloaded = resolveDeviceModules(v.inventory.devices[0], v, nullptr);
    CPPUNIT_ASSERT(unloaded && !unloaded->spec);
    CPPUNIT_ASSERT(unloaded->unknown == std::vector<std::string>({"system"}));
    // What the answer then carries for each.
    const std::string text = renderUnpolledModules({"nope", "system"});
    CPPUNIT_ASSERT(text.find("# TYPE promsnmp_module_up gauge\n") != std::string::npos);
    CPPUNIT_ASSERT(text.find("promsnmp_module_up{module=\"nope\"} 0\n") != std::string::npos);
    CPPUNIT_ASSERT(text.find("promsnmp_module_up{module=\"system\"} 0\n") != std::string::npos);
  }
};

CPPUNIT_TEST_SUITE_REGISTRATION(ModuleScrapeTest);
