// Builds a Prometheus text exposition (format 0.0.4): families with HELP and
// TYPE lines, samples with labels, and cumulative histograms.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tutti::api {

using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricsText {
 public:
  // Starts a family; the samples that follow belong to it.
  void Family(std::string_view name, std::string_view type, std::string_view help);
  void Sample(std::string_view name, double value, const Labels& labels = {});
  // `bounds` are the upper bounds (le) of the buckets; `counts` holds one
  // count per bound plus the +Inf bucket, not cumulative (this makes them so).
  void Histogram(std::string_view name, std::span<const double> bounds,
                 std::span<const uint64_t> counts, double sum, const Labels& labels = {});

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace tutti::api
