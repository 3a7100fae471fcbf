// CallRecords: a leg's record is written once, with the counters of its end.
#include "signaling/call/call_records.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/signaling/call/call_fakes.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

class CallRecordsTest : public ::testing::Test {
 protected:
  CallRecordsTest() {
    path_ = tutti::testing_support::UniqueTempPath("call_records_test.jsonl");
    std::remove(path_.c_str());
    writer_ = std::move(*CallRecordWriter::Open(path_));
    records_.set_writer(writer_.get());
  }
  ~CallRecordsTest() override { std::remove(path_.c_str()); }

  static CallRecord Leg(const std::string& call_id) {
    CallRecord record;
    record.call_id = call_id;
    record.room = "1000";
    record.why = "caller hung up";
    record.packets_in = 10;  // the last periodic counters
    return record;
  }
  std::vector<nlohmann::json> Lines() const { return fakes::JsonLines(path_); }

  std::string path_;
  std::unique_ptr<CallRecordWriter> writer_;
  CallRecords records_;
};

TEST_F(CallRecordsTest, LegWithoutMediaIsWrittenAtOnce) {
  records_.Ended(Leg("a"));
  ASSERT_EQ(Lines().size(), 1u);
  EXPECT_EQ(Lines()[0]["call_id"], "a");
}

TEST_F(CallRecordsTest, DepartedLegIsWrittenOnceWithTheWorkersFinalCounters) {
  records_.Departing(7, Leg("a"));
  EXPECT_TRUE(Lines().empty());
  ASSERT_NE(records_.Departure(7), nullptr);
  EXPECT_EQ(records_.Departure(7)->call_id, "a");

  const mixer::ParticipantStats final_stats{.packets_in = 500,
                                            .packets_out = 490,
                                            .malformed = 2,
                                            .malformed_rtcp = 1,
                                            .foreign_source = 4,
                                            .withheld = 5,
                                            .lost = 3};
  EXPECT_FALSE(records_.Departed(8, final_stats));  // nobody departed by that id
  EXPECT_TRUE(Lines().empty());
  EXPECT_TRUE(records_.Departed(7, final_stats));
  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["call_id"], "a");
  EXPECT_EQ(lines[0]["why"], "caller hung up");
  EXPECT_EQ(lines[0]["packets_in"], 500);
  EXPECT_EQ(lines[0]["packets_out"], 490);
  EXPECT_EQ(lines[0]["lost"], 3);
  EXPECT_EQ(lines[0]["malformed_packets"], 3);
  EXPECT_EQ(lines[0]["foreign_packets"], 4);
  EXPECT_EQ(lines[0]["withheld_packets"], 5);

  // A second final event for it writes nothing more.
  EXPECT_FALSE(records_.Departed(7, final_stats));
  EXPECT_EQ(records_.Departure(7), nullptr);
  EXPECT_EQ(Lines().size(), 1u);
}

TEST_F(CallRecordsTest, DepartedLegsWhoseCountersNeverCameAreWrittenAtShutdown) {
  records_.Departing(7, Leg("a"));
  records_.Departing(9, Leg("b"));
  records_.Departed(9, {});
  records_.WriteDeparted();
  std::vector<nlohmann::json> lines = Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["call_id"], "a");
  EXPECT_EQ(lines[1]["packets_in"], 10);  // the last counters reported
  EXPECT_EQ(records_.departed(), 0u);
}

TEST_F(CallRecordsTest, WithoutAWriterDepartedLegsAreStillFollowed) {
  CallRecords unwritten;
  unwritten.Departing(7, Leg("a"));
  EXPECT_EQ(unwritten.Departure(7)->room, "1000");
  EXPECT_TRUE(unwritten.Departed(7, {}));
  EXPECT_EQ(unwritten.departed(), 0u);
}

}  // namespace
}  // namespace tutti
