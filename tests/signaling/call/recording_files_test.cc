#include "signaling/call/recording_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/temp_path.h"

namespace tutti {
namespace {

using mixer::RecordingFormat;

const absl::Time kStarted =
    absl::FromCivil(absl::CivilSecond(2026, 12, 5, 8, 36, 3), absl::UTCTimeZone());

TEST(RecordingFilesTest, NamesReadBackAsTheyWereMade) {
  EXPECT_EQ(RecordingFileName("1000", kStarted, RecordingFormat::kOggOpus),
            "1000-20261205T083603Z.ogg");
  for (std::string room : {"1000", "sales-team", "a.b_c", "x-20261205T083603Z"}) {
    for (RecordingFormat format : {RecordingFormat::kOggOpus, RecordingFormat::kWav}) {
      const std::optional<RecordingName> made =
          ParseRecordingFileName(RecordingFileName(room, kStarted, format));
      ASSERT_TRUE(made) << room;
      EXPECT_EQ(made->room, room);
      EXPECT_EQ(made->started, kStarted);
      EXPECT_EQ(made->format, format);
    }
  }
}

// The control API serves and deletes by these names: nothing that is not
// exactly what the recorder writes is a recording, least of all a path.
TEST(RecordingFilesTest, AnythingElseIsNoRecording) {
  for (std::string_view name : {"",
                                ".",
                                "..",
                                "../1000-20261205T083603Z.ogg",
                                "../../1000-20261205T083603Z.ogg",
                                "a/1000-20261205T083603Z.ogg",
                                "1000-20261205T083603Z.ogg/..",
                                "/etc/passwd",
                                "-20261205T083603Z.ogg",
                                "..-20261205T083603Z.ogg",
                                ".-20261205T083603Z.ogg",
                                "1000-20261205T083603Z.mp3",
                                "1000-20261205T083603Z",
                                "1000_20261205T083603Z.ogg",
                                "1000-20261205T0836030.ogg",
                                "1000-2026120xT083603Z.ogg",
                                "1000-20261305T083603Z.ogg",
                                "1000-20261205T253603Z.ogg",
                                "1000-20261205T083603Z.ogg.ogg",
                                "1000-20261205T083603z.ogg",
                                "20261205T083603Z.ogg"}) {
    EXPECT_FALSE(ParseRecordingFileName(name)) << name;
  }
  EXPECT_FALSE(ParseRecordingFileName(std::string_view("1000\0-20261205T083603Z.ogg", 26)));
}

class RecordingDirTest : public ::testing::Test {
 protected:
  RecordingDirTest() : dir_(testing_support::UniqueTempPath("recordings")) {
    std::remove(dir_.c_str());
    EXPECT_EQ(mkdir(dir_.c_str(), 0700), 0);
  }
  ~RecordingDirTest() override {
    for (const std::string& name : made_) std::remove((dir_ + "/" + name).c_str());
    rmdir(dir_.c_str());
  }
  void Make(const std::string& name, const std::string& bytes = "not audio") {
    std::ofstream(dir_ + "/" + name) << bytes;
    made_.push_back(name);
  }
  std::vector<std::string> Names(std::string_view room, size_t max = 100) {
    std::vector<std::string> names;
    for (const RecordingFile& file : ListRecordings(dir_, room, max)) names.push_back(file.name);
    return names;
  }

  std::string dir_;
  std::vector<std::string> made_;
};

TEST_F(RecordingDirTest, ListsARoomsRegularFilesOldestFirst) {
  Make("1000-20261205T090000Z.wav", "12345");
  Make("1000-20261205T083603Z.ogg");
  Make("1000-extra-20261205T083603Z.ogg");  // room "1000-extra", not "1000"
  Make("notes.txt");
  Make("1000-20261205T083603Z.ogg.part");
  ASSERT_EQ(symlink("/etc/passwd", (dir_ + "/1000-20261205T100000Z.wav").c_str()), 0);
  made_.push_back("1000-20261205T100000Z.wav");

  EXPECT_EQ(Names("1000"),
            (std::vector<std::string>{"1000-20261205T083603Z.ogg", "1000-20261205T090000Z.wav"}));
  EXPECT_EQ(Names("1000-extra"), (std::vector<std::string>{"1000-extra-20261205T083603Z.ogg"}));
  EXPECT_EQ(Names("").size(), 3u);
  EXPECT_TRUE(Names("2000").empty());
  // Bounded: the newest are kept.
  EXPECT_EQ(Names("1000", 1), (std::vector<std::string>{"1000-20261205T090000Z.wav"}));

  const std::vector<RecordingFile> files = ListRecordings(dir_, "1000", 100);
  EXPECT_EQ(files[1].bytes, 5u);
  EXPECT_EQ(files[1].made.started, kStarted + absl::Seconds(23 * 60 + 57));
  EXPECT_FALSE(files[1].seconds);  // not a WAV the recorder wrote
  EXPECT_TRUE(ListRecordings(dir_ + "/missing", "", 100).empty());
}

}  // namespace
}  // namespace tutti
