// Tests of the daemon's Services: a start-up step that fails leaves a half-built Services that
// stops and destroys cleanly (no hang; under the sanitizer build, no use after free), with the
// step's exit status; a whole build, start and stop on loopback port 0.
#include "app/Services.h"

#include <pthread.h>
#include <signal.h>

#include <map>
#include <string>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/TemporaryFile.h>
#include <cppunit/extensions/HelperMacros.h>

#include "app/CommandLine.h"

using namespace promsnmp;

namespace {

using Env = std::map<std::string, std::string>;

/// Blocks SIGHUP in this thread, so the threads the Services start inherit it blocked (as
/// PromSnmpApp::main does for every thread): the hangup listener's sigwait needs that. Restores
/// the mask when destroyed.
class SighupBlocked {
 public:
  SighupBlocked() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    ::pthread_sigmask(SIG_BLOCK, &set, &old_);
  }
  ~SighupBlocked() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SighupBlocked(const SighupBlocked&) = delete;
  SighupBlocked& operator=(const SighupBlocked&) = delete;

 private:
  sigset_t old_;
};

Services::Hooks noHooks() {
  return {[] { return std::string("config"); }, [] { return std::string(); }};
}

}  // namespace

class ServicesTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(ServicesTest);
  CPPUNIT_TEST(testNoKeyIsAConfigurationError);
  CPPUNIT_TEST(testHalfBuiltServicesStopCleanly);
  CPPUNIT_TEST(testBuildStartStop);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override { dir_.createDirectories(); }

  void testNoKeyIsAConfigurationError() {
    Services services(config({}), {}, noHooks());
    int code = 0;
    try {
      services.build();
    } catch (const StartupException& e) {
      code = e.code();
    }
    CPPUNIT_ASSERT_EQUAL(kExitConfig, code);
  }

  // The inventory watcher and the elector client run when the listen address turns out taken.
  void testHalfBuiltServicesStopCleanly() {
    Poco::Net::ServerSocket taken(Poco::Net::SocketAddress("127.0.0.1", 0));
    int code = 0;
    {
      Services services(config({{"PROMSNMP_WEB_LISTEN_ADDRESS", taken.address().toString()},
                                {"PROMSNMP_ELECTOR_SOCKET", dir_.path() + "/no-elector.sock"}}),
                        {{"PROM_ENCRYPT_KEY", "services test key"}}, noHooks());
      try {
        services.build();
      } catch (const StartupException& e) {
        code = e.code();
      }
    }
    CPPUNIT_ASSERT_EQUAL(69, code);
  }

  void testBuildStartStop() {
    SighupBlocked blocked;
    Services services(config({{"PROMSNMP_WEB_LISTEN_ADDRESS", "127.0.0.1:0"}}),
                      {{"PROM_ENCRYPT_KEY", "services test key"}}, noHooks());
    services.build();
    services.start();
    services.stop();
    services.stop();  // idempotent; the destructor runs it a third time
  }

 private:
  /// The configuration with the inventory and the local state in the temp dir, plus `env`.
  Config config(Env env) {
    ConfigSources sources;
    sources.defaultFile = dir_.path() + "/no-such-promsnmp.conf";
    sources.env = std::move(env);
    sources.env.emplace("PROM_INV_FILE", dir_.path() + "/share/promsnmp-inventory.json");
    sources.env.emplace("PROMSNMP_STATE_DIR", dir_.path() + "/state");
    sources.env.emplace("DISCOVERY_CRON", "-");
    return loadConfig(sources);
  }

  Poco::TemporaryFile dir_;
};

CPPUNIT_TEST_SUITE_REGISTRATION(ServicesTest);
