// HTTPS (issue 7): with tls_server_config in the web config the daemon serves TLS only, with the
// certificate an operator made with openssl; versions below min_version are refused; with
// RequireAndVerifyClientCert only clients with a certificate from client_ca_file get in; basic
// auth works over it; a key that does not match its certificate stops the start (exit 78).
// curl is the client, as operators and probes use it.
#include <fstream>

#include <cppunit/extensions/HelperMacros.h>

#include "DaemonHelpers.h"
#include "ProcessHelpers.h"

using namespace testing;

namespace {

void run(const std::vector<std::string>& argv) {
  ProcessResult r = runProcess(argv, {}, 60);
  if (r.code != 0) {
    throw std::runtime_error(argv[0] + " failed: " + r.err);
  }
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, in `dir`.
void makeCertificates(const std::string& dir) {
  auto path = [&](const std::string& name) { return dir + "/" + name; };
  run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
       "/CN=promsnmp test CA", "-keyout", path("ca.key"), "-out", path("ca.pem")});
  for (const std::string& who : {std::string("server"), std::string("client")}) {
    run({"/usr/bin/openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + who,
         "-keyout", path(who + ".key"), "-out", path(who + ".csr")});
    std::ofstream(path(who + ".ext"))
        << (who == "server" ? "subjectAltName=IP:127.0.0.1\n" : "extendedKeyUsage=clientAuth\n");
    run({"/usr/bin/openssl", "x509", "-req", "-in", path(who + ".csr"), "-CA", path("ca.pem"),
         "-CAkey", path("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", path(who + ".ext"),
         "-out", path(who + ".pem")});
  }
}

}  // namespace

class DaemonTlsTest : public CppUnit::TestFixture {
  CPPUNIT_TEST_SUITE(DaemonTlsTest);
  CPPUNIT_TEST(testHttpsWithBasicAuth);
  CPPUNIT_TEST(testClientCertificateRequired);
  CPPUNIT_TEST(testMismatchedKeyStopsStart);
  CPPUNIT_TEST_SUITE_END();

 public:
  void setUp() override {
    dir_ = std::make_unique<TempDir>();
    makeCertificates(dir_->path());
    env_ = {{"PROM_INV_FILE", dir_->path() + "/share/promsnmp-inventory.json"},
            {"PROM_ENCRYPT_KEY", "tls test key"},
            {"PROMSNMP_STATE_DIR", dir_->path() + "/state"},
            {"COLLECTION_INTERVAL", "3600000"},
            {"PROMSNMP_WEB_CONFIG_FILE", dir_->path() + "/web.yml"}};
    inventoryCli(env_, {"init"});
  }

  void tearDown() override {
    daemon_.reset();
    dir_.reset();
  }

  void testHttpsWithBasicAuth() {
    writeWebConfig("  min_version: TLS12\nbasic_auth_users:\n  prometheus: " +
                   std::string(kReadUserHash) + "\n");
    start();
    CPPUNIT_ASSERT_EQUAL(std::string("200"), curl({"https", "/-/ready"}));
    CPPUNIT_ASSERT_EQUAL(std::string("401"), curl({"https", "/targets"}));
    CPPUNIT_ASSERT_EQUAL(std::string("200"),
                         curl({"https", "/targets", "-u", "prometheus:scrape-secret"}));
    // Plain HTTP on the TLS port gets no HTTP answer.
    CPPUNIT_ASSERT_EQUAL(0, httpRequest(daemon_->port(), "GET", "/-/ready", {}, {}, 2000).status);
    // TLS 1.1 is below min_version: the handshake fails (curl prints 000).
    CPPUNIT_ASSERT_EQUAL(std::string("000"),
                         curl({"https", "/-/ready", "--tlsv1.1", "--tls-max", "1.1"}));
    // Without our CA, curl does not trust the server (it is not a public certificate).
    CPPUNIT_ASSERT_EQUAL(std::string("000"), curl({"https-no-ca", "/-/ready"}));
  }

  void testClientCertificateRequired() {
    writeWebConfig("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: " +
                   dir_->path() + "/ca.pem\n");
    const std::string cert = dir_->path() + "/client.pem";
    const std::string key = dir_->path() + "/client.key";
    start({"--cert", cert, "--key", key});
    CPPUNIT_ASSERT_EQUAL(std::string("200"),
                         curl({"https", "/targets", "--cert", cert, "--key", key}));
    CPPUNIT_ASSERT_EQUAL(std::string("000"), curl({"https", "/targets"}));
    // A certificate from another CA (the server's key pair signed by itself) is refused.
    run({"/usr/bin/openssl", "req", "-x509", "-key", dir_->path() + "/server.key", "-days", "2",
         "-subj", "/CN=stranger", "-out", dir_->path() + "/stranger.pem"});
    CPPUNIT_ASSERT_EQUAL(std::string("000"),
                         curl({"https", "/targets", "--cert", dir_->path() + "/stranger.pem",
                               "--key", dir_->path() + "/server.key"}));
  }

  void testMismatchedKeyStopsStart() {
    std::ofstream(dir_->path() + "/web.yml")
        << "tls_server_config:\n  cert_file: " << dir_->path()
        << "/server.pem\n  key_file: " << dir_->path() << "/client.key\n";
    const std::string binary = std::string(PROMSNMP_BIN_DIR) + "/promsnmp";
    ProcessResult check = runProcess({binary, "--config.check"}, env_, 30);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(check.err, 78, check.code);
    auto env = env_;
    env["PROMSNMP_WEB_LISTEN_ADDRESS"] = "127.0.0.1:" + std::to_string(freeTcpPort());
    ProcessResult started = runProcess({binary}, env, 30);
    CPPUNIT_ASSERT_EQUAL_MESSAGE(started.err + started.out, 78, started.code);
  }

 private:
  void writeWebConfig(const std::string& rest) {
    std::ofstream(dir_->path() + "/web.yml")
        << "tls_server_config:\n  cert_file: " << dir_->path()
        << "/server.pem\n  key_file: " << dir_->path() << "/server.key\n"
        << rest;
  }

  void start(const std::vector<std::string>& clientCert = {}) {
    daemon_ = std::make_unique<Daemon>(
        dir_->path(), env_, std::vector<std::string>{}, 20000, [this, clientCert](int port) {
          port_ = port;
          std::vector<std::string> args = {"https", "/-/ready"};
          args.insert(args.end(), clientCert.begin(), clientCert.end());
          return curl(args) == "200";
        });
  }

  /// curl's HTTP status ("000" when no HTTP answer came). args[0]: "https" (trusting our CA) or
  /// "https-no-ca"; args[1]: the path; the rest: curl options.
  std::string curl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/curl", "-s",         "-o", "/dev/null", "-w",
                                     "%{http_code}",  "--max-time", "5"};
    if (args[0] == "https") {
      argv.insert(argv.end(), {"--cacert", dir_->path() + "/ca.pem"});
    }
    argv.insert(argv.end(), args.begin() + 2, args.end());
    argv.push_back("https://127.0.0.1:" + std::to_string(port_) + args[1]);
    return runProcess(argv, {}, 20).out;
  }

  std::unique_ptr<TempDir> dir_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<Daemon> daemon_;
  int port_ = 0;
};

CPPUNIT_TEST_SUITE_REGISTRATION(DaemonTlsTest);
