// Self-metrics registry (issue 13): what promsnmp's own metrics cost on the paths that matter,
// for two registries in the same run:
//   SelfMetrics    promsnmp/src/exposition/SelfMetrics as built in this tree (a facade over
//                  prometheus-cpp core that keeps its own lookup by label values);
//   prometheus-cpp Debian's prometheus-cpp core used directly: Family::Add(labels) per lookup,
//                  Registry::Collect and TextSerializer.
// Each registry holds the families the daemon registers (36, promsnmp's names and label sets,
// with the series a running replica has) plus `promsnmp_target_polls_total{target}` for TARGETS
// devices. Rows (medians of RUNS samples; each sample takes the thread's CPU time over a batch
// and divides):
//   poll: target counter   one `targetPolls.labels({target}).inc()`, cycling through the targets
//                          (Collector::outcomeOf, once per poll);
//   poll: all updates      everything one poll records: that, the duration histogram, the varbind
//                          counter and `polls.labels({"scrape", "success"}).inc()`;
//   scrape: counters       what a /snmp?target= request records in the registry:
//                          `requests.labels({"snmp", "200"})` and `cacheGets.labels({"metrics",
//                          "hit"})`, one inc() each (the status families of a scrape are written
//                          by Exposition, not by the registry);
//   render /metrics        one render of the whole registry (process_* left out: /proc reads).
//
// Usage: selfmetrics_bench [RUNS] [TARGETS]
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "exposition/SelfMetrics.h"

namespace {

const std::vector<double> kSecondsBuckets = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

struct Family {
  const char* name;
  const char* help;
  std::vector<std::string> labelNames;
  std::vector<std::vector<std::string>> series;  // empty for a family without labels
};

/// The daemon's families, with the series a running replica shows (target series aside).
std::vector<Family> counterFamilies() {
  return {
      {"promsnmp_snmp_polls_total",
       "SNMP polls of devices by trigger and result.",
       {"trigger", "result"},
       {{"background", "success"},
        {"background", "failure"},
        {"scrape", "success"},
        {"scrape", "failure"}}},
      {"cache_gets_total",
       "Cache lookups of device metrics.",
       {"cache", "result"},
       {{"metrics", "hit"}, {"metrics", "miss"}}},
      {"promsnmp_scrape_unknown_target_total",
       "Scrapes of a target that is not in the inventory.",
       {},
       {}},
      {"promsnmp_snmp_varbinds_received_total",
       "Variable bindings received from devices in polls.",
       {},
       {}},
      {"promsnmp_collection_cycles_total",
       "Background collection cycles completed (each polls every due device once).",
       {},
       {}},
      {"promsnmp_collection_overruns_total",
       "Collection cycles that took longer than the collection interval: devices were polled "
       "late.",
       {},
       {}},
      {"promsnmp_http_requests_total",
       "HTTP requests by handler and status code.",
       {"handler", "code"},
       {{"snmp", "200"},
        {"snmp", "404"},
        {"metrics", "200"},
        {"targets", "200"},
        {"healthz", "200"},
        {"readyz", "200"},
        {"inventory", "200"},
        {"discovery", "202"}}},
      {"promsnmp_http_auth_failures_total",
       "Requests refused by authentication.",
       {"reason"},
       {{"missing"}, {"invalid"}, {"forbidden"}}},
      {"promsnmp_http_rejected_total", "Requests rejected by a limit.", {"limit"}, {{"body_size"}}},
      {"promsnmp_inventory_write_failures_total", "Inventory writes that failed.", {}, {}},
      {"promsnmp_snmp_packets_sent_total", "SNMP request packets sent.", {}, {}},
      {"promsnmp_snmp_timeouts_total", "SNMP requests that timed out.", {}, {}},
      {"promsnmp_snmp_authentication_failures_total", "SNMPv3 authentication failures.", {}, {}},
      {"promsnmp_discovery_attempts_total", "Discovery runs started.", {}, {}},
      {"promsnmp_discovery_success_total", "Discovery runs completed.", {}, {}},
      {"promsnmp_discovery_probes_total",
       "Discovery probes by result.",
       {"result"},
       {{"answered"}, {"timeout"}, {"unreachable"}, {"auth"}, {"error"}}},
      {"promsnmp_discovery_new_devices_total", "Devices added by discovery.", {}, {}},
      {"promsnmp_discovery_updated_devices_total", "Devices updated by discovery.", {}, {}},
  };
}

std::vector<const char*> gaugeNames() {
  return {"promsnmp_cache_entries",
          "promsnmp_polls_in_flight",
          "promsnmp_collection_interval_seconds",
          "promsnmp_collection_cycle_duration_seconds",
          "promsnmp_leader_election_is_leader",
          "promsnmp_leader_election_epoch",
          "promsnmp_inventory_version",
          "promsnmp_inventory_device_count",
          "promsnmp_inventory_read_failing",
          "promsnmp_inventory_from_local_replica",
          "promsnmp_snmp_sessions",
          "promsnmp_snmp_requests_in_flight",
          "promsnmp_snmp_requests_queued",
          "promsnmp_discovery_running",
          "promsnmp_discovery_queued",
          "promsnmp_last_discovery_timestamp_seconds",
          "promsnmp_discovery_last_duration_seconds"};
}

const char* const kTargetsHelp =
    "Polls of each device by this replica (with sharding behind HAProxy, one replica polls a "
    "device).";

std::vector<std::string> targetNames(size_t n) {
  std::vector<std::string> names;
  for (size_t i = 0; i < n; ++i) {
    names.push_back("sw-" + std::to_string(i) + ".pop1.example.net");
  }
  return names;
}

/// The measured operations of one registry.
struct Subject {
  std::function<void(const std::string& target)> targetInc;
  std::function<void(const std::string& target, double seconds)> pollUpdates;
  std::function<void()> scrapeCounters;
  std::function<std::string()> render;
};

Subject selfMetrics(promsnmp::SelfMetrics& r, const std::vector<std::string>& targets) {
  for (const Family& f : counterFamilies()) {
    auto& family = r.counter(f.name, f.help, f.labelNames);
    for (const auto& values : f.series) {
      if (values.size() == 1) {
        family.labels({values[0]}).inc(3);
      } else {
        family.labels({values[0], values[1]}).inc(3);
      }
    }
  }
  std::vector<promsnmp::Gauge*> gauges;
  for (const char* name : gaugeNames()) {
    gauges.push_back(&r.gauge(name, "A gauge of the daemon.").get());
  }
  r.onCollect([gauges] {
    for (promsnmp::Gauge* g : gauges) {
      g->set(42);
    }
  });
  auto& polls = r.counter("promsnmp_snmp_polls_total",
                          "SNMP polls of devices by trigger and result.", {"trigger", "result"});
  auto& cacheGets =
      r.counter("cache_gets_total", "Cache lookups of device metrics.", {"cache", "result"});
  auto& requests = r.counter("promsnmp_http_requests_total",
                             "HTTP requests by handler and status code.", {"handler", "code"});
  auto& varbinds = r.counter("promsnmp_snmp_varbinds_received_total",
                             "Variable bindings received from devices in polls.");
  auto& duration = r.histogram("promsnmp_snmp_query_duration_seconds",
                               "Duration of SNMP polls of one device.", {}, kSecondsBuckets);
  auto& targetPolls = r.counter("promsnmp_target_polls_total", kTargetsHelp, {"target"});
  for (const std::string& t : targets) {
    targetPolls.labels({t}).inc(1234);
  }
  return Subject{
      [&targetPolls](const std::string& t) { targetPolls.labels({t}).inc(); },
      [&](const std::string& t, double seconds) {
        duration.get().observe(seconds);
        targetPolls.labels({t}).inc();
        varbinds.get().inc(1185);
        polls.labels({"scrape", "success"}).inc();
      },
      [&] {
        requests.labels({"snmp", "200"}).inc();
        cacheGets.labels({"metrics", "hit"}).inc();
      },
      [&r] { return r.render(); },
  };
}

prometheus::Labels labelsOf(const std::vector<std::string>& names,
                            const std::vector<std::string>& values) {
  prometheus::Labels labels;
  for (size_t i = 0; i < names.size(); ++i) {
    labels.emplace(names[i], values[i]);
  }
  return labels;
}

/// prometheus-cpp as its documentation shows it: a series looked up with Family::Add(labels).
Subject prometheusCpp(prometheus::Registry& r, std::vector<prometheus::Gauge*>& gauges,
                      const std::vector<std::string>& targets) {
  for (const Family& f : counterFamilies()) {
    auto& family = prometheus::BuildCounter().Name(f.name).Help(f.help).Register(r);
    if (f.labelNames.empty()) {
      family.Add({}).Increment(3);
    }
    for (const auto& values : f.series) {
      family.Add(labelsOf(f.labelNames, values)).Increment(3);
    }
  }
  for (const char* name : gaugeNames()) {
    gauges.push_back(
        &prometheus::BuildGauge().Name(name).Help("A gauge of the daemon.").Register(r).Add({}));
  }
  auto counter = [&r](const char* name, const char* help) -> auto& {
    return prometheus::BuildCounter().Name(name).Help(help).Register(r);
  };
  auto& polls =
      counter("promsnmp_snmp_polls_total", "SNMP polls of devices by trigger and result.");
  auto& cacheGets = counter("cache_gets_total", "Cache lookups of device metrics.");
  auto& requests =
      counter("promsnmp_http_requests_total", "HTTP requests by handler and status code.");
  auto& varbinds = counter("promsnmp_snmp_varbinds_received_total",
                           "Variable bindings received from devices in polls.");
  auto& targetPolls = counter("promsnmp_target_polls_total", kTargetsHelp);
  auto& duration = prometheus::BuildHistogram()
                       .Name("promsnmp_snmp_query_duration_seconds")
                       .Help("Duration of SNMP polls of one device.")
                       .Register(r);
  for (const std::string& t : targets) {
    targetPolls.Add({{"target", t}}).Increment(1234);
  }
  duration.Add({}, kSecondsBuckets);
  return Subject{
      [&targetPolls](const std::string& t) {
        targetPolls.Add({{"target", t}}).Increment();
      },
      [&](const std::string& t, double seconds) {
        duration.Add({}, kSecondsBuckets).Observe(seconds);
        targetPolls.Add({{"target", t}}).Increment();
        varbinds.Add({}).Increment(1185);
        polls.Add({{"trigger", "scrape"}, {"result", "success"}}).Increment();
      },
      [&] {
        requests.Add({{"handler", "snmp"}, {"code", "200"}}).Increment();
        cacheGets.Add({{"cache", "metrics"}, {"result", "hit"}}).Increment();
      },
      [&r, &gauges] {
        for (prometheus::Gauge* g : gauges) {
          g->Set(42);
        }
        return prometheus::TextSerializer().Serialize(r.Collect());
      },
  };
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// CPU time of this thread: on a shared machine, wall time would count the time slices other
/// processes take, more often in long samples (a render) than in short ones.
double threadCpuNs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e9 + static_cast<double>(t.tv_nsec);
}

/// Median over `runs` samples of the CPU time per call of `op(i)`, each sample `batch` calls, in
/// ns.
template <typename Op>
double nsPerCall(int runs, size_t batch, Op op) {
  std::vector<double> samples;
  for (int r = 0; r < runs; ++r) {
    const double start = threadCpuNs();
    for (size_t i = 0; i < batch; ++i) {
      op(i);
    }
    samples.push_back((threadCpuNs() - start) / static_cast<double>(batch));
  }
  return median(samples);
}

struct Row {
  double targetInc = 0;
  double pollUpdates = 0;
  double scrapeCounters = 0;
  double render = 0;
  size_t bytes = 0;
};

Row measure(const Subject& s, const std::vector<std::string>& targets, int runs) {
  const size_t n = targets.size();
  Row row;
  row.targetInc = nsPerCall(runs, 100000, [&](size_t i) { s.targetInc(targets[i % n]); });
  row.pollUpdates =
      nsPerCall(runs, 100000, [&](size_t i) { s.pollUpdates(targets[i % n], 0.01 * (i % 50)); });
  row.scrapeCounters = nsPerCall(runs, 100000, [&](size_t) { s.scrapeCounters(); });
  size_t bytes = 0;
  row.render = nsPerCall(runs, 20, [&](size_t) { bytes += s.render().size(); });
  row.bytes = s.render().size();
  return row;
}

std::string ratio(double value, double base) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f×", value / base);
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  const int runs = argc > 1 ? std::atoi(argv[1]) : 21;
  const size_t n = argc > 2 ? static_cast<size_t>(std::atol(argv[2])) : 1000;
  const std::vector<std::string> targets = targetNames(n);

  // Interleaved: each registry measured once per round, rounds repeated, so that a slow phase
  // of the shared machine does not fall on one registry only.
  promsnmp::SelfMetrics metrics(false);
  prometheus::Registry registry;
  std::vector<prometheus::Gauge*> gauges;
  const Subject subjects[] = {selfMetrics(metrics, targets),
                              prometheusCpp(registry, gauges, targets)};
  std::vector<Row> rounds[2];
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 2; ++i) {
      rounds[i].push_back(measure(subjects[i], targets, runs));
    }
  }
  Row rows[2];
  for (int i = 0; i < 2; ++i) {
    auto mid = [&](auto field) {
      std::vector<double> v;
      for (const Row& r : rounds[i]) {
        v.push_back(r.*field);
      }
      return median(v);
    };
    rows[i].targetInc = mid(&Row::targetInc);
    rows[i].pollUpdates = mid(&Row::pollUpdates);
    rows[i].scrapeCounters = mid(&Row::scrapeCounters);
    rows[i].render = mid(&Row::render);
    rows[i].bytes = rounds[i].back().bytes;
  }

  std::printf(
      "| operation | SelfMetrics (this tree) | prometheus-cpp direct | "
      "prometheus-cpp direct / SelfMetrics |\n");
  std::printf("|---|---:|---:|---:|\n");
  auto line = [&](const char* what, double Row::*field, double scale, const char* unit) {
    std::printf("| %s | %.1f %s | %.1f %s | %s |\n", what, rows[0].*field / scale, unit,
                rows[1].*field / scale, unit, ratio(rows[1].*field, rows[0].*field).c_str());
  };
  line("poll: target counter `labels({target}).inc()`", &Row::targetInc, 1, "ns");
  line("poll: all updates of one poll", &Row::pollUpdates, 1, "ns");
  line("scrape: the two counters of one `/snmp?target=`", &Row::scrapeCounters, 1, "ns");
  std::string renderWhat = "render `/metrics` (" + std::to_string(n) + " targets)";
  line(renderWhat.c_str(), &Row::render, 1000, "µs");
  std::printf("\nExposition size: SelfMetrics %zu bytes, prometheus-cpp %zu.\n", rows[0].bytes,
              rows[1].bytes);
  return 0;
}
