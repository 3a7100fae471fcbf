#include "server/api/api_token.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tutti::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ApiConfig Api(std::string listen, std::string token) {
  ApiConfig api;
  api.enabled = true;
  api.listen = std::move(listen);
  api.token = std::move(token);
  return api;
}

// A file of this test's own, removed at the end.
class TokenFile {
 public:
  explicit TokenFile(const std::string& text, mode_t mode = 0600) {
    path_ = testing::TempDir() + "api-token-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name();
    std::ofstream(path_) << text;
    chmod(path_.c_str(), mode);
  }
  ~TokenFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ApiTokenTest, LoopbackAddresses) {
  for (const char* loopback : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "localhost"}) {
    EXPECT_TRUE(IsLoopbackListen(loopback)) << loopback;
  }
  for (const char* beyond : {"0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "::ffff:10.0.0.1",
                             "fe80::1", "tutti.example.com", ""}) {
    EXPECT_FALSE(IsLoopbackListen(beyond)) << beyond;
  }
}

TEST(ApiTokenTest, WellKnownTokenBeyondLoopbackIsRefusedNamingTheKey) {
  const TokenVerdict verdict = JudgeApiToken(Api("0.0.0.0", "change-this-token"));
  ASSERT_FALSE(verdict.status.ok());
  const std::string message(verdict.status.message());
  EXPECT_THAT(message, HasSubstr("api.token is the well-known example token"));
  EXPECT_THAT(message, HasSubstr("listens on 0.0.0.0, beyond loopback"));
  EXPECT_THAT(message, HasSubstr("openssl rand -hex 24"));
}

TEST(ApiTokenTest, ShortTokenBeyondLoopbackIsRefusedWithoutShowingIt) {
  const TokenVerdict verdict = JudgeApiToken(Api("10.1.2.3", "fifteen-chars-x"));
  ASSERT_FALSE(verdict.status.ok());
  EXPECT_THAT(std::string(verdict.status.message()),
              HasSubstr("api.token is shorter than 16 characters"));
  EXPECT_THAT(std::string(verdict.status.message()), Not(HasSubstr("fifteen-chars-x")));
}

TEST(ApiTokenTest, WeakTokenOnLoopbackStartsWithAWarning) {
  for (const char* weak : {"change-this-token", "short-token"}) {
    const TokenVerdict verdict = JudgeApiToken(Api("127.0.0.1", weak));
    EXPECT_TRUE(verdict.status.ok()) << weak;
    ASSERT_EQ(verdict.warnings.size(), 1u) << weak;
    EXPECT_THAT(verdict.warnings[0], HasSubstr("api.token"));
    EXPECT_THAT(verdict.warnings[0], Not(HasSubstr("short-token")));
  }
}

TEST(ApiTokenTest, StrongTokenAnywhereIsQuiet) {
  const TokenVerdict verdict = JudgeApiToken(Api("0.0.0.0", "3f9c1e0d8a7b6c5d4e3f2a1b"));
  EXPECT_TRUE(verdict.status.ok());
  EXPECT_TRUE(verdict.warnings.empty());
  // A disabled API needs no token at all.
  ApiConfig off = Api("0.0.0.0", "");
  off.enabled = false;
  EXPECT_TRUE(JudgeApiToken(off).status.ok());
}

TEST(ApiTokenTest, TokenFileIsReadTrimmedAndJudgedByItsName) {
  TokenFile file("  0123456789abcdef0123456789abcdef\n# anything after the first line\n");
  ApiConfig api = Api("0.0.0.0", "");
  api.token_file = file.path();
  ASSERT_TRUE(LoadApiToken(&api).ok());
  EXPECT_EQ(api.token, "0123456789abcdef0123456789abcdef");
  const TokenVerdict verdict = JudgeApiToken(api);
  EXPECT_TRUE(verdict.status.ok());
  EXPECT_TRUE(verdict.warnings.empty());

  TokenFile weak("change-this-token\n");
  ApiConfig exposed = Api("0.0.0.0", "");
  exposed.token_file = weak.path();
  ASSERT_TRUE(LoadApiToken(&exposed).ok());
  EXPECT_THAT(std::string(JudgeApiToken(exposed).status.message()),
              HasSubstr("api.token_file \"" + weak.path() + "\" is the well-known example token"));
}

TEST(ApiTokenTest, TokenFileOthersMayReadIsWarnedAbout) {
  TokenFile file("0123456789abcdef0123456789abcdef\n", 0644);
  ApiConfig api = Api("127.0.0.1", "");
  api.token_file = file.path();
  ASSERT_TRUE(LoadApiToken(&api).ok());
  const TokenVerdict verdict = JudgeApiToken(api);
  ASSERT_EQ(verdict.warnings.size(), 1u);
  EXPECT_THAT(verdict.warnings[0], HasSubstr("chmod 600"));
}

TEST(ApiTokenTest, BadTokenFilesAreRefusedNamingTheKey) {
  ApiConfig missing = Api("127.0.0.1", "");
  missing.token_file = "/nonexistent/tutti-api-token";
  const absl::Status status = LoadApiToken(&missing);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("api.token_file \"/nonexistent/tutti-api-token\" cannot be read"));

  TokenFile empty("\n\n");
  ApiConfig blank = Api("127.0.0.1", "");
  blank.token_file = empty.path();
  EXPECT_THAT(std::string(LoadApiToken(&blank).message()), HasSubstr("holds no token"));

  TokenFile spaced("two words\n");
  ApiConfig inner = Api("127.0.0.1", "");
  inner.token_file = spaced.path();
  EXPECT_THAT(std::string(LoadApiToken(&inner).message()), HasSubstr("no blanks"));
}

TEST(ApiTokenTest, InlineTokenWinsWithoutReadingAFile) {
  ApiConfig api = Api("127.0.0.1", "inline-token-0123456789");
  ASSERT_TRUE(LoadApiToken(&api).ok());
  EXPECT_EQ(api.token, "inline-token-0123456789");
}

TEST(ApiTokenTest, TokenMatchesOnlyTheWholeToken) {
  EXPECT_TRUE(TokenMatches("abcdef0123456789", "abcdef0123456789"));
  EXPECT_FALSE(TokenMatches("abcdef0123456789", "abcdef012345678"));
  EXPECT_FALSE(TokenMatches("abcdef0123456789", "abcdef01234567890"));
  EXPECT_FALSE(TokenMatches("abcdef0123456789", "abcdef0123456788"));
  EXPECT_FALSE(TokenMatches("abcdef0123456789", ""));
  EXPECT_FALSE(TokenMatches("", ""));
}

}  // namespace
}  // namespace tutti::api
