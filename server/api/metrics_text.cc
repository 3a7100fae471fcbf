#include "server/api/metrics_text.h"

#include <cmath>
#include <cstdio>

#include "common/strings.h"

namespace tutti::api {
namespace {

std::string FormatValue(double value) {
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  // Integers print without a fraction; everything else with enough digits.
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  }
  return buffer;
}

// Label values escape backslash, double quote and newline.
void AppendLabels(std::string* out, const Labels& labels) {
  if (labels.empty()) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out->push_back(',');
    first = false;
    StrAppend(out, name, "=\"");
    for (char c : value) {
      if (c == '\\' || c == '"') {
        out->push_back('\\');
        out->push_back(c);
      } else if (c == '\n') {
        out->append("\\n");
      } else {
        out->push_back(c);
      }
    }
    out->push_back('"');
  }
  out->push_back('}');
}

}  // namespace

void MetricsText::Family(std::string_view name, std::string_view type, std::string_view help) {
  StrAppend(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

void MetricsText::Sample(std::string_view name, double value, const Labels& labels) {
  text_.append(name);
  AppendLabels(&text_, labels);
  StrAppend(&text_, " ", FormatValue(value), "\n");
}

void MetricsText::Histogram(std::string_view name, std::span<const double> bounds,
                            std::span<const uint64_t> counts, double sum, const Labels& labels) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size() && i < counts.size(); ++i) {
    cumulative += counts[i];
    Labels with_le = labels;
    with_le.emplace_back("le", i < bounds.size() ? FormatValue(bounds[i]) : "+Inf");
    Sample(StrCat(name, "_bucket"), static_cast<double>(cumulative), with_le);
  }
  Sample(StrCat(name, "_sum"), sum, labels);
  Sample(StrCat(name, "_count"), static_cast<double>(cumulative), labels);
}

}  // namespace tutti::api
