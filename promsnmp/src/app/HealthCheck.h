#pragma once

#include <string>
#include <vector>

namespace promsnmp {

/// `promsnmp healthcheck [--url URL] [--timeout SECONDS] [config flags]`: asks a running
/// collector for its readiness and exits 0 when it answers 200, 1 otherwise (Docker's and
/// compose's healthcheck contract), 2 on a bad command line. Without --url the address comes
/// from the same configuration the daemon reads (--config.file, --web.listen-address,
/// SERVER_PORT, the file): `http://<listen host, or loopback for a wildcard>:<port>/actuator/
/// health/readiness`. Exists so container images need no curl. `args` excludes "healthcheck".
int runHealthCheck(const std::vector<std::string>& args);

/// The readiness URL for a listen address ("0.0.0.0:8080", ":8080", "[::]:9116", "10.1.2.3:80").
/// Thread-safe (pure).
std::string readinessUrlFor(const std::string& listenAddress);

}  // namespace promsnmp
