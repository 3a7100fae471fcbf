#include "server/config/trunks_config.h"

#include <fstream>
#include <sstream>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "common/strings.h"
#include "server/config/table_reader.h"
#include "signaling/trunk/dial_plan.h"
#include "signaling/trunk/trunk_table.h"

namespace tutti::config_internal {
namespace {

// Trunk codec names, as room.codecs writes them.
constexpr std::string_view kTrunkCodecs[] = {"PCMU", "PCMA", "G722", "G729", "opus"};

// codecs: known names, each once, written as room.codecs writes them.
absl::Status ReadTrunkCodecs(TableReader& r, trunk::TrunkConfig* trunk) {
  if (absl::Status s = r.StringList("codecs", &trunk->codecs); !s.ok()) return s;
  absl::flat_hash_set<std::string> seen;
  for (std::string& codec : trunk->codecs) {
    const auto* known =
        std::find_if(std::begin(kTrunkCodecs), std::end(kTrunkCodecs),
                     [&](std::string_view name) { return EqualsIgnoreCase(name, codec); });
    if (known == std::end(kTrunkCodecs)) {
      return r.Error("codecs",
                     StrCat("has \"", codec, "\"; known are PCMU, PCMA, G722, G729, opus"));
    }
    codec = std::string(*known);
    if (!seen.insert(codec).second) return r.Error("codecs", StrCat("names \"", codec, "\" twice"));
  }
  return absl::OkStatus();
}

// password or password_file (read now, its trailing line break dropped), not both.
absl::Status ReadPassword(TableReader& r, trunk::TrunkConfig* trunk) {
  std::string file;
  if (absl::Status s = r.String("password", &trunk->password); !s.ok()) return s;
  if (absl::Status s = r.String("password_file", &file); !s.ok()) return s;
  if (file.empty()) return absl::OkStatus();
  if (!trunk->password.empty()) {
    return r.Error("password_file", "and password are both set: give one");
  }
  std::ifstream in(file);
  std::stringstream text;
  if (in) text << in.rdbuf();
  if (!in) return r.Error("password_file", StrCat("\"", file, "\" cannot be read"));
  trunk->password = std::string(StripTrailingWhitespace(text.str()));
  if (trunk->password.empty()) return r.Error("password_file", StrCat("\"", file, "\" is empty"));
  return absl::OkStatus();
}

absl::Status ReadTrunkNumbers(TableReader& r, trunk::NumberRules* numbers) {
  absl::Status s;
  if (!(s = r.String("country_code", &numbers->country_code)).ok()) return s;
  if (!(s = r.String("national_prefix", &numbers->national_prefix)).ok()) return s;
  if (!(s = r.String("international_prefix", &numbers->international_prefix)).ok()) return s;
  if (!(s = r.String("number_format", &numbers->format)).ok()) return s;
  return r.Bool("user_phone", &numbers->user_phone);
}

absl::Status ReadTrunkLimits(TableReader& r, trunk::TrunkConfig* trunk) {
  absl::Status s;
  if (!(s = r.Integer("max_calls", &trunk->max_calls, 0, 1000000)).ok()) return s;
  if (!(s = r.Number("max_calls_per_second", &trunk->max_calls_per_second, 0, 100000)).ok()) {
    return s;
  }
  if (!(s = r.StringList("dial_out_patterns", &trunk->dial_out_patterns)).ok()) return s;
  if (!(s = r.Integer("max_dial_outs", &trunk->max_dial_outs, 0, 100000)).ok()) return s;
  return r.Integer("max_dial_outs_per_hour", &trunk->max_dial_outs_per_hour, 0, 100000);
}

absl::Status ReadTrunk(TableReader& r, trunk::TrunkConfig* trunk) {
  absl::Status s;
  if (!(s = r.String("name", &trunk->name)).ok()) return s;
  if (!(s = r.StringOrList("addresses", &trunk->addresses)).ok()) return s;
  if (!(s = r.String("host", &trunk->host)).ok()) return s;
  if (!(s = r.String("domain", &trunk->domain)).ok()) return s;
  if (!(s = r.String("outbound_proxy", &trunk->outbound_proxy)).ok()) return s;
  if (!(s = r.String("transport", &trunk->transport)).ok()) return s;
  if (!(s = r.String("username", &trunk->username)).ok()) return s;
  if (!(s = r.String("auth_username", &trunk->auth_username)).ok()) return s;
  if (!(s = ReadPassword(r, trunk)).ok()) return s;
  if (!(s = r.Bool("register", &trunk->register_)).ok()) return s;
  if (!(s = r.Integer("register_expires_s", &trunk->register_expires_s, 60, 86400)).ok()) return s;
  if (!(s = r.Integer("options_interval_s", &trunk->options_interval_s, 0, 3600)).ok()) return s;
  if (!(s = ReadTrunkNumbers(r, &trunk->numbers)).ok()) return s;
  if (!(s = r.String("caller_id", &trunk->caller_id)).ok()) return s;
  if (!(s = ReadTrunkCodecs(r, trunk)).ok()) return s;
  if (!(s = ReadTrunkLimits(r, trunk)).ok()) return s;
  if (!(s = r.Bool("early_media", &trunk->early_media)).ok()) return s;
  if (!(s = r.String("prack", &trunk->prack)).ok()) return s;
  return r.RejectUnknown();
}

const toml::array* ArrayOfTables(const toml::table& root, std::string_view name,
                                 std::string_view origin, absl::Status* error) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return nullptr;
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    *error = LineError(origin, node->source().begin.line, name, " must be an array of tables ([[",
                       name, "]])");
    return nullptr;
  }
  return array;
}

absl::Status ReadTrunks(const toml::table& root, std::string_view origin, Config* config) {
  absl::Status error;
  const toml::array* array = ArrayOfTables(root, "trunk", origin, &error);
  if (array == nullptr) return error;
  absl::flat_hash_set<std::string> names;
  for (const toml::node& element : *array) {
    TableReader reader(*element.as_table(), "trunk.", origin);
    trunk::TrunkConfig trunk;
    if (absl::Status s = ReadTrunk(reader, &trunk); !s.ok()) return s;
    const int64_t line = element.source().begin.line;
    if (trunk.name.empty()) return LineError(origin, line, "trunk.name is missing");
    if (absl::Status s = trunk::CheckTrunkConfig(trunk); !s.ok()) {
      return LineError(origin, line, s.message());
    }
    if (!names.insert(trunk.name).second) {
      return LineError(origin, line, "trunk.name \"", trunk.name, "\" is used twice");
    }
    config->trunks.push_back(std::move(trunk));
  }
  return absl::OkStatus();
}

absl::Status ReadDialPlanRule(TableReader& r, trunk::DialPlanRule* rule) {
  absl::Status s;
  if (!(s = r.String("match", &rule->match)).ok()) return s;
  if (!(s = r.String("trunk", &rule->trunk)).ok()) return s;
  if (!(s = r.String("room", &rule->room)).ok()) return s;
  if (!(s = r.Bool("ivr", &rule->ivr)).ok()) return s;
  if (!(s = r.Integer("ivr_room_digits", &rule->ivr_room_digits, 0, 32)).ok()) return s;
  return r.RejectUnknown();
}

absl::Status ReadDialPlan(const toml::table& root, std::string_view origin, Config* config) {
  absl::Status error;
  const toml::array* array = ArrayOfTables(root, "dial_plan", origin, &error);
  if (array == nullptr) return error;
  for (const toml::node& element : *array) {
    TableReader reader(*element.as_table(), "dial_plan.", origin);
    trunk::DialPlanRule rule;
    if (absl::Status s = ReadDialPlanRule(reader, &rule); !s.ok()) return s;
    const int64_t line = element.source().begin.line;
    const std::string name = StrCat("[[dial_plan]] #", config->dial_plan.size() + 1);
    if (rule.match.empty()) return LineError(origin, line, name, ": match is missing");
    if (absl::Status s = trunk::CheckDialPlanRule(rule); !s.ok()) {
      return LineError(origin, line, name, " (match = \"", rule.match, "\"): ", s.message());
    }
    const bool known_trunk =
        rule.trunk.empty() ||
        std::any_of(config->trunks.begin(), config->trunks.end(),
                    [&](const trunk::TrunkConfig& trunk) { return trunk.name == rule.trunk; });
    if (!known_trunk) {
      return LineError(origin, line, name, ": trunk \"", rule.trunk, "\" is no [[trunk]]'s name");
    }
    config->dial_plan.push_back(std::move(rule));
  }
  return absl::OkStatus();
}

absl::Status ReadDialOut(TableReader& r, trunk::DialOutConfig* dial_out) {
  absl::Status s;
  if (!(s = r.Integer("max_per_room", &dial_out->max_per_room, 0, 1000)).ok()) return s;
  if (!(s = r.Integer("max_per_room_per_hour", &dial_out->max_per_room_per_hour, 0, 100000)).ok()) {
    return s;
  }
  if (!(s = r.Integer("answer_timeout_s", &dial_out->answer_timeout_s, 5, 600)).ok()) return s;
  return r.RejectUnknown();
}

absl::Status ReadTrunkPolicy(TableReader& r, trunk::TrunkPolicy* policy) {
  if (absl::Status s =
          r.Bool("allow_room_calls_from_anywhere", &policy->allow_room_calls_from_anywhere);
      !s.ok()) {
    return s;
  }
  return r.RejectUnknown();
}

template <typename Read, typename Out>
absl::Status ReadTable(const toml::table& root, std::string_view name, std::string_view origin,
                       Read read, Out* out) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return absl::OkStatus();
  if (!node->is_table()) {
    return LineError(origin, node->source().begin.line, name, " must be a table");
  }
  TableReader reader(*node->as_table(), StrCat(name, "."), origin);
  return read(reader, out);
}

}  // namespace

bool IsTrunkSection(std::string_view name) {
  return name == "trunk" || name == "dial_plan" || name == "dial_out" || name == "trunks";
}

absl::Status ReadTrunkSections(const toml::table& root, std::string_view origin, Config* config) {
  absl::Status s;
  if (!(s = ReadTrunks(root, origin, config)).ok()) return s;
  if (!(s = ReadDialPlan(root, origin, config)).ok()) return s;
  if (!(s = ReadTable(root, "dial_out", origin, ReadDialOut, &config->dial_out)).ok()) return s;
  return ReadTable(root, "trunks", origin, ReadTrunkPolicy, &config->trunk_policy);
}

}  // namespace tutti::config_internal
