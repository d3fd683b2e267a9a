#pragma once
// A strict parser of the Prometheus text exposition format (version 0.0.4), for tests that check
// /metrics: syntax of names, labels and values; HELP and TYPE before a family's samples, once
// each; no duplicate series; histograms with ascending `le`, cumulative buckets, a +Inf bucket
// equal to _count, and _sum.

#include <map>
#include <string>

namespace respite::test {

struct PrometheusText {
  std::string error;                         // empty when the text is valid
  std::map<std::string, std::string> types;  // family -> counter, gauge, histogram, ...
  // Series as written, labels in their written order: `name{a="x",b="y"}` -> value.
  std::map<std::string, double> samples;

  bool Has(const std::string& series) const { return samples.count(series) != 0; }
  // The value of a series, or -1 when absent.
  double Value(const std::string& series) const {
    auto it = samples.find(series);
    return it == samples.end() ? -1 : it->second;
  }
};

PrometheusText ParsePrometheusText(const std::string& text);

}  // namespace respite::test
