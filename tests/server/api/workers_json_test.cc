#include <gtest/gtest.h>

#include "server/api/workers_handler.h"

namespace tutti::api {
namespace {

TEST(WorkersJsonTest, LoadIsTheMeasuredBusyShareAndTickLoadTheTicksShare) {
  WorkerLoad busy{.index = 1,
                  .ticks = 1000,
                  .late_ticks = 3,
                  .tick_ns_total = 2'000'000'000,  // 2 ms a tick on average
                  .tick_ns_smoothed = 5'000'000,   // 5 ms now
                  .load_permille = 375,            // busy 37.5% of the time
                  .participant_cost_ppm = 1250,    // 800 participants a core
                  .rooms = 2,
                  .participants = 7};
  const nlohmann::json body = WorkersJson({WorkerLoad{}, busy});
  EXPECT_EQ(body["tick_ms"], 20);
  ASSERT_EQ(body["workers"].size(), 2u);
  const nlohmann::json& idle = body["workers"][0];
  EXPECT_EQ(idle["index"], 0);
  EXPECT_EQ(idle["load"], 0.0);
  EXPECT_EQ(idle["tick_load"], 0.0);
  EXPECT_EQ(idle["tick_ms_mean"], 0.0);  // no tick yet: no division by zero
  const nlohmann::json& w = body["workers"][1];
  EXPECT_EQ(w["index"], 1);
  EXPECT_DOUBLE_EQ(w["load"].get<double>(), 0.375);
  EXPECT_DOUBLE_EQ(w["participant_cost"].get<double>(), 0.00125);
  EXPECT_EQ(idle["participant_cost"], 0.0);
  EXPECT_DOUBLE_EQ(w["tick_load"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(w["tick_ms"].get<double>(), 5.0);
  EXPECT_DOUBLE_EQ(w["tick_ms_mean"].get<double>(), 2.0);
  EXPECT_EQ(w["ticks"], 1000);
  EXPECT_EQ(w["late_ticks"], 3);
  EXPECT_EQ(w["rooms"], 2);
  EXPECT_EQ(w["participants"], 7);
}

TEST(WorkersJsonTest, TimesAreReadToTheMicrosecond) {
  const nlohmann::json body = WorkersJson(
      {WorkerLoad{.ticks = 3, .tick_ns_total = 1'000'000, .tick_ns_smoothed = 123'956}});
  EXPECT_DOUBLE_EQ(body["workers"][0]["tick_ms"].get<double>(), 0.124);
  EXPECT_DOUBLE_EQ(body["workers"][0]["tick_ms_mean"].get<double>(), 0.333);
  EXPECT_DOUBLE_EQ(body["workers"][0]["tick_load"].get<double>(), 0.0062);
}

}  // namespace
}  // namespace tutti::api
