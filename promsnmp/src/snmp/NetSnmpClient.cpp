#include "snmp/NetSnmpClient.h"

#include <cstdlib>
#include <mutex>
#include <string>
#include <utility>

#include <Poco/Message.h>

#include "snmp/NetSnmpClientImpl.h"

// The public class and net-snmp's process-wide set-up. The rest is NetSnmpClient::Impl, whose
// parts NetSnmpClientImpl.h lists file by file (supportsAuthProtocol and supportsPrivProtocol
// are in NetSnmpClientUsm.cpp, with the protocol names).

namespace promsnmp {

namespace {

/// net-snmp's log lines → the "promsnmp.snmp" logger. No exception leaves this function.
int onNetSnmpLog(int /*major*/, int /*minor*/, void* serverArg, void* /*clientArg*/) noexcept {
  try {
    const auto* m = static_cast<const snmp_log_message*>(serverArg);
    if (m == nullptr || m->msg == nullptr) {
      return 0;
    }
    std::string text(m->msg);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    if (text.empty()) {
      return 0;
    }
    auto priority =
        m->priority <= LOG_WARNING ? Poco::Message::PRIO_WARNING : Poco::Message::PRIO_DEBUG;
    logEvent(logger("promsnmp.snmp"), priority, "net-snmp", {{"text", text}});
  } catch (...) {
  }
  return 0;
}

}  // namespace

void NetSnmpClient::initLibrary() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Numeric OIDs only: no MIB files parsed (fast, quiet start), no snmp.conf read, nothing
    // written to /var/lib/snmp.
    ::setenv("MIBS", "", 1);
    netsnmp_set_mib_directory("");
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    // init_snmp creates <persistent dir>/cert_indexes for the (D)TLS transports even with the
    // above set. promsnmp uses neither TLS nor persistent state: point net-snmp at a path that
    // can never be created (below a device file), so it writes nothing (mkdirhier fails quietly).
    netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_PERSISTENT_DIR,
                          "/dev/null/promsnmp-has-no-net-snmp-state");
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, &onNetSnmpLog, nullptr);
    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_INFO);
    init_snmp("promsnmp");
  });
}

NetSnmpClient::NetSnmpClient() : NetSnmpClient(Options()) {}

NetSnmpClient::NetSnmpClient(Options options) {
  initLibrary();
  impl_ = std::make_unique<Impl>(options);
}

NetSnmpClient::~NetSnmpClient() = default;

void NetSnmpClient::send(const SnmpTarget& target, const SnmpRequest& request, Done done) {
  impl_->send(target, request, std::move(done));
}

void NetSnmpClient::cancelAll() { impl_->cancelAll(); }

NetSnmpClient::Stats NetSnmpClient::stats() const { return impl_->stats(); }

}  // namespace promsnmp
