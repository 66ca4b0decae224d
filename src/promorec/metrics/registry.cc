#include "promorec/metrics/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace promorec::metrics {
namespace {

// Label values escape backslash, double quote and line feed.
void AppendLabels(const Labels& labels, const std::string* extra_name,
                  const std::string* extra_value, std::string* out) {
  if (labels.empty() && extra_name == nullptr) return;
  out->push_back('{');
  bool first = true;
  const auto one = [&](const std::string& name, const std::string& value) {
    if (!first) out->push_back(',');
    first = false;
    *out += name;
    *out += "=\"";
    for (const char c : value) {
      if (c == '\\' || c == '"') {
        out->push_back('\\');
        out->push_back(c);
      } else if (c == '\n') {
        *out += "\\n";
      } else {
        out->push_back(c);
      }
    }
    out->push_back('"');
  };
  for (const auto& [name, value] : labels) one(name, value);
  if (extra_name != nullptr) one(*extra_name, *extra_value);
  out->push_back('}');
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// Atomic add for doubles (fetch_add on atomic<double> needs C++20 support
// the library may lack).
void AddDouble(std::atomic<double>* target, double v) {
  double seen = target->load(std::memory_order_relaxed);
  while (!target->compare_exchange_weak(seen, seen + v, std::memory_order_relaxed)) {
  }
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::Observe(double value) {
  const auto at = static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                           bounds_.begin());
  counts_[at].fetch_add(1, std::memory_order_relaxed);
  AddDouble(&sum_, value);
}

std::vector<std::uint64_t> Histogram::CumulativeCounts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

std::vector<double> LatencyBounds() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

Registry::Family& Registry::FamilyOf(const std::string& name, Kind kind, const std::string& help) {
  auto [it, added] = families_.try_emplace(name);
  if (added) {
    it->second.kind = kind;
    it->second.help = help;
  }
  return it->second;
}

Counter& Registry::GetCounter(const std::string& name, const std::string& help,
                              const Labels& labels) {
  const std::lock_guard lock(mutex_);
  auto& slot = FamilyOf(name, Kind::kCounter, help).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::GetGauge(const std::string& name, const std::string& help, const Labels& labels) {
  const std::lock_guard lock(mutex_);
  auto& slot = FamilyOf(name, Kind::kGauge, help).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::GetHistogram(const std::string& name, const std::string& help,
                                  const Labels& labels, const std::vector<double>& bounds) {
  const std::lock_guard lock(mutex_);
  auto& slot = FamilyOf(name, Kind::kHistogram, help).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(bounds);
  return *slot;
}

std::string Registry::Exposition() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + " " + family.help + "\n";
    switch (family.kind) {
      case Kind::kCounter:
        out += "# TYPE " + name + " counter\n";
        for (const auto& [labels, counter] : family.counters) {
          out += name;
          AppendLabels(labels, nullptr, nullptr, &out);
          out += " " + std::to_string(counter->value()) + "\n";
        }
        break;
      case Kind::kGauge:
        out += "# TYPE " + name + " gauge\n";
        for (const auto& [labels, gauge] : family.gauges) {
          out += name;
          AppendLabels(labels, nullptr, nullptr, &out);
          out += " " + Number(gauge->value()) + "\n";
        }
        break;
      case Kind::kHistogram: {
        out += "# TYPE " + name + " histogram\n";
        const std::string le = "le";
        for (const auto& [labels, histogram] : family.histograms) {
          const auto counts = histogram->CumulativeCounts();
          for (std::size_t i = 0; i < counts.size(); ++i) {
            const std::string bound =
                i < histogram->bounds().size() ? Number(histogram->bounds()[i]) : "+Inf";
            out += name + "_bucket";
            AppendLabels(labels, &le, &bound, &out);
            out += " " + std::to_string(counts[i]) + "\n";
          }
          out += name + "_sum";
          AppendLabels(labels, nullptr, nullptr, &out);
          out += " " + Number(histogram->sum()) + "\n";
          out += name + "_count";
          AppendLabels(labels, nullptr, nullptr, &out);
          out += " " + std::to_string(counts.back()) + "\n";
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace promorec::metrics
