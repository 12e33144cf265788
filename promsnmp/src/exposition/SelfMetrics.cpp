#include "exposition/SelfMetrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

#include <Poco/Exception.h>
#include <prometheus/text_serializer.h>

#include "common/Text.h"
#include "exposition/Exposition.h"

namespace promsnmp {

// ---- Histogram ----

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), histogram_(bounds_) {}  // bounds_ is declared first

void Histogram::observe(double v) {
  if (std::isnan(v)) {
    // prometheus-cpp would count NaN in the first bucket (no bound compares >= NaN).
    std::vector<double> inf(bounds_.size() + 1, 0.0);
    inf.back() = 1;
    histogram_.ObserveMultiple(inf, v);
    return;
  }
  histogram_.Observe(v);
}

Histogram::Snapshot Histogram::snapshot() const {
  prometheus::ClientMetric::Histogram h = histogram_.Collect().histogram;
  Snapshot s;
  for (const auto& bucket : h.bucket) {
    s.cumulative.push_back(bucket.cumulative_count);
  }
  s.count = h.sample_count;
  s.sum = h.sample_sum;
  return s;
}

const std::vector<double>& defaultSecondsBuckets() {
  static const std::vector<double> kBuckets = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
  return kBuckets;
}

// ---- Family ----

template <typename T>
T& Family<T>::labels(std::initializer_list<std::string_view> values) {
  std::vector<std::string> v;
  v.reserve(values.size());
  for (std::string_view s : values) {
    v.emplace_back(s);
  }
  return find(std::move(v));
}

template <typename T>
T& Family<T>::labels(const std::vector<std::string>& values) {
  return find(values);
}

template <typename T>
T& Family<T>::find(std::vector<std::string> values) {
  if (values.size() != labelNames_.size()) {
    throw Poco::InvalidArgumentException(
        "metric " + name_ + ": " + std::to_string(labelNames_.size()) +
        " label values expected, got " + std::to_string(values.size()));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = series_.find(values);
  if (it == series_.end()) {
    std::unique_ptr<T> series;
    if constexpr (std::is_same_v<T, Histogram>) {
      series = std::make_unique<Histogram>(bounds_);
    } else {
      series = std::make_unique<T>();
    }
    it = series_.emplace(std::move(values), std::move(series)).first;
  }
  return *it->second;
}

template <typename T>
bool Family<T>::remove(const std::vector<std::string>& values) {
  std::lock_guard<std::mutex> lock(mutex_);
  return series_.erase(values) > 0;
}

template <typename T>
size_t Family<T>::size() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return series_.size();
}

namespace {

/// The value as the exposition must carry it: prometheus-cpp escapes `\`, `"` and LF in label
/// values but passes invalid UTF-8 on, which makes Prometheus reject the whole scrape.
std::string validUtf8(const std::string& value) {
  const bool ascii = std::all_of(value.begin(), value.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  return ascii ? value : common::sanitizeUtf8(value);
}

/// HELP text escaped for text 0.0.4: prometheus-cpp writes HELP as it is given.
std::string escapedHelp(std::string_view help) {
  std::string out;
  appendHelpText(out, help);
  return out;
}

}  // namespace

template <typename T>
std::vector<prometheus::MetricFamily> Family<T>::Collect() const {
  prometheus::MetricFamily family;
  family.name = name_;
  family.help = escapedHelp(help_);
  if constexpr (std::is_same_v<T, Counter>) {
    family.type = prometheus::MetricType::Counter;
  } else if constexpr (std::is_same_v<T, Gauge>) {
    family.type = prometheus::MetricType::Gauge;
  } else {
    family.type = prometheus::MetricType::Histogram;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (series_.empty()) {
    return {};  // no HELP and TYPE without a sample
  }
  family.metric.reserve(series_.size());
  for (const auto& [values, series] : series_) {
    prometheus::ClientMetric metric = series->collect();
    metric.label.reserve(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      metric.label.push_back({labelNames_[i], validUtf8(values[i])});
    }
    family.metric.push_back(std::move(metric));
  }
  return {std::move(family)};
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// ---- /proc ----

namespace {

template <typename N>
bool parseNumber(std::string_view s, N& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::optional<std::string> readFile(const char* path) {
  std::ifstream in(path);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<ProcessStats> parseProcStat(std::string_view stat, long ticksPerSecond, long pageSize,
                                          double bootTimeSeconds) {
  // "pid (comm) state ppid …": comm is free text, so fields are counted after the last ')'.
  size_t close = stat.rfind(')');
  if (close == std::string_view::npos || ticksPerSecond <= 0) {
    return std::nullopt;
  }
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state) of proc(5)
  std::string_view rest = stat.substr(close + 1);
  while (!rest.empty()) {
    size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(start);
    size_t end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  auto field = [&fields](size_t number, int64_t& out) {
    return number - 3 < fields.size() && parseNumber(fields[number - 3], out);
  };
  int64_t utime = 0;
  int64_t stime = 0;
  int64_t threads = 0;
  int64_t starttime = 0;
  int64_t vsize = 0;
  int64_t rss = 0;
  if (!field(14, utime) || !field(15, stime) || !field(20, threads) || !field(22, starttime) ||
      !field(23, vsize) || !field(24, rss)) {
    return std::nullopt;
  }
  ProcessStats s;
  const double ticks = static_cast<double>(ticksPerSecond);
  s.cpuSeconds = static_cast<double>(utime + stime) / ticks;
  s.threads = static_cast<double>(threads);
  s.startTimeSeconds = bootTimeSeconds + static_cast<double>(starttime) / ticks;
  s.virtualBytes = static_cast<double>(vsize);
  s.residentBytes = static_cast<double>(rss) * static_cast<double>(pageSize);
  return s;
}

std::optional<double> parseBootTime(std::string_view procStat) {
  while (!procStat.empty()) {
    size_t nl = procStat.find('\n');
    std::string_view line = procStat.substr(0, nl);
    procStat = nl == std::string_view::npos ? std::string_view() : procStat.substr(nl + 1);
    if (line.substr(0, 6) == "btime ") {
      int64_t v = 0;
      std::string_view value = line.substr(6);
      while (!value.empty() && value.back() == ' ') {
        value.remove_suffix(1);
      }
      if (parseNumber(value, v)) {
        return static_cast<double>(v);
      }
    }
  }
  return std::nullopt;
}

std::optional<ProcessStats> readProcessStats() {
  auto stat = readFile("/proc/self/stat");
  auto procStat = readFile("/proc/stat");
  if (!stat || !procStat) {
    return std::nullopt;
  }
  auto boot = parseBootTime(*procStat);
  auto s = parseProcStat(*stat, sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE), boot.value_or(0));
  if (!s || !boot) {
    return std::nullopt;
  }
  if (DIR* dir = opendir("/proc/self/fd")) {
    double n = 0;
    while (const dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') {
        ++n;
      }
    }
    closedir(dir);
    s->openFds = n - 1;  // the descriptor of the directory being read
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    s->maxFds = static_cast<double>(limit.rlim_cur);
  }
  return s;
}

// ---- Registry ----

struct SelfMetrics::Entry {
  Kind kind;
  std::string name;
  std::string help;
  std::vector<std::string> labelNames;
  std::vector<double> bounds;
  std::unique_ptr<prometheus::Collectable> family;  // a Family<T> of the kind
};

namespace {

bool snakeCase(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

/// The process_* families, from /proc/self (none when it cannot be read).
void collectProcess(std::vector<prometheus::MetricFamily>& out) {
  auto s = readProcessStats();
  if (!s) {
    return;
  }
  auto one = [&out](const char* name, const char* help, prometheus::MetricType type, double v) {
    prometheus::ClientMetric metric;
    (type == prometheus::MetricType::Counter ? metric.counter.value : metric.gauge.value) = v;
    out.push_back(prometheus::MetricFamily{name, help, type, {std::move(metric)}});
  };
  using Type = prometheus::MetricType;
  one("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
      Type::Counter, s->cpuSeconds);
  if (s->openFds) {
    one("process_open_fds", "Number of open file descriptors.", Type::Gauge, *s->openFds);
  }
  if (s->maxFds) {
    one("process_max_fds", "Maximum number of open file descriptors.", Type::Gauge, *s->maxFds);
  }
  one("process_virtual_memory_bytes", "Virtual memory size in bytes.", Type::Gauge,
      s->virtualBytes);
  one("process_resident_memory_bytes", "Resident memory size in bytes.", Type::Gauge,
      s->residentBytes);
  one("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
      Type::Gauge, s->startTimeSeconds);
  one("process_threads", "Number of OS threads in the process.", Type::Gauge, s->threads);
}

}  // namespace

SelfMetrics::SelfMetrics(bool processMetrics) : processMetrics_(processMetrics) {}

SelfMetrics::~SelfMetrics() = default;

SelfMetrics::Entry& SelfMetrics::registerFamily(Kind kind, const std::string& name,
                                                const std::string& help,
                                                const std::vector<std::string>& labelNames,
                                                const std::vector<double>& bounds) {
  auto fail = [&name](const std::string& why) {
    throw Poco::InvalidArgumentException("metric " + name + ": " + why);
  };
  if (!snakeCase(name)) {
    fail("name must be lowercase snake_case");
  }
  if (name.rfind("process_", 0) == 0) {
    fail("the process_ prefix is reserved for the built-in process metrics");
  }
  // One exception, by name: DESIGN.md §5 fixes promsnmp_inventory_device_count for the site's
  // alert rules (promtool notes the suffix; no histogram of ours shares the base name).
  const bool designatedCount = kind == Kind::Gauge && name == "promsnmp_inventory_device_count";
  if (endsWith(name, "_bucket") || endsWith(name, "_sum") ||
      (endsWith(name, "_count") && !designatedCount)) {
    fail("_bucket, _count and _sum are reserved suffixes");
  }
  if ((kind == Kind::Counter) != endsWith(name, "_total")) {
    fail(kind == Kind::Counter ? "a counter's name must end in _total"
                               : "only a counter's name may end in _total");
  }
  for (size_t i = 0; i < labelNames.size(); ++i) {
    const std::string& l = labelNames[i];
    if (!snakeCase(l) || l.rfind("__", 0) == 0 || l == "quantile" ||
        (kind == Kind::Histogram && l == "le")) {
      fail("invalid or reserved label name '" + l + "'");
    }
    if (std::find(labelNames.begin(), labelNames.begin() + i, l) != labelNames.begin() + i) {
      fail("duplicate label name '" + l + "'");
    }
  }
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      fail("histogram bounds must be finite and strictly ascending");
    }
  }

  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& e : families_) {
    if (e->name == name) {
      if (e->kind != kind || e->help != help || e->labelNames != labelNames ||
          e->bounds != bounds) {
        fail("already registered with a different type, help, labels or bounds");
      }
      return *e;
    }
  }
  auto e = std::make_unique<Entry>();
  e->kind = kind;
  e->name = name;
  e->help = help;
  e->labelNames = labelNames;
  e->bounds = bounds;
  switch (kind) {
    case Kind::Counter:
      e->family.reset(new Family<Counter>(name, help, labelNames, {}));
      break;
    case Kind::Gauge:
      e->family.reset(new Family<Gauge>(name, help, labelNames, {}));
      break;
    case Kind::Histogram:
      e->family.reset(new Family<Histogram>(name, help, labelNames, bounds));
      break;
  }
  families_.push_back(std::move(e));
  Entry& entry = *families_.back();
  if (labelNames.empty()) {
    // A family without labels has exactly one series; show it from the start (as 0).
    switch (kind) {
      case Kind::Counter:
        static_cast<Family<Counter>&>(*entry.family).get();
        break;
      case Kind::Gauge:
        static_cast<Family<Gauge>&>(*entry.family).get();
        break;
      case Kind::Histogram:
        static_cast<Family<Histogram>&>(*entry.family).get();
        break;
    }
  }
  return entry;
}

Family<Counter>& SelfMetrics::counter(const std::string& name, const std::string& help,
                                      const std::vector<std::string>& labelNames) {
  return static_cast<Family<Counter>&>(
      *registerFamily(Kind::Counter, name, help, labelNames, {}).family);
}

Family<Gauge>& SelfMetrics::gauge(const std::string& name, const std::string& help,
                                  const std::vector<std::string>& labelNames) {
  return static_cast<Family<Gauge>&>(
      *registerFamily(Kind::Gauge, name, help, labelNames, {}).family);
}

Family<Histogram>& SelfMetrics::histogram(const std::string& name, const std::string& help,
                                          const std::vector<std::string>& labelNames,
                                          const std::vector<double>& bounds) {
  return static_cast<Family<Histogram>&>(
      *registerFamily(Kind::Histogram, name, help, labelNames, bounds).family);
}

void SelfMetrics::onCollect(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mutex_);
  hooks_.push_back(std::move(hook));
}

std::string SelfMetrics::render() const {
  std::vector<std::function<void()>> hooks;
  std::vector<const prometheus::Collectable*> families;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hooks = hooks_;
    for (const auto& e : families_) {
      families.push_back(e->family.get());  // entries are never removed
    }
  }
  for (const auto& hook : hooks) {
    hook();
  }
  std::vector<prometheus::MetricFamily> collected;
  collected.reserve(families.size() + 7);
  for (const prometheus::Collectable* family : families) {
    for (prometheus::MetricFamily& f : family->Collect()) {
      collected.push_back(std::move(f));
    }
  }
  if (processMetrics_) {
    collectProcess(collected);
  }
  return prometheus::TextSerializer().Serialize(collected);
}

}  // namespace promsnmp
