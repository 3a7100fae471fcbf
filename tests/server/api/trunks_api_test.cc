// GET /v1/trunks' JSON and the trunk families of /metrics, from a trunk
// table, a guard with calls and the links' state.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/api/trunk_metrics.h"
#include "server/api/trunks_handler.h"

namespace tutti::api {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

trunk::TrunkTable Table() {
  const trunk::TrunkConfig carrier{.name = "carrier",
                                   .host = "192.0.2.1",
                                   .username = "tutti",
                                   .auth_username = "acct-7",
                                   .password = "s3cret-password",
                                   .register_ = true,
                                   .max_calls = 30,
                                   .dial_out_patterns = {"44XXXXXXXXXX"}};
  const trunk::TrunkConfig pbx{
      .name = "pbx", .host = "192.0.2.2:5080", .outbound_proxy = "192.0.2.3", .transport = "tcp"};
  return *trunk::TrunkTable::Make({carrier, pbx});
}

std::vector<trunk::TrunkLinkStatus> Links() {
  trunk::TrunkLinkStatus carrier;
  carrier.trunk = "carrier";
  carrier.registration = trunk::RegistrationState::kRegistered;
  carrier.last_register_status = 200;
  carrier.registered_until = kNow + absl::Seconds(600);
  carrier.options_sent = 12;
  carrier.options_failed = 1;
  carrier.went_down = 4;
  carrier.registrations = 3;
  carrier.register_failures = 2;
  trunk::TrunkLinkStatus pbx;
  pbx.trunk = "pbx";
  pbx.up = false;
  pbx.options_sent = 5;
  pbx.options_failed = 5;
  return {carrier, pbx};
}

struct Fixture {
  trunk::TrunkTable table = Table();
  trunk::TrunkGuard guard;
  TrunksView View() {
    TrunksView view;
    view.table = &table;
    view.guard = &guard;
    view.links = [] { return Links(); };
    return view;
  }
};

TEST(TrunksApiTest, ListsEachTrunkWithItsLinkAndCallsButNoSecret) {
  Fixture f;
  ASSERT_TRUE(f.guard.AdmitInbound(*f.table.Named("carrier"), kNow));
  ASSERT_TRUE(f.guard.AdmitDialOut(*f.table.Named("carrier"), "demo", "442079460000", kNow).ok());
  const json body = TrunksJson(f.View());
  ASSERT_EQ(body["trunks"].size(), 2u);
  const json& carrier = body["trunks"][0];
  EXPECT_EQ(carrier["name"], "carrier");
  EXPECT_EQ(carrier["host"], "192.0.2.1");
  EXPECT_EQ(carrier["domain"], "192.0.2.1");
  EXPECT_EQ(carrier["transport"], "udp");
  EXPECT_TRUE(carrier["outbound_proxy"].is_null());
  EXPECT_EQ(carrier["username"], "tutti");
  EXPECT_EQ(carrier["register"], true);
  EXPECT_EQ(carrier["registration"], json::parse(R"({"state":"registered","last_status":200,
                            "registered_until":"2027-01-15T08:10:00.000Z","retry_in_s":null,
                            "registrations":3,"failures":2})"));
  EXPECT_EQ(carrier["up"], true);
  EXPECT_EQ(carrier["options"], json::parse(R"({"sent":12,"failed":1,"went_down":4})"));
  EXPECT_EQ(carrier["calls"], 2);
  EXPECT_EQ(carrier["dial_outs"], 1);
  EXPECT_EQ(carrier["max_calls"], 30);
  EXPECT_EQ(carrier["dial_out_patterns"], json::parse(R"(["44XXXXXXXXXX"])"));

  const json& pbx = body["trunks"][1];
  EXPECT_EQ(pbx["outbound_proxy"], "192.0.2.3");
  EXPECT_EQ(pbx["transport"], "tcp");
  EXPECT_EQ(pbx["registration"]["state"], "none");
  EXPECT_TRUE(pbx["registration"]["last_status"].is_null());
  EXPECT_TRUE(pbx["registration"]["registered_until"].is_null());
  EXPECT_EQ(pbx["up"], false);
  EXPECT_EQ(pbx["calls"], 0);

  const std::string text = body.dump();
  EXPECT_THAT(text, Not(HasSubstr("s3cret-password")));
  EXPECT_THAT(text, Not(HasSubstr("password")));
  EXPECT_THAT(text, Not(HasSubstr("acct-7")));
}

TEST(TrunksApiTest, AFailedRegistrationSaysWhenItIsTriedAgain) {
  Fixture f;
  trunk::TrunkLinkStatus failed;
  failed.trunk = "carrier";
  failed.registration = trunk::RegistrationState::kFailed;
  failed.last_register_status = 403;
  failed.retry_in = absl::Seconds(64);
  const json carrier = TrunkJson(*f.table.Named("carrier"), failed, 0, 0);
  EXPECT_EQ(carrier["registration"]["state"], "failed");
  EXPECT_EQ(carrier["registration"]["last_status"], 403);
  EXPECT_EQ(carrier["registration"]["retry_in_s"], 64);
  EXPECT_TRUE(carrier["registration"]["registered_until"].is_null());
}

TEST(TrunksApiTest, NoTrunksIsAnEmptyList) {
  EXPECT_EQ(TrunksJson(TrunksView{}), json::parse(R"({"trunks":[]})"));
}

TEST(TrunksApiTest, MetricsShowEachTrunksLinkAndCallsAndTheCounters) {
  Fixture f;
  ASSERT_TRUE(f.guard.AdmitInbound(*f.table.Named("pbx"), kNow));
  InboundTrunkCounters inbound{.calls = 7,
                               .refused_stranger = 2,
                               .refused_no_route = 3,
                               .refused_busy = 4,
                               .early_media = 5};
  DialOutCounters dial_outs{.started = 9, .refused = 8, .answered = 6, .failed = 3, .refers = 1};
  MetricsText m;
  RenderTrunkMetrics(f.View(), inbound, dial_outs, m);
  const std::string& text = m.text();
  for (const char* line : {
           "tutti_trunk_up{trunk=\"carrier\"} 1\n",
           "tutti_trunk_up{trunk=\"pbx\"} 0\n",
           "tutti_trunk_registered{trunk=\"carrier\"} 1\n",
           "tutti_trunk_registrations_total{trunk=\"carrier\"} 3\n",
           "tutti_trunk_register_failures_total{trunk=\"carrier\"} 2\n",
           "tutti_trunk_options_sent_total{trunk=\"pbx\"} 5\n",
           "tutti_trunk_options_failed_total{trunk=\"pbx\"} 5\n",
           "tutti_trunk_options_failed_total{trunk=\"carrier\"} 1\n",
           "tutti_trunk_went_down_total{trunk=\"carrier\"} 4\n",
           "tutti_trunk_calls{trunk=\"pbx\"} 1\n",
           "tutti_trunk_calls{trunk=\"carrier\"} 0\n",
           "tutti_trunk_dial_outs{trunk=\"carrier\"} 0\n",
           "tutti_trunk_inbound_calls_total 7\n",
           "tutti_trunk_inbound_refused_total{reason=\"stranger\"} 2\n",
           "tutti_trunk_inbound_refused_total{reason=\"no_route\"} 3\n",
           "tutti_trunk_inbound_refused_total{reason=\"busy\"} 4\n",
           "tutti_trunk_inbound_early_media_total 5\n",
           "tutti_dial_outs_started_total 9\n",
           "tutti_dial_outs_refused_total 8\n",
           "tutti_dial_outs_answered_total 6\n",
           "tutti_dial_outs_failed_total 3\n",
           "tutti_dial_outs_refers_total 1\n",
       }) {
    EXPECT_THAT(text, HasSubstr(line));
  }
  // Only trunks that register have a registration.
  EXPECT_THAT(text, Not(HasSubstr("tutti_trunk_registered{trunk=\"pbx\"}")));
}

TEST(TrunksApiTest, MetricsWithoutTrunksStillCount) {
  MetricsText m;
  RenderTrunkMetrics(TrunksView{}, InboundTrunkCounters{.refused_stranger = 1}, DialOutCounters{},
                     m);
  EXPECT_THAT(m.text(), HasSubstr("tutti_trunk_inbound_refused_total{reason=\"stranger\"} 1\n"));
  EXPECT_THAT(m.text(), HasSubstr("tutti_dial_outs_started_total 0\n"));
  EXPECT_THAT(m.text(), Not(HasSubstr("tutti_trunk_up{")));
}

}  // namespace
}  // namespace tutti::api
