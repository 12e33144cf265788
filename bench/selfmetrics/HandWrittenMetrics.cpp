#include "selfmetrics/HandWrittenMetrics.h"

#include <algorithm>
#include <cmath>

#include "exposition/Exposition.h"

namespace handwritten {

using promsnmp::appendDouble;
using promsnmp::appendHelpText;
using promsnmp::appendLabelValue;

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double v) {
  size_t i = std::isnan(v)
                 ? bounds_.size()
                 : static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) -
                                       bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::cumulative() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

template <typename T>
T& Family<T>::labels(std::initializer_list<std::string_view> values) {
  std::vector<std::string> v(values.begin(), values.end());
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = series_.find(v);
  if (it == series_.end()) {
    std::unique_ptr<T> series;
    if constexpr (std::is_same_v<T, Histogram>) {
      series = std::make_unique<Histogram>(bounds_);
    } else {
      series = std::make_unique<T>();
    }
    it = series_.emplace(std::move(v), std::move(series)).first;
  }
  return *it->second;
}

template <typename T>
bool Family<T>::remove(const std::vector<std::string>& values) {
  std::lock_guard<std::mutex> lock(mutex_);
  return series_.erase(values) > 0;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Registry::Entry {
  std::string name;
  std::string help;
  std::vector<std::string> labelNames;
  std::unique_ptr<Family<Counter>> counter;
  std::unique_ptr<Family<Gauge>> gauge;
  std::unique_ptr<Family<Histogram>> histogram;
};

namespace {

void appendLabels(std::string& out, const std::vector<std::string>& names,
                  const std::vector<std::string>& values, std::string_view le = {}) {
  if (names.empty() && le.empty()) {
    return;
  }
  out += '{';
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    out += names[i];
    out += "=\"";
    appendLabelValue(out, values[i]);
    out += '"';
  }
  if (!le.empty()) {
    if (!names.empty()) {
      out += ',';
    }
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void appendSample(std::string& out, const std::string& name, std::string_view suffix,
                  const std::vector<std::string>& names, const std::vector<std::string>& values,
                  double value, std::string_view le = {}) {
  out += name;
  out += suffix;
  appendLabels(out, names, values, le);
  out += ' ';
  appendDouble(out, value);
  out += '\n';
}

void appendHeader(std::string& out, const std::string& name, const std::string& help,
                  std::string_view type) {
  out += "# HELP ";
  out += name;
  out += ' ';
  appendHelpText(out, help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::add(const std::string& name, const std::string& help,
                               const std::vector<std::string>& labelNames) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& e : families_) {
    if (e->name == name) {
      return *e;  // the daemon's rules (same type, help and labels) are not checked here
    }
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->labelNames = labelNames;
  families_.push_back(std::move(e));
  return *families_.back();
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   const std::vector<std::string>& labelNames) {
  Entry& e = add(name, help, labelNames);
  if (!e.counter) {
    e.counter = std::make_unique<Family<Counter>>(labelNames, std::vector<double>());
    if (labelNames.empty()) {
      e.counter->get();
    }
  }
  return *e.counter;
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help,
                               const std::vector<std::string>& labelNames) {
  Entry& e = add(name, help, labelNames);
  if (!e.gauge) {
    e.gauge = std::make_unique<Family<Gauge>>(labelNames, std::vector<double>());
    if (labelNames.empty()) {
      e.gauge->get();
    }
  }
  return *e.gauge;
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       const std::vector<std::string>& labelNames,
                                       const std::vector<double>& bounds) {
  Entry& e = add(name, help, labelNames);
  if (!e.histogram) {
    e.histogram = std::make_unique<Family<Histogram>>(labelNames, bounds);
    if (labelNames.empty()) {
      e.histogram->get();
    }
  }
  return *e.histogram;
}

void Registry::onCollect(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mutex_);
  hooks_.push_back(std::move(hook));
}

std::string Registry::render() const {
  std::vector<std::function<void()>> hooks;
  std::vector<const Entry*> families;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    hooks = hooks_;
    for (const auto& e : families_) {
      families.push_back(e.get());
    }
  }
  for (const auto& hook : hooks) {
    hook();
  }
  std::string out;
  out.reserve(4096);
  for (const Entry* e : families) {
    // The header first; taken back when the family has no series (no orphan HELP/TYPE).
    const size_t mark = out.size();
    bool any = false;
    auto simple = [&](const std::vector<std::string>& values, const auto& s) {
      appendSample(out, e->name, "", e->labelNames, values, s.value());
    };
    if (e->counter) {
      appendHeader(out, e->name, e->help, "counter");
      any = e->counter->forEach(simple);
    } else if (e->gauge) {
      appendHeader(out, e->name, e->help, "gauge");
      any = e->gauge->forEach(simple);
    } else {
      appendHeader(out, e->name, e->help, "histogram");
      std::vector<std::string> les;
      for (double b : e->histogram->bounds()) {
        les.push_back(promsnmp::formatDouble(b));
      }
      les.push_back("+Inf");
      any = e->histogram->forEach([&](const std::vector<std::string>& values, const Histogram& h) {
        std::vector<uint64_t> cumulative = h.cumulative();
        for (size_t i = 0; i < les.size(); ++i) {
          appendSample(out, e->name, "_bucket", e->labelNames, values,
                       static_cast<double>(cumulative[i]), les[i]);
        }
        appendSample(out, e->name, "_sum", e->labelNames, values, h.sum());
        appendSample(out, e->name, "_count", e->labelNames, values,
                     static_cast<double>(cumulative.back()));
      });
    }
    if (!any) {
      out.resize(mark);
    }
  }
  return out;
}

}  // namespace handwritten
