#include "common/command_line.h"

#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

ABSL_FLAG(std::string, cl_name, "alice", "Who is calling.");
ABSL_FLAG(int, cl_calls, 10, "How many calls.");
ABSL_FLAG(double, cl_rate, 1.5, "Calls per second.");
ABSL_FLAG(bool, cl_media, true, "Send RTP.");
ABSL_FLAG(int, cl_story, 0,
          "A help long enough to need wrapping: it says what the flag does, what its values mean, "
          "when it matters and what it costs, in more than one line of eighty columns.");

namespace tutti {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// Parses `words` as a command line of "prog", from the flags' defaults.
class CommandLineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::SetFlag(&FLAGS_cl_name, "alice");
    absl::SetFlag(&FLAGS_cl_calls, 10);
    absl::SetFlag(&FLAGS_cl_rate, 1.5);
    absl::SetFlag(&FLAGS_cl_media, true);
  }

  CommandLine Parse(std::initializer_list<const char*> words) {
    storage_.assign({"prog"});
    storage_.insert(storage_.end(), words.begin(), words.end());
    argv_.clear();
    for (std::string& word : storage_) argv_.push_back(word.data());
    return ParseCommandLine(static_cast<int>(argv_.size()), argv_.data());
  }

 private:
  std::vector<std::string> storage_;
  std::vector<char*> argv_;
};

TEST_F(CommandLineTest, FlagsInEveryFormAreSet) {
  const CommandLine line =
      Parse({"--cl_name=bob", "-cl_calls", "25", "--nocl_media", "--cl_rate=0.5"});
  EXPECT_EQ(line.ask, CommandLine::Ask::kRun) << line.error;
  EXPECT_EQ(absl::GetFlag(FLAGS_cl_name), "bob");
  EXPECT_EQ(absl::GetFlag(FLAGS_cl_calls), 25);
  EXPECT_FALSE(absl::GetFlag(FLAGS_cl_media));
  EXPECT_EQ(absl::GetFlag(FLAGS_cl_rate), 0.5);
}

TEST_F(CommandLineTest, ABoolAloneIsTrueAndTakesNoValueFromTheNextWord) {
  absl::SetFlag(&FLAGS_cl_media, false);
  const CommandLine line = Parse({"--cl_media", "file.wav"});
  EXPECT_EQ(line.ask, CommandLine::Ask::kRun);
  EXPECT_TRUE(absl::GetFlag(FLAGS_cl_media));
  EXPECT_THAT(line.positional, ElementsAre("file.wav"));
}

TEST_F(CommandLineTest, WordsAfterTheDoubleDashAreNoFlags) {
  const CommandLine line = Parse({"one", "--", "--cl_calls=3", "-x"});
  EXPECT_EQ(line.ask, CommandLine::Ask::kRun);
  EXPECT_THAT(line.positional, ElementsAre("one", "--cl_calls=3", "-x"));
  EXPECT_EQ(absl::GetFlag(FLAGS_cl_calls), 10);
}

TEST_F(CommandLineTest, HelpAndVersionAreAskedForAndWinOverErrors) {
  for (const char* help : {"--help", "-help", "-h"}) {
    EXPECT_EQ(Parse({"--bogus", help}).ask, CommandLine::Ask::kHelp) << help;
  }
  EXPECT_EQ(Parse({"--version", "--help"}).ask, CommandLine::Ask::kHelp);
  EXPECT_EQ(Parse({"--cl_calls=x", "--version"}).ask, CommandLine::Ask::kVersion);
  // Nothing is set when help is asked for.
  Parse({"--cl_calls=7", "--help"});
  EXPECT_EQ(absl::GetFlag(FLAGS_cl_calls), 10);
}

TEST_F(CommandLineTest, AnUnknownFlagIsAnErrorNamingIt) {
  const CommandLine line = Parse({"--cl_calls=3", "--bogus=1"});
  EXPECT_EQ(line.ask, CommandLine::Ask::kError);
  EXPECT_EQ(line.error, "unknown flag --bogus");
  EXPECT_EQ(CommandLineErrorLine("prog", line), "prog: unknown flag --bogus (see prog --help)\n");
  EXPECT_EQ(Parse({"-bogus"}).error, "unknown flag -bogus");
  // "no" only negates a bool, and takes no value.
  EXPECT_EQ(Parse({"--nocl_calls"}).error, "unknown flag --nocl_calls");
  EXPECT_EQ(Parse({"--nocl_media=true"}).error, "unknown flag --nocl_media");
}

TEST_F(CommandLineTest, ABadOrMissingValueIsAnErrorThatDoesNotRepeatIt) {
  const CommandLine bad = Parse({"--cl_calls=s3cret"});
  EXPECT_EQ(bad.ask, CommandLine::Ask::kError);
  EXPECT_EQ(bad.error, "bad value for --cl_calls (int expected)");
  EXPECT_EQ(Parse({"--cl_media=perhaps"}).error, "bad value for --cl_media (bool expected)");
  EXPECT_EQ(Parse({"--cl_calls"}).error, "--cl_calls needs a value");
}

TEST_F(CommandLineTest, MainIsAnsweredOnItsStreamsWithItsExitStatus) {
  auto answer = [](const CommandLine& line, std::string* out, std::string* err) {
    std::ostringstream out_stream;
    std::ostringstream err_stream;
    const std::optional<int> status = AnswerCommandLine(
        line, "prog", [] { return std::string("the help\n"); },
        [] { return std::string("prog 1.2.3\n"); }, out_stream, err_stream);
    *out = out_stream.str();
    *err = err_stream.str();
    return status;
  };
  std::string out;
  std::string err;
  EXPECT_EQ(answer(Parse({"-h"}), &out, &err), 0);
  EXPECT_EQ(out, "the help\n");
  EXPECT_EQ(err, "");
  EXPECT_EQ(answer(Parse({"--version"}), &out, &err), 0);
  EXPECT_EQ(out, "prog 1.2.3\n");
  EXPECT_EQ(answer(Parse({"--bogus"}), &out, &err), 2);
  EXPECT_EQ(out, "");
  EXPECT_EQ(err, "prog: unknown flag --bogus (see prog --help)\n");
  EXPECT_EQ(answer(Parse({"--cl_calls=2", "stray", "more"}), &out, &err), 2);
  EXPECT_EQ(err, "prog: unexpected argument stray (see prog --help)\n");
  EXPECT_EQ(answer(Parse({"--cl_calls=2"}), &out, &err), std::nullopt);
  EXPECT_EQ(out + err, "");
}

TEST_F(CommandLineTest, HelpListsThisFilesFlagsWithDefaultsAndNoPath) {
  const std::string help = FlagsHelp("prog: does things.\n\nUsage: prog", "command_line_test.cc");
  EXPECT_THAT(help, HasSubstr("prog: does things.\n\nUsage: prog\n\nFlags:\n"));
  EXPECT_THAT(help, HasSubstr("  --cl_calls=<int>  (default: 10)\n      How many calls.\n"));
  EXPECT_THAT(help, HasSubstr("  --cl_media  (default: true)\n"));
  EXPECT_THAT(help, HasSubstr("  --cl_name=<string>  (default: \"alice\")\n"));
  EXPECT_THAT(help, HasSubstr("  --cl_rate=<number>  (default: 1.5)\n"));
  // In order of name, and no other file's flags (gtest's own, absl's).
  EXPECT_LT(help.find("--cl_calls"), help.find("--cl_media"));
  EXPECT_LT(help.find("--cl_name"), help.find("--cl_rate"));
  EXPECT_THAT(help, Not(HasSubstr("gtest")));
  EXPECT_THAT(help, Not(HasSubstr(".cc")));
  EXPECT_THAT(help, Not(HasSubstr("/")));
}

TEST_F(CommandLineTest, LongHelpIsWrappedWithinEightyColumns) {
  const std::string help = FlagsHelp("prog", "command_line_test.cc");
  EXPECT_THAT(
      help,
      HasSubstr("      A help long enough to need wrapping: it says what the flag does, what its\n"
                "      values mean, when it matters and what it costs, in more than one line of\n"
                "      eighty columns.\n"));
  size_t start = 0;
  while (start < help.size()) {
    const size_t end = help.find('\n', start);
    EXPECT_LE(end - start, 80u) << help.substr(start, end - start);
    start = end + 1;
  }
}

}  // namespace
}  // namespace tutti
