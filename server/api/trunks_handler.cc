#include "server/api/trunks_handler.h"

#include "server/api/api_json.h"

namespace tutti::api {

using nlohmann::json;

json TrunkJson(const trunk::TrunkConfig& trunk, const trunk::TrunkLinkStatus& link, int calls,
               int dial_outs) {
  const bool registered = link.registration == trunk::RegistrationState::kRegistered;
  json registration = {
      {"state", std::string(trunk::RegistrationStateName(link.registration))},
      {"last_status",
       link.last_register_status == 0 ? json(nullptr) : json(link.last_register_status)},
      {"registered_until", registered ? json(Rfc3339(link.registered_until)) : json(nullptr)},
      {"retry_in_s", link.registration == trunk::RegistrationState::kFailed
                         ? json(absl::ToInt64Seconds(link.retry_in))
                         : json(nullptr)},
      {"registrations", link.registrations},
      {"failures", link.register_failures},
  };
  return {
      {"name", trunk.name},
      {"host", trunk.host},
      {"domain", trunk.domain},
      {"transport", trunk.transport},
      {"outbound_proxy", trunk.outbound_proxy.empty() ? json(nullptr) : json(trunk.outbound_proxy)},
      {"username", trunk.username.empty() ? json(nullptr) : json(trunk.username)},
      {"register", trunk.register_},
      {"registration", std::move(registration)},
      {"up", link.up},
      {"options",
       {{"sent", link.options_sent},
        {"failed", link.options_failed},
        {"went_down", link.went_down}}},
      {"calls", calls},
      {"dial_outs", dial_outs},
      {"max_calls", trunk.max_calls},
      {"max_calls_per_second", trunk.max_calls_per_second},
      {"max_dial_outs", trunk.max_dial_outs},
      {"max_dial_outs_per_hour", trunk.max_dial_outs_per_hour},
      {"dial_out_patterns", trunk.dial_out_patterns},
  };
}

json TrunksJson(const TrunksView& view) {
  json trunks = json::array();
  if (view.table == nullptr) return json{{"trunks", trunks}};
  const std::vector<trunk::TrunkLinkStatus> links = view.Links();
  for (const trunk::TrunkConfig& trunk : view.table->trunks()) {
    const int calls = view.guard ? view.guard->calls(trunk.name) : 0;
    const int dial_outs = view.guard ? view.guard->dial_outs(trunk.name) : 0;
    trunks.push_back(TrunkJson(trunk, TrunksView::LinkOf(links, trunk.name), calls, dial_outs));
  }
  return json{{"trunks", trunks}};
}

Reply TrunksHandler::List(const ApiRequest&) { return Reply{200, TrunksJson(*view_)}; }

}  // namespace tutti::api
