#include "site/SitePage.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <optional>
#include <set>
#include <sstream>

#include <Poco/String.h>
#include <Poco/URI.h>

#include "common/Text.h"

namespace promsnmp {

using common::htmlEscape;

namespace {

/// The page's look: plain, dense tables an operator scans; colours only for state.
constexpr const char* kStyle =
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "h1{font-size:1.5em;margin:0 0 .3em}h2{font-size:1.15em;margin:1.4em 0 .4em}"
    "table{border-collapse:collapse}"
    "td,th{padding:2px 7px;text-align:left;vertical-align:top;white-space:nowrap}"
    "#devices{font-size:.93em}"
    "th{border-bottom:1px solid #999}tr:nth-child(even) td{background:#f4f4f4}"
    "td.list{white-space:normal;max-width:17em}td.why{white-space:normal;min-width:12em;max-width:"
    "20em}"
    "td.num{text-align:right}"
    ".down{color:#b00;font-weight:bold}.up{color:#070}.unpolled{color:#777}"
    ".warn{color:#a60}.banner{padding:.4em .8em;border-left:4px solid #b00;background:#fee}"
    ".note{color:#555}.leader{font-weight:bold}"
    ".h{display:inline-block;width:4px;height:11px;margin-right:1px}"
    ".h.u{background:#3a3}.h.d{background:#c33}"
    "#refresh-state{color:#555;font-size:.9em}code{background:#eee;padding:0 3px}";

/// Swaps <main> with a fresh copy of the page every refresh period; a failed refresh is said
/// on the page (never thrown to the console), and the next period tries again.
constexpr const char* kScript =
    "(function(){var b=document.body,s=parseInt(b.getAttribute('data-refresh-seconds'),10);"
    "if(!(s>0)||!window.fetch||!window.DOMParser)return;"
    "function say(t){var e=document.getElementById('refresh-state');if(e)e.textContent=t;}"
    // By origin and path: a URL of the page with user:pass@ in it cannot be fetched.
    "function tick(){fetch(location.origin+location.pathname+location.search,"
    "{cache:'no-store',credentials:'same-origin',headers:{'Accept':'text/html'}})"
    ".then(function(r){if(!r.ok)throw new Error('HTTP '+r.status);"
    "return r.text();}).then(function(t){var d=new DOMParser().parseFromString(t,'text/html');"
    "var m=d.querySelector('main'),o=document.querySelector('main');if(!m||!o)"
    "throw new Error('not a site page');o.replaceWith(document.importNode(m,true));"
    "b.setAttribute('data-generated',m.getAttribute('data-generated'));"
    "}).catch(function(e){say('Refresh failed ('+e.message+'); showing the page of '+"
    "(b.getAttribute('data-generated')||'?')+', retrying in '+s+' s.');})"
    ".then(function(){setTimeout(tick,s*1000);});}"
    "setTimeout(tick,s*1000);})();";

std::string isoTime(int64_t ms) {
  if (ms <= 0) {
    return "-";
  }
  std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%SZ", &utc);
  return text;
}

/// "4 s", "12 min", "3 h", "2 d": how long ago, for a person.
std::string ago(double seconds) {
  if (seconds < 0) {
    return "-";
  }
  char text[32];
  if (seconds < 120) {
    std::snprintf(text, sizeof(text), "%.0f s", seconds);
  } else if (seconds < 7200) {
    std::snprintf(text, sizeof(text), "%.0f min", seconds / 60);
  } else if (seconds < 172800) {
    std::snprintf(text, sizeof(text), "%.0f h", seconds / 3600);
  } else {
    std::snprintf(text, sizeof(text), "%.0f d", seconds / 86400);
  }
  return text;
}

std::string urlEncode(const std::string& text) {
  std::string out;
  Poco::URI::encode(text, "&?=#+%/:", out);
  return out;
}

/// One replica's row, merged from its answer (or the memory of its name).
struct ReplicaRow {
  std::string name;
  std::string url;  // "" for this replica when it is not in site.peers
  const ReplicaReport* report = nullptr;
  std::string error;
  double seconds = 0;
  bool self = false;
  bool older = false;  // answers, but has no site report (a release before the site page)
};

/// Where a device's state comes from: the replica that polled it last.
struct Poller {
  const ReplicaRow* row = nullptr;
  const DeviceReport* device = nullptr;
};

std::vector<ReplicaRow> replicaRows(const SitePageInput& in) {
  std::vector<ReplicaRow> rows;
  bool selfAnswered = false;
  for (const PeerAnswer& a : in.answers) {
    ReplicaRow row;
    row.url = a.url;
    row.seconds = a.seconds;
    if (a.report) {
      row.report = &*a.report;
      row.name = a.report->replica;
      row.self = a.report->replica == in.local.replica;
      selfAnswered = selfAnswered || row.self;
    } else {
      auto known = in.knownNames.find(a.url);
      row.name = known != in.knownNames.end() ? known->second : a.url;
      row.error = a.error;
      row.older = a.status == 404;
    }
    rows.push_back(std::move(row));
  }
  if (!selfAnswered) {
    ReplicaRow row;
    row.report = &in.local;
    row.name = in.local.replica;
    row.self = true;
    rows.insert(rows.begin(), std::move(row));
  }
  return rows;
}

void writeRecent(std::ostringstream& html, const DeviceReport& d) {
  size_t up = static_cast<size_t>(std::count(d.recent.begin(), d.recent.end(), '+'));
  html << "<span title=\"last " << d.recent.size() << " polls: " << up << " up, "
       << d.recent.size() - up << " down\">";
  for (char c : d.recent) {
    html << "<i class=\"h " << (c == '+' ? "u" : "d") << "\"></i>";
  }
  html << "</span> " << d.polls << (d.polls == 1 ? " poll, " : " polls, ") << d.failures
       << " failed";
}

void writeReplicas(std::ostringstream& html, const std::vector<ReplicaRow>& rows) {
  html << "<section id=\"replicas-section\"><h2>Replicas</h2><table id=\"replicas\"><tr>"
       << "<th>replica</th><th>state</th><th>role</th><th>health</th><th>inventory</th>"
       << "<th>devices polled</th><th>up since</th><th>answered in</th></tr>";
  for (const ReplicaRow& r : rows) {
    const ReplicaReport* rep = r.report;
    const bool leader = rep != nullptr && rep->elected;
    const std::string link = r.url.empty() ? std::string("/") : r.url + "/";
    html << "<tr class=\"replica" << (leader ? " leader" : "") << "\" data-replica=\""
         << htmlEscape(r.name) << "\" data-state=\"" << (rep != nullptr || r.older ? "up" : "down")
         << "\" data-leader=\"" << (leader ? "true" : "false") << "\"><td>";
    if (leader) {
      html << "<a class=\"leader-link\" href=\"" << htmlEscape(link) << "\">" << htmlEscape(r.name)
           << "</a> ★ leader";
    } else if (!r.url.empty()) {
      html << "<a href=\"" << htmlEscape(link) << "\">" << htmlEscape(r.name) << "</a>";
    } else {
      html << htmlEscape(r.name);
    }
    if (r.self) {
      html << " <span class=\"note\">(this page)</span>";
    }
    html << "</td>";
    if (rep == nullptr && r.older) {  // mid-upgrade: it runs, it cannot say more
      html << "<td class=\"up\">up</td><td colspan=\"6\" class=\"warn\">a release without the "
           << "site page (no /promsnmp/site/replica): no details until it is upgraded</td></tr>";
      continue;
    }
    if (rep == nullptr) {
      html << "<td class=\"down\">down: " << htmlEscape(r.error) << "</td><td colspan=\"6\""
           << " class=\"note\">" << htmlEscape(r.url) << "</td></tr>";
      continue;
    }
    size_t up = 0;
    for (const DeviceReport& d : rep->devices) {
      up += d.up ? 1 : 0;
    }
    const bool healthy = rep->health == "UP";
    html << "<td class=\"up\">up</td><td>" << htmlEscape(rep->role) << "</td><td class=\""
         << (healthy ? "up" : "down") << "\">" << htmlEscape(rep->health)
         << (rep->share.empty() ? "" : " (share " + htmlEscape(rep->share) + ")") << "</td><td>v"
         << rep->version << " (epoch " << rep->epoch << "), " << rep->inventoryDevices
         << " devices</td><td class=\"num\">" << rep->devices.size() << " (" << up
         << " up)</td><td>" << htmlEscape(isoTime(rep->startedAtMs)) << "</td><td class=\"num\">"
         << (r.self && r.url.empty() ? std::string("-") : pollDuration(r.seconds)) << "</td></tr>";
  }
  html << "</table></section>";
}

void writeDevices(std::ostringstream& html, const SitePageInput& in,
                  const std::vector<ReplicaRow>& rows) {
  std::map<std::string, Poller> pollers;  // device name → the replica that polled it last
  for (const ReplicaRow& r : rows) {
    if (r.report == nullptr) {
      continue;
    }
    for (const DeviceReport& d : r.report->devices) {
      auto [it, inserted] = pollers.emplace(d.name, Poller{&r, &d});
      if (!inserted && d.ageSeconds < it->second.device->ageSeconds) {
        it->second = Poller{&r, &d};
      }
    }
  }
  // Problems first (down, then not polled), then the rest, each by name.
  std::vector<std::pair<int, const SiteDevice*>> order;
  size_t down = 0;
  size_t unpolled = 0;
  for (const SiteDevice& d : in.devices) {
    if (!in.filter.empty() && d.name.find(in.filter) == std::string::npos &&
        d.address.find(in.filter) == std::string::npos &&
        d.profile.find(in.filter) == std::string::npos) {
      continue;
    }
    auto p = pollers.find(d.name);
    int rank = p == pollers.end() ? 1 : p->second.device->up ? 2 : 0;
    down += rank == 0 ? 1 : 0;
    unpolled += rank == 1 ? 1 : 0;
    order.emplace_back(rank, &d);
  }
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  html << "<section id=\"devices-section\"><h2>Devices</h2><p>" << order.size() << " devices"
       << (in.filter.empty() ? "" : " matching “" + htmlEscape(in.filter) + "”") << ": "
       << order.size() - down - unpolled << " up, " << down << " down, " << unpolled
       << " not polled by any replica now.";
  if (unpolled > 0) {
    html << " <span class=\"note\">Behind HAProxy each replica polls the devices Prometheus "
            "scrapes through it; a device nobody scraped recently is polled by no one.</span>";
  }
  html << "</p><form method=\"get\" action=\"/\"><input name=\"q\" value=\""
       << htmlEscape(in.filter) << "\" placeholder=\"name, address or profile\"> "
       << "<button>filter</button></form>";
  html << "<table id=\"devices\"><tr><th>device</th><th>address</th><th>profile</th>"
       << "<th>modules</th><th>polled by</th><th>state</th><th>last poll</th><th>took</th>"
       << "<th>data age</th><th>interfaces</th><th>history</th></tr>";
  size_t shown = 0;
  for (const auto& [rank, d] : order) {
    if (shown++ == in.maxDevices) {
      break;
    }
    auto p = pollers.find(d->name);
    const DeviceReport* rep = p != pollers.end() ? p->second.device : nullptr;
    const std::string poller = rep != nullptr ? p->second.row->name : "";
    const char* state = rep == nullptr ? "unpolled" : rep->up ? "up" : "down";
    html << "<tr class=\"device\" data-device=\"" << htmlEscape(d->name) << "\" data-state=\""
         << state << "\" data-poller=\"" << htmlEscape(poller)
         << "\"><td><a href=\"/snmp?target=" << htmlEscape(urlEncode(d->name)) << "\">"
         << htmlEscape(d->name) << "</a></td><td>" << htmlEscape(d->address) << "</td><td title=\""
         << htmlEscape(d->reason) << "\">" << htmlEscape(d->profile.empty() ? "-" : d->profile)
         << "</td><td class=\"list\">" << htmlEscape(d->modules.empty() ? "-" : d->modules)
         << "</td><td>" << htmlEscape(poller.empty() ? "-" : poller) << "</td>";
    if (rep == nullptr) {
      html << "<td class=\"unpolled\">not polled</td><td>-</td><td>-</td><td>-</td><td>-</td>"
           << "<td>-</td></tr>";
      continue;
    }
    html << "<td class=\"" << state << " why\">"
         << (rep->up ? std::string("up") : "down: " + htmlEscape(rep->error)) << "</td><td>"
         << ago(rep->ageSeconds) << " ago</td><td>" << pollDuration(rep->durationSeconds)
         << "</td><td>"
         << (rep->dataAgeSeconds < 0 ? std::string("none") : ago(rep->dataAgeSeconds))
         << "</td><td class=\"num\">"
         << (rep->interfaces < 0 ? std::string("-") : std::to_string(rep->interfaces))
         << "</td><td>";
    writeRecent(html, *rep);
    html << "</td></tr>";
  }
  html << "</table>";
  if (order.size() > in.maxDevices) {
    html << "<p class=\"note\">Showing " << in.maxDevices << " of " << order.size()
         << " (problems first); filter to see the others.</p>";
  }
  html << "</section>";
}

void writeModuleSets(std::ostringstream& html, const std::vector<ModuleSetState>& sets) {
  if (sets.empty()) {
    return;
  }
  html << "<section id=\"module-sets\"><h2>snmp_exporter module sets polled by this replica</h2>"
       << "<table><tr><th>target</th><th>modules</th><th>auth</th><th>state</th>"
       << "<th>last poll</th><th>took</th></tr>";
  for (const ModuleSetState& m : sets) {
    std::string state = !m.polled         ? "not polled yet"
                        : !m.up           ? "down: " + m.error
                        : m.error.empty() ? "up"
                                          : "up; failed: " + m.error;
    std::string url = "/snmp?target=" + urlEncode(m.target) + "&module=" + urlEncode(m.modules);
    if (!m.auth.empty() && m.auth.rfind("module:", 0) != 0) {
      url += "&auth=" + urlEncode(m.auth);
    }
    html << "<tr><td><a href=\"" << htmlEscape(url) << "\">" << htmlEscape(m.target)
         << "</a></td><td class=\"list\">"
         << htmlEscape(Poco::replace(m.modules, std::string(","), std::string(", "))) << "</td><td>"
         << htmlEscape(m.auth.empty() ? "(inventory)" : m.auth) << "</td><td class=\""
         << (m.up && m.error.empty() ? "up" : "down") << "\">" << htmlEscape(state) << "</td><td>"
         << (m.polled ? ago(m.ageSeconds) + " ago" : std::string("-")) << "</td><td>"
         << (m.polled ? pollDuration(m.durationSeconds) : "-") << "</td></tr>";
  }
  html << "</table></section>";
}

void writeRuns(std::ostringstream& html, const std::vector<ReplicaRow>& rows) {
  std::vector<std::pair<const ReplicaRow*, const RunReport*>> runs;
  for (const ReplicaRow& r : rows) {
    if (r.report != nullptr) {
      for (const RunReport& run : r.report->runs) {
        runs.emplace_back(&r, &run);
      }
    }
  }
  std::sort(runs.begin(), runs.end(), [](const auto& a, const auto& b) {
    return a.second->startedAtMs > b.second->startedAtMs;
  });
  html << "<section id=\"discovery\"><h2>Discovery runs</h2>";
  if (runs.empty()) {
    html << "<p class=\"note\">No discovery run is remembered by a replica that answered.</p>"
         << "</section>";
    return;
  }
  html << "<table><tr><th>started</th><th>replica</th><th>trigger</th><th>state</th>"
       << "<th>took</th><th>seeds</th><th>found</th><th>added</th><th>changed</th>"
       << "<th>wrote</th></tr>";
  for (size_t i = 0; i < runs.size() && i < 10; ++i) {
    const auto& [row, run] = runs[i];
    const bool failed = run->state == "failed";
    html << "<tr><td>" << htmlEscape(isoTime(run->startedAtMs)) << "</td><td>"
         << htmlEscape(row->name) << "</td><td>" << htmlEscape(run->trigger) << "</td><td class=\""
         << (failed ? "down" : "") << "\">" << htmlEscape(run->state)
         << (run->error.empty() ? "" : ": " + htmlEscape(run->error)) << "</td><td>"
         << (run->finishedAtMs > 0 && run->startedAtMs > 0
                 ? pollDuration(static_cast<double>(run->finishedAtMs - run->startedAtMs) / 1000)
                 : std::string("-"))
         << "</td><td class=\"num\">" << run->seeds << "</td><td class=\"num\">" << run->found
         << "</td><td class=\"num\">" << run->added << "</td><td class=\"num\">" << run->changed
         << "</td><td>"
         << (run->version > 0 ? "v" + std::to_string(run->version) : std::string("-"))
         << "</td></tr>";
  }
  html << "</table></section>";
}

void writeHistory(std::ostringstream& html, const SitePageInput& in,
                  const std::vector<ReplicaRow>& rows) {
  std::map<std::string, std::string> writers;  // writer id → replica name
  for (const ReplicaRow& r : rows) {
    if (r.report != nullptr && !r.report->writerId.empty()) {
      writers[r.report->writerId] = r.name;
    }
  }
  html << "<section id=\"history\"><h2>Inventory history</h2>";
  if (in.history.empty()) {
    html << "<p class=\"note\">No versioned inventory on the share (a Java file, or none yet)."
         << "</p></section>";
    return;
  }
  html << "<table><tr><th>version</th><th>epoch</th><th>written by</th><th>at</th></tr>";
  for (auto v = in.history.rbegin(); v != in.history.rend(); ++v) {
    auto w = writers.find(v->writerId);
    std::string writer = w != writers.end() ? w->second
                         : v->admin         ? "operator (CLI)"
                                            : "an earlier process";
    html << "<tr><td>v" << v->version << "</td><td>" << v->epoch << "</td><td title=\"writer "
         << htmlEscape(v->writerId) << "\">" << htmlEscape(writer)
         << (v->admin && w != writers.end() ? " (operator)" : "") << "</td><td>"
         << htmlEscape(isoTime(v->createdAtMs)) << "</td></tr>";
  }
  html << "</table></section>";
}

void writeAdmin(std::ostringstream& html) {
  html << "<section id=\"admin\" data-admin=\"true\"><h2>Operations (admin)</h2><ul>"
       << "<li>Run discovery: <code>POST /promsnmp/discovery</code> with "
       << "<code>{\"potentialTargets\":[\"10.0.0.0/24\"],\"readCommunity\":\"…\"}</code>; runs are "
          "listed at "
       << "<a href=\"/promsnmp/discovery/runs\">/promsnmp/discovery/runs</a>.</li>"
       << "<li>Change devices: <code>POST /promsnmp/inventory</code> (the leader writes).</li>"
       << "<li>Reload the configuration: <code>POST /-/reload</code>; "
       << "drop cached results: <code>POST /promsnmp/evictCache</code>.</li>"
       << "<li>After the share was restored or came back empty: "
       << "<code>POST /promsnmp/inventory/republish</code>.</li></ul></section>";
}

}  // namespace

std::string pollDuration(double seconds) {
  char text[32];
  if (seconds < 1) {
    std::snprintf(text, sizeof(text), "%.0f ms", seconds * 1000);
  } else {
    std::snprintf(text, sizeof(text), "%.1f s", seconds);
  }
  return text;
}

std::string renderSitePage(const SitePageInput& in) {
  const std::vector<ReplicaRow> rows = replicaRows(in);
  const std::string generated = isoTime(in.nowMs);
  std::ostringstream html;
  html << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
       << "<meta name=\"viewport\" content=\"width=device-width\"><title>promsnmp site</title>";
  if (in.refreshSeconds > 0) {
    html << "<noscript><meta http-equiv=\"refresh\" content=\"" << in.refreshSeconds
         << "\"></noscript>";
  }
  html << "<style>" << kStyle << "</style></head><body data-generated=\"" << generated
       << "\" data-refresh-seconds=\"" << in.refreshSeconds << "\"><main data-generated=\""
       << generated << "\">";

  size_t answering = 0;
  std::vector<const ReplicaRow*> leaders;
  std::set<uint64_t> versions;
  for (const ReplicaRow& r : rows) {
    answering += r.older ? 1 : 0;
    if (r.report != nullptr) {
      ++answering;
      versions.insert(r.report->version);
      if (r.report->elected) {
        leaders.push_back(&r);
      }
    }
  }
  html << "<h1>promsnmp site</h1><p>" << answering << " of " << rows.size() << " replicas answer; "
       << in.devices.size() << " devices in inventory v" << in.local.version << ". Leader: ";
  if (leaders.empty()) {
    html << "<span class=\"down\">none answering</span>";
  } else {
    for (size_t i = 0; i < leaders.size(); ++i) {
      html << (i > 0 ? ", " : "") << htmlEscape(leaders[i]->name);
    }
  }
  html << ". This page: " << htmlEscape(in.local.replica) << ", " << htmlEscape(generated);
  if (!in.viewer.empty()) {
    html << ", signed in as " << htmlEscape(in.viewer) << " (" << (in.admin ? "admin" : "read")
         << ")";
  }
  html << ". <span id=\"refresh-state\"></span></p>";

  // What needs the operator, before the tables.
  if (!in.shareProblemWords.empty()) {
    html << "<p class=\"banner\">The shared inventory is " << htmlEscape(in.shareProblemWords)
         << ": " << htmlEscape(in.local.shareError) << ". Serving the last good version.";
    if (in.local.share == "missing" || in.local.share == "rolled_back") {
      html << " If the share was restored from a backup or came back empty, <code>POST "
              "/promsnmp/inventory/republish</code> (admin) publishes the leader's last good "
              "inventory into it.";
    }
    html << "</p>";
  }
  if (leaders.size() > 1) {
    html << "<p class=\"banner\">More than one replica says it holds the lease; the inventory's "
            "epochs keep all but the newest from writing.</p>";
  } else if (leaders.empty() && !in.local.holder.empty()) {
    html << "<p class=\"banner\">The elector names " << htmlEscape(in.local.holder)
         << " as leader, but no replica that answers says it leads.</p>";
  }
  if (versions.size() > 1) {
    html << "<p class=\"banner\">The replicas serve different inventory versions (";
    for (auto v = versions.begin(); v != versions.end(); ++v) {
      html << (v == versions.begin() ? "v" : ", v") << *v;
    }
    html << "): a replica that cannot read the share keeps its last good version.</p>";
  }
  for (const std::string& problem : in.problems) {
    html << "<p class=\"banner\">" << htmlEscape(problem) << "</p>";
  }
  if (in.answers.empty()) {
    html << "<p class=\"note\">site.peers is not set: this page shows this replica alone.</p>";
  }

  writeReplicas(html, rows);
  writeDevices(html, in, rows);
  writeModuleSets(html, in.localModuleSets);
  writeRuns(html, rows);
  writeHistory(html, in, rows);
  if (in.admin) {
    writeAdmin(html);
  }
  html << "<p class=\"note\">This replica: <a href=\"/metrics\">/metrics</a> · "
       << "<a href=\"/targets\">/targets</a> · <a href=\"/actuator/health\">/actuator/health</a>"
       << " · <a href=\"/config\">/config</a> · <a href=\"/promsnmp/site/replica\">"
       << "/promsnmp/site/replica</a></p></main><script>" << kScript << "</script></body></html>\n";
  return html.str();
}

}  // namespace promsnmp
