#include "StatusPage.h"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <utility>
#include <vector>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/Text.h"

namespace elector {
namespace {

using common::htmlEscape;
using std::chrono::milliseconds;
using Snapshot = ElectorStatus::Snapshot;

milliseconds since(const Snapshot& snapshot, Clock::TimePoint at) {
  return std::chrono::duration_cast<milliseconds>(snapshot.now - at);
}

std::chrono::system_clock::time_point wallTime(const Snapshot& snapshot, Clock::TimePoint at) {
  return snapshot.wallNow -
         std::chrono::duration_cast<std::chrono::system_clock::duration>(snapshot.now - at);
}

/// "2026-12-07T05:12:03.042Z (3.2 s ago)", or "never".
std::string when(const Snapshot& snapshot, const std::optional<Clock::TimePoint>& at) {
  if (!at) {
    return "never";
  }
  return formatWallTime(wallTime(snapshot, *at)) + " (" + formatDuration(since(snapshot, *at)) +
         " ago)";
}

double latencyMs(std::chrono::microseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

std::string backendText(const Snapshot& snapshot) {
  if (snapshot.identity.backend == "static") {
    return "none (static role)";
  }
  if (!snapshot.failingSince) {
    return "ok";
  }
  return "error for " + formatDuration(since(snapshot, *snapshot.failingSince)) + ": " +
         snapshot.error;
}

std::string leaseText(const Snapshot& snapshot) {
  if (snapshot.leaseRemaining) {
    return formatDuration(*snapshot.leaseRemaining) + " of " +
           formatDuration(snapshot.identity.leaseTtl);
  }
  return snapshot.identity.backend == "static" ? "none (static role)" : "none (not leader)";
}

std::string latencyText(const Snapshot& snapshot) {
  if (!snapshot.latencyLast || !snapshot.latencyMedian) {
    return "none yet";
  }
  return "last " + formatLatency(*snapshot.latencyLast) + ", median " +
         formatLatency(*snapshot.latencyMedian) + " of the last " +
         std::to_string(snapshot.latencySamples);
}

void row(std::ostringstream& html, const std::string& name, const std::string& value,
         const std::string& cssClass = "") {
  html << "<tr><th>" << htmlEscape(name) << "</th><td"
       << (cssClass.empty() ? "" : " class=\"" + htmlEscape(cssClass) + "\"") << ">"
       << htmlEscape(value) << "</td></tr>\n";
}

std::string cssClassOf(const std::string& role) {
  return role == "backend unreachable" ? "unreachable" : role;
}

constexpr const char* kStyle =
    "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:60em}"
    "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em;border-bottom:1px solid #ddd}"
    "table{border-collapse:collapse}th,td{text-align:left;padding:.2em .8em .2em 0;"
    "vertical-align:top}th{font-weight:600;color:#555}td{font-family:ui-monospace,monospace}"
    ".leader{color:#1a7f37;font-weight:600}.follower{color:#0550ae}.candidate{color:#9a6700}"
    ".unreachable,.down{color:#cf222e;font-weight:600}.up{color:#1a7f37;font-weight:600}"
    ".muted{color:#777;font-size:.9em}";

}  // namespace

std::string formatDuration(milliseconds duration) {
  const long long ms = duration.count() < 0 ? 0 : static_cast<long long>(duration.count());
  char text[48];
  if (ms < 1000) {
    std::snprintf(text, sizeof text, "%lld ms", ms);
  } else if (ms < 10000) {
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(ms) / 1000.0);
  } else if (ms < 60000) {
    std::snprintf(text, sizeof text, "%lld s", ms / 1000);
  } else if (ms < 3600000) {
    std::snprintf(text, sizeof text, "%lld min %lld s", ms / 60000, ms / 1000 % 60);
  } else if (ms < 86400000) {
    std::snprintf(text, sizeof text, "%lld h %lld min", ms / 3600000, ms / 60000 % 60);
  } else {
    std::snprintf(text, sizeof text, "%lld d %lld h", ms / 86400000, ms / 3600000 % 24);
  }
  return text;
}

std::string formatLatency(std::chrono::microseconds duration) {
  const double ms =
      latencyMs(duration < std::chrono::microseconds(0) ? std::chrono::microseconds(0) : duration);
  char text[48];
  if (ms < 10) {
    std::snprintf(text, sizeof text, "%.2f ms", ms);
  } else if (ms < 100) {
    std::snprintf(text, sizeof text, "%.1f ms", ms);
  } else if (ms < 1000) {
    std::snprintf(text, sizeof text, "%.0f ms", ms);
  } else {
    std::snprintf(text, sizeof text, "%.2f s", ms / 1000.0);
  }
  return text;
}

std::string formatWallTime(std::chrono::system_clock::time_point time) {
  const auto ms = std::chrono::duration_cast<milliseconds>(time.time_since_epoch()).count();
  const auto seconds = static_cast<time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  const auto millis = static_cast<int>(ms - static_cast<long long>(seconds) * 1000);
  tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[48];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return text;
}

std::string renderStatusPage(const Snapshot& snapshot) {
  const StatusIdentity& identity = snapshot.identity;
  std::ostringstream html;
  html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
       << "<meta http-equiv=\"refresh\" content=\"5\">"
       << "<title>elector " << htmlEscape(identity.id) << ": " << htmlEscape(snapshot.role)
       << "</title><style>" << kStyle << "</style></head><body>\n";
  html << "<h1>elector <code>" << htmlEscape(identity.id) << "</code>: <span class=\""
       << cssClassOf(snapshot.role) << "\">" << htmlEscape(snapshot.role) << "</span></h1>\n";
  html << "<p>Health: <span class=\"" << (snapshot.up ? "up\">UP" : "down\">DOWN") << "</span>";
  if (!snapshot.up) {
    html << ": " << htmlEscape(backendText(snapshot));
  }
  html << " &middot; <a href=\"/health\">/health</a> (<a href=\"/health?format=text\">text</a>)"
       << " &middot; <a href=\"/metrics\">/metrics</a> &middot; <a href=\"/healthz\">/healthz</a>"
       << "</p>\n";

  html << "<h2>Leadership</h2>\n<table>\n";
  row(html, "Role", snapshot.role, cssClassOf(snapshot.role));
  row(html, "Holder", snapshot.holderId.empty() ? "nobody known" : snapshot.holderId);
  row(html, "Holder's token", snapshot.holder.empty() ? "none" : snapshot.holder);
  row(html, "Epoch", std::to_string(snapshot.epoch));
  row(html, "Lease left", leaseText(snapshot));
  row(html, "Last renewed / answered", when(snapshot, snapshot.lastAnswer));
  row(html, "Last tried", when(snapshot, snapshot.lastAttempt));
  html << "</table>\n";

  html << "<h2>Backend</h2>\n<table>\n";
  row(html, "Kind", identity.backend);
  row(html, "Address", identity.address.empty() ? "none" : identity.address);
  row(html, "State", backendText(snapshot), snapshot.failingSince ? "down" : "");
  if (snapshot.failingSince) {
    row(html, "Failing since", when(snapshot, snapshot.failingSince));
  } else if (snapshot.errorAt) {
    row(html, "Last error", snapshot.error + " (" + when(snapshot, snapshot.errorAt) + ")");
  }
  row(html, "Latency", latencyText(snapshot));
  html << "</table>\n";

  html << "<h2>Leadership socket</h2>\n<p><code>" << htmlEscape(identity.socketPath)
       << "</code>: " << snapshot.clients.size()
       << (snapshot.clients.size() == 1 ? " client" : " clients") << " connected</p>\n";
  if (!snapshot.clients.empty()) {
    html << "<table>\n<tr><th>pid</th><th>connected since</th><th>last event sent</th></tr>\n";
    for (const auto& client : snapshot.clients) {
      html << "<tr><td>" << (client.pid ? std::to_string(*client.pid) : "unknown") << "</td><td>"
           << htmlEscape(when(snapshot, client.connectedAt)) << "</td><td>"
           << htmlEscape(client.lastEvent.empty() ? "none" : client.lastEvent);
      if (client.lastSentAt) {
        html << " <span class=\"muted\">("
             << htmlEscape(formatDuration(since(snapshot, *client.lastSentAt))) << " ago)</span>";
      }
      html << "</td></tr>\n";
    }
    html << "</table>\n";
  }

  html << "<h2>Recent role changes</h2>\n";
  if (snapshot.transitions.empty()) {
    html << "<p>none yet</p>\n";
  } else {
    html << "<table>\n<tr><th>when</th><th>from</th><th>to</th><th>reason</th></tr>\n";
    for (const auto& transition : snapshot.transitions) {
      html << "<tr><td>" << htmlEscape(when(snapshot, transition.at)) << "</td><td>"
           << htmlEscape(transition.from.empty() ? "(start)" : transition.from)
           << "</td><td class=\"" << cssClassOf(transition.to) << "\">" << htmlEscape(transition.to)
           << "</td><td>" << htmlEscape(transition.reason) << "</td></tr>\n";
    }
    html << "</table>\n";
  }
  html << "<p class=\"muted\">" << htmlEscape(formatWallTime(snapshot.wallNow))
       << ". UP: the backend answers (or the role is static); DOWN: its latest calls got no "
          "answer. Read from the elector's memory; refreshes every 5 s.</p>\n</body></html>\n";
  return html.str();
}

std::string renderHealthJson(const Snapshot& snapshot) {
  using Poco::JSON::Object;
  const auto optionalTime = [&](const std::optional<Clock::TimePoint>& at) -> Poco::Dynamic::Var {
    if (!at) {
      return {};
    }
    return formatWallTime(wallTime(snapshot, *at));
  };
  Object body(Poco::JSON_PRESERVE_KEY_ORDER);
  body.set("status", snapshot.up ? "UP" : "DOWN");
  body.set("id", snapshot.identity.id);
  body.set("role", snapshot.role);
  body.set("holder", snapshot.holderId);
  body.set("holderToken", snapshot.holder);
  body.set("epoch", static_cast<Poco::UInt64>(snapshot.epoch));
  if (snapshot.leaseRemaining) {
    body.set("leaseRemainingMs", static_cast<Poco::Int64>(snapshot.leaseRemaining->count()));
  } else {
    body.set("leaseRemainingMs", Poco::Dynamic::Var());
  }
  body.set("leaseTtlMs", static_cast<Poco::Int64>(snapshot.identity.leaseTtl.count()));
  body.set("lastAnswer", optionalTime(snapshot.lastAnswer));
  body.set("lastAttempt", optionalTime(snapshot.lastAttempt));

  Object::Ptr backend = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  backend->set("kind", snapshot.identity.backend);
  backend->set("address", snapshot.identity.address);
  const bool failing = snapshot.failingSince.has_value();
  backend->set("state", snapshot.identity.backend == "static" ? "none" : failing ? "error" : "ok");
  backend->set("error", failing ? Poco::Dynamic::Var(snapshot.error) : Poco::Dynamic::Var());
  backend->set("failingSince", optionalTime(snapshot.failingSince));
  Object::Ptr latency = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  latency->set("last", snapshot.latencyLast ? Poco::Dynamic::Var(latencyMs(*snapshot.latencyLast))
                                            : Poco::Dynamic::Var());
  latency->set("median", snapshot.latencyMedian
                             ? Poco::Dynamic::Var(latencyMs(*snapshot.latencyMedian))
                             : Poco::Dynamic::Var());
  latency->set("samples", static_cast<Poco::UInt64>(snapshot.latencySamples));
  backend->set("latencyMs", latency);
  body.set("backend", backend);

  Object::Ptr socket = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  socket->set("path", snapshot.identity.socketPath);
  socket->set("clients", static_cast<Poco::UInt64>(snapshot.clients.size()));
  body.set("socket", socket);

  Poco::JSON::Array::Ptr transitions = new Poco::JSON::Array;
  for (const auto& transition : snapshot.transitions) {
    Object::Ptr item = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    item->set("at", formatWallTime(wallTime(snapshot, transition.at)));
    item->set("from", transition.from);
    item->set("to", transition.to);
    item->set("reason", transition.reason);
    transitions->add(item);
  }
  body.set("transitions", transitions);
  std::ostringstream text;
  body.stringify(text, 2);
  text << "\n";
  return text.str();
}

std::string renderHealthText(const Snapshot& snapshot) {
  const std::vector<std::pair<std::string, std::string>> lines = {
      {"status", snapshot.up ? "UP" : "DOWN"},
      {"id", snapshot.identity.id},
      {"role", snapshot.role},
      {"holder", snapshot.holderId.empty() ? "-" : snapshot.holderId},
      {"holder token", snapshot.holder.empty() ? "-" : snapshot.holder},
      {"epoch", std::to_string(snapshot.epoch)},
      {"lease left", leaseText(snapshot)},
      {"last answer", when(snapshot, snapshot.lastAnswer)},
      {"last attempt", when(snapshot, snapshot.lastAttempt)},
      {"backend", snapshot.identity.backend +
                      (snapshot.identity.address.empty() ? "" : " " + snapshot.identity.address)},
      {"backend state", backendText(snapshot)},
      {"latency", latencyText(snapshot)},
      {"socket", snapshot.identity.socketPath},
      {"socket clients", std::to_string(snapshot.clients.size())},
  };
  std::size_t width = 0;
  for (const auto& line : lines) {
    width = std::max(width, line.first.size());
  }
  std::string text;
  for (const auto& [key, value] : lines) {
    std::string line = common::sanitizeUtf8(value);
    for (char& c : line) {
      if (c == '\n' || c == '\r') {
        c = ' ';  // one line per key, whatever an error message holds
      }
    }
    text += key;
    text += ':';
    text.append(width + 1 - key.size(), ' ');
    text += line;
    text += '\n';
  }
  return text;
}

}  // namespace elector
