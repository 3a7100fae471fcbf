#include "signaling/call/call_record.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

CallRecord Sample() {
  CallRecord record;
  record.call_id = "abc@host";
  record.room = "1000";
  record.from = "sip:alice@example.com";
  record.codec = "opus";
  record.started = absl::FromUnixSeconds(1795000000);
  record.answered = record.started + absl::Milliseconds(250);
  record.ended = record.started + absl::Seconds(61);
  record.why = "caller hung up";
  record.packets_in = 3000;
  record.packets_out = 2990;
  record.lost = 12;
  record.jitter_ms = 4;
  return record;
}

TEST(CallRecordTest, JsonLineHasEveryField) {
  const nlohmann::json line = nlohmann::json::parse(CallRecordJson(Sample()));
  EXPECT_EQ(line["call_id"], "abc@host");
  EXPECT_EQ(line["codec"], "opus");
  EXPECT_EQ(line["started"], "2026-11-18T11:06:40.000Z");
  EXPECT_EQ(line["answered"], "2026-11-18T11:06:40.250Z");
  EXPECT_EQ(line["seconds"], 61.0);
  EXPECT_EQ(line["why"], "caller hung up");
  EXPECT_EQ(line["lost"], 12);
  EXPECT_EQ(line["jitter_ms"], 4);
}

TEST(CallRecordTest, UnansweredCallsHaveNullAnsweredAndOddBytesAreReplaced) {
  CallRecord record = Sample();
  record.answered = absl::InfinitePast();
  record.from = std::string("sip:\xff\xfe@example.com");
  const std::string text = CallRecordJson(record);
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const nlohmann::json line = nlohmann::json::parse(text);
  EXPECT_TRUE(line["answered"].is_null());
  EXPECT_NE(line["from"].get<std::string>().find("example.com"), std::string::npos);
}

TEST(CallRecordTest, WriterAppendsOneLinePerRecord) {
  const std::string path = tutti::testing_support::UniqueTempPath("records.jsonl");
  std::remove(path.c_str());
  {
    auto writer = CallRecordWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    (*writer)->Write(Sample());
    (*writer)->Write(Sample());
    EXPECT_EQ((*writer)->written(), 2u);
    // Flushed at once: readable before the writer closes.
    std::ifstream in(path);
    std::string line;
    int lines = 0;
    while (std::getline(in, line)) lines += nlohmann::json::parse(line)["room"] == "1000" ? 1 : 0;
    EXPECT_EQ(lines, 2);
  }
  EXPECT_FALSE(CallRecordWriter::Open("/nonexistent-dir/x.jsonl").ok());
}

int LinesIn(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) ++lines;
  return lines;
}

// logrotate moves the file away and sends SIGHUP: the next records go to a
// new file at the path, none to the moved one.
TEST(CallRecordTest, ReopenWritesToANewFileAtThePathAfterARename) {
  const std::string path = tutti::testing_support::UniqueTempPath("records.jsonl");
  const std::string rotated = path + ".1";
  std::remove(path.c_str());
  auto writer = CallRecordWriter::Open(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  (*writer)->Write(Sample());
  ASSERT_EQ(std::rename(path.c_str(), rotated.c_str()), 0);
  ASSERT_TRUE((*writer)->Reopen().ok());
  (*writer)->Write(Sample());
  (*writer)->Write(Sample());
  EXPECT_EQ(LinesIn(rotated), 1);
  EXPECT_EQ(LinesIn(path), 2);
  std::remove(path.c_str());
  std::remove(rotated.c_str());
}

TEST(CallRecordTest, AReopenThatFailsKeepsWritingToTheOpenFile) {
  const std::string dir = tutti::testing_support::UniqueTempPath("records-dir");
  const std::string path = dir + "/records.jsonl";
  const std::string moved = dir + ".moved";
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  auto writer = CallRecordWriter::Open(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  // The folder gone: the path cannot be opened again.
  ASSERT_EQ(std::rename(dir.c_str(), moved.c_str()), 0);
  EXPECT_FALSE((*writer)->Reopen().ok());
  (*writer)->Write(Sample());
  EXPECT_EQ(LinesIn(moved + "/records.jsonl"), 1);
  std::remove((moved + "/records.jsonl").c_str());
  rmdir(moved.c_str());
}

}  // namespace
}  // namespace tutti
