// [media] admission and shedding keys (issue 20): defaults, values, the
// messages a wrong one gets, how they reach the worker pool, and which a
// reload takes live.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/component_options.h"
#include "server/config/config.h"
#include "server/config/config_change.h"
#include "server/default_config.h"

namespace tutti {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

Config Accepted(std::string_view text) {
  absl::StatusOr<Config> config = ParseConfig(text, "a.toml");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : Config{};
}

std::string ErrorOf(std::string_view text) {
  auto config = ParseConfig(text, "a.toml");
  return config.ok() ? "(accepted)" : std::string(config.status().message());
}

TEST(AdmissionConfigTest, ShippedDefaultsAreTheBuiltInOnes) {
  auto shipped = ParseConfig(DefaultConfigText(), "<embedded>");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  for (const Config& config : {*shipped, Accepted("")}) {
    EXPECT_EQ(config.media.admit_load, 0.90);
    EXPECT_EQ(config.media.max_participants_per_worker, 0);
    EXPECT_EQ(config.media.full_worker, "refuse");
    EXPECT_EQ(config.media.shed_load, 0.85);
    EXPECT_EQ(config.media.restore_load, 0.70);
    EXPECT_TRUE(config.media.spread_ticks);
  }
}

TEST(AdmissionConfigTest, KeysReachTheWorkerPool) {
  const Config config = Accepted(
      "[media]\nadmit_load = 0.8\nmax_participants_per_worker = 12\nfull_worker = \"admit\"\n"
      "shed_load = 0.9\nrestore_load = 0.5\nspread_ticks = false\n");
  const mixer::WorkerPoolOptions options = WorkerPoolOptionsFrom(config);
  EXPECT_EQ(options.admission, (mixer::AdmissionLimits{.admit_load = 0.8,
                                                       .max_participants_per_worker = 12,
                                                       .over_commit_full_worker = true}));
  EXPECT_EQ(options.shed_load, 0.9);
  EXPECT_EQ(options.restore_load, 0.5);
  EXPECT_FALSE(options.spread_ticks);
  EXPECT_FALSE(AdmissionLimitsFrom(Accepted("")).over_commit_full_worker);
  // 0 turns the load limit and the shedding off; an integer is a number.
  EXPECT_EQ(Accepted("[media]\nadmit_load = 0\nshed_load = 0\n").media.admit_load, 0);
  EXPECT_EQ(Accepted("[media]\nadmit_load = 1\n").media.admit_load, 1);
}

TEST(AdmissionConfigTest, WrongValuesAreRefusedWithTheirKey) {
  EXPECT_THAT(ErrorOf("[media]\nadmit_load = 1.5\n"), HasSubstr("admit_load"));
  EXPECT_THAT(ErrorOf("[media]\nadmit_load = \"high\"\n"), HasSubstr("must be a number"));
  EXPECT_THAT(ErrorOf("[media]\nmax_participants_per_worker = -1\n"),
              HasSubstr("max_participants_per_worker"));
  EXPECT_THAT(ErrorOf("[media]\nfull_worker = \"move\"\n"),
              HasSubstr("must be \"refuse\" or \"admit\""));
  EXPECT_THAT(ErrorOf("[media]\nshed_load = 0.6\n"), HasSubstr("restore_load"));
  EXPECT_THAT(ErrorOf("[media]\nrestore_load = 0.85\n"), HasSubstr("below shed_load"));
  EXPECT_THAT(ErrorOf("[media]\nspread_ticks = 1\n"), HasSubstr("spread_ticks"));
}

TEST(AdmissionConfigTest, AdmissionIsLiveAndTheWorkersOptionsNeedARestart) {
  const Config running;
  Config next;
  next.media.admit_load = 0.5;
  next.media.max_participants_per_worker = 100;
  next.media.full_worker = "admit";
  ConfigChange change = CompareConfigs(running, next);
  EXPECT_THAT(change.live,
              UnorderedElementsAre("[media] admit_load", "[media] max_participants_per_worker",
                                   "[media] full_worker"));
  EXPECT_TRUE(change.needs_restart.empty());

  next = running;
  next.media.shed_load = 0.95;
  next.media.restore_load = 0.6;
  next.media.spread_ticks = false;
  change = CompareConfigs(running, next);
  EXPECT_THAT(
      change.needs_restart,
      UnorderedElementsAre("[media] shed_load", "[media] restore_load", "[media] spread_ticks"));
  EXPECT_TRUE(change.live.empty());
}

}  // namespace
}  // namespace tutti
