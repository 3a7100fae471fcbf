// Reading tuttid's TOML config (config.cc and the sections kept in files of
// their own, e.g. trunks_config.cc): one table at a time, every key checked,
// errors naming the file, line and key. Private to server/config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "toml++/toml.h"

namespace tutti::config_internal {

// "<origin>:<line>: <what>".
template <typename... Parts>
absl::Status LineError(std::string_view origin, int64_t line, const Parts&... parts) {
  return absl::InvalidArgumentError(StrCat(origin, ":", line, ": ", parts...));
}

// Reads one TOML table into a struct, key by key, and remembers which keys it
// consumed so that anything left over can be reported as unknown.
class TableReader {
 public:
  TableReader(const toml::table& table, std::string prefix, std::string_view origin)
      : table_(table), prefix_(std::move(prefix)), origin_(origin) {}

  absl::Status String(std::string_view key, std::string* out) {
    const toml::node* node = Take(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_string()) return Error(*node, key, "must be a string");
    *out = node->as_string()->get();
    return absl::OkStatus();
  }

  absl::Status Bool(std::string_view key, bool* out) {
    const toml::node* node = Take(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_boolean()) return Error(*node, key, "must be true or false");
    *out = node->as_boolean()->get();
    return absl::OkStatus();
  }

  template <typename Int>
  absl::Status Integer(std::string_view key, Int* out, int64_t min, int64_t max) {
    const toml::node* node = Take(key);
    if (node == nullptr) return absl::OkStatus();
    if (!node->is_integer()) return Error(*node, key, "must be an integer");
    const int64_t value = node->as_integer()->get();
    if (value < min || value > max) {
      return Error(*node, key, absl::StrCat("must be from ", min, " to ", max, ", not ", value));
    }
    *out = static_cast<Int>(value);
    return absl::OkStatus();
  }

  // An integer or a float, within [min, max].
  absl::Status Number(std::string_view key, double* out, double min, double max) {
    const toml::node* node = Take(key);
    if (node == nullptr) return absl::OkStatus();
    const std::optional<double> value = node->value<double>();
    if (!(node->is_integer() || node->is_floating_point()) || !value) {
      return Error(*node, key, "must be a number");
    }
    if (*value < min || *value > max) {
      return Error(*node, key, absl::StrCat("must be from ", min, " to ", max, ", not ", *value));
    }
    *out = *value;
    return absl::OkStatus();
  }

  absl::Status StringList(std::string_view key, std::vector<std::string>* out) {
    const toml::node* node = Take(key);
    if (node == nullptr) return absl::OkStatus();
    const toml::array* array = node->as_array();
    if (array == nullptr) return Error(*node, key, "must be an array of strings");
    out->clear();
    for (const toml::node& element : *array) {
      if (!element.is_string()) return Error(element, key, "must be an array of strings");
      out->push_back(element.as_string()->get());
    }
    return absl::OkStatus();
  }

  // One string, or an array of them.
  absl::Status StringOrList(std::string_view key, std::vector<std::string>* out) {
    const toml::node* node = table_.get(key);
    if (node != nullptr && node->is_string()) {
      Take(key);
      *out = {node->as_string()->get()};
      return absl::OkStatus();
    }
    if (node != nullptr && !node->is_array()) {
      Take(key);
      return Error(*node, key, "must be a string or an array of strings");
    }
    return StringList(key, out);
  }

  absl::Status IntegerList(std::string_view key, std::vector<int>* out, int min, int max) {
    const toml::node* node = Take(key);
    if (node == nullptr) return absl::OkStatus();
    const toml::array* array = node->as_array();
    if (array == nullptr) return Error(*node, key, "must be an array of integers");
    out->clear();
    for (const toml::node& element : *array) {
      const std::optional<int64_t> value = element.value<int64_t>();
      if (!element.is_integer() || !value || *value < min || *value > max) {
        return Error(element, key, StrCat("must hold integers from ", min, " to ", max));
      }
      out->push_back(static_cast<int>(*value));
    }
    return absl::OkStatus();
  }

  bool Has(std::string_view key) const { return table_.get(key) != nullptr; }

  // Every key of the table must have been read.
  absl::Status RejectUnknown() const {
    for (const auto& [key, node] : table_) {
      if (!taken_.contains(std::string(key.str()))) {
        return Error(node, key.str(), "is not a known setting");
      }
    }
    return absl::OkStatus();
  }

  // An error about a key this table has (already read).
  absl::Status Error(std::string_view key, std::string_view what) const {
    const toml::node* node = table_.get(key);
    return node ? Error(*node, key, what) : Error(table_, key, what);
  }

  absl::Status Error(const toml::node& node, std::string_view key, std::string_view what) const {
    return LineError(origin_, node.source().begin.line, prefix_, key, " ", what);
  }

 private:
  const toml::node* Take(std::string_view key) {
    taken_.insert(std::string(key));
    return table_.get(key);
  }

  const toml::table& table_;
  std::string prefix_;
  std::string_view origin_;
  absl::flat_hash_set<std::string> taken_;
};

}  // namespace tutti::config_internal
