// tutti-load's verdict for admission runs (--expect_refusals).
#include "bench/tutti_load/load_report.h"

#include "gtest/gtest.h"

namespace tutti::load {
namespace {

// 20 offered, 8 refused with 503, the 12 others answered and heard.
RunResult CleanRun() {
  RunResult r;
  r.answered = 12;
  r.refused_503 = 8;
  r.failed = 8;
  r.turns_judged = r.turns_heard = 24;
  r.pauses_judged = 36;
  return r;
}

TEST(LoadReportTest, AdmittedCleanNeedsRefusalsAndCleanAdmittedCalls) {
  LoadOptions options;
  options.calls = 20;
  EXPECT_TRUE(AdmittedClean(options, CleanRun()));

  RunResult none_refused = CleanRun();
  none_refused.refused_503 = 0;
  none_refused.answered = 20;
  EXPECT_FALSE(AdmittedClean(options, none_refused));

  RunResult other_failure = CleanRun();  // one of the 8 was a 408, not a refusal
  other_failure.refused_503 = 7;
  EXPECT_FALSE(AdmittedClean(options, other_failure));

  RunResult unheard = CleanRun();
  unheard.turns_heard = 23;
  EXPECT_FALSE(AdmittedClean(options, unheard));

  RunResult noisy = CleanRun();
  noisy.pauses_noisy = 1;
  EXPECT_FALSE(AdmittedClean(options, noisy));

  RunResult missing = CleanRun();
  missing.missing_percent = 0.2;
  EXPECT_FALSE(AdmittedClean(options, missing));

  // Signaling only: nothing to hear.
  options.media = false;
  EXPECT_TRUE(AdmittedClean(options, unheard));
}

TEST(LoadReportTest, RefusalsAreInTheJsonAndTheText) {
  LoadOptions options;
  options.calls = 20;
  options.expect_refusals = true;
  RunResult r = CleanRun();
  r.refused_503_retry_after = 8;
  const std::string json = SummaryJson(options, r);
  EXPECT_NE(json.find("\"refused_503\": 8"), std::string::npos) << json;
  EXPECT_NE(json.find("\"refused_503_retry_after\": 8"), std::string::npos) << json;
  EXPECT_NE(json.find("\"expect_refusals\": true"), std::string::npos) << json;
  EXPECT_NE(SummaryText(options, r).find("refused    8 with 503 (8 with Retry-After)"),
            std::string::npos);
}

}  // namespace
}  // namespace tutti::load
