#include "server/api/console_handler.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/console/console_files.h"

namespace tutti::api {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Pair;

std::string Header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return "";
}

TEST(ConsoleFilesTest, EveryFileIsBuiltInWithItsTypeAndADistinctQuotedEtag) {
  std::set<std::string_view> names;
  std::set<std::string_view> etags;
  for (const console::StaticFile& file : console::ConsoleFiles()) {
    names.insert(file.name);
    etags.insert(file.etag);
    EXPECT_FALSE(file.body.empty()) << file.name;
    ASSERT_EQ(file.etag.size(), 34u) << file.name;
    EXPECT_EQ(file.etag.front(), '"');
    EXPECT_EQ(file.etag.back(), '"');
  }
  EXPECT_EQ(names,
            (std::set<std::string_view>{"index.html", "console.js", "console.css", "icon.svg"}));
  EXPECT_EQ(etags.size(), names.size());
}

TEST(ConsoleFilesTest, TheIndexIsTheWholeFileAsWritten) {
  const HttpResponse index = ConsoleFileResponse("", "");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body.substr(0, 15), "<!doctype html>");
  EXPECT_EQ(index.body.substr(index.body.size() - 8), "</html>\n");
  EXPECT_THAT(index.body, HasSubstr("<script src=\"console.js\" defer></script>"));
  EXPECT_EQ(ConsoleFileResponse("index.html", "").body, index.body);
  EXPECT_EQ(ConsoleFileResponse("console.js", "").content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(ConsoleFileResponse("console.css", "").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(ConsoleFileResponse("icon.svg", "").content_type, "image/svg+xml");
}

TEST(ConsoleFilesTest, GuardsComeWithEveryFile) {
  const HttpResponse js = ConsoleFileResponse("console.js", "");
  EXPECT_THAT(js.headers, Contains(Pair("X-Frame-Options", "DENY")));
  EXPECT_THAT(js.headers, Contains(Pair("X-Content-Type-Options", "nosniff")));
  EXPECT_THAT(js.headers, Contains(Pair("Cache-Control", "no-cache")));
  EXPECT_THAT(js.headers, Contains(Pair("Content-Security-Policy",
                                        std::string(kConsoleContentSecurityPolicy))));
  EXPECT_THAT(std::string(kConsoleContentSecurityPolicy), HasSubstr("script-src 'self';"));
  EXPECT_THAT(std::string(kConsoleContentSecurityPolicy), HasSubstr("frame-ancestors 'none'"));
  EXPECT_THAT(std::string(kConsoleContentSecurityPolicy), ::testing::Not(HasSubstr("unsafe")));
}

TEST(ConsoleFilesTest, AListedEtagIsAnsweredNotModifiedWithoutABody) {
  const std::string etag = Header(ConsoleFileResponse("console.css", ""), "ETag");
  for (const std::string& asked :
       {etag, "W/" + etag, "\"other\", " + etag, "\"other\"," + etag + " ", std::string("*")}) {
    const HttpResponse again = ConsoleFileResponse("console.css", asked);
    EXPECT_EQ(again.status, 304) << asked;
    EXPECT_TRUE(again.body.empty()) << asked;
    EXPECT_EQ(Header(again, "ETag"), etag);
  }
  for (const std::string& asked : {std::string("\"other\""), etag.substr(1), std::string("W/")}) {
    EXPECT_EQ(ConsoleFileResponse("console.css", asked).status, 200) << asked;
  }
  // Another file's ETag is not this one's.
  const std::string js_etag = Header(ConsoleFileResponse("console.js", ""), "ETag");
  EXPECT_EQ(ConsoleFileResponse("console.css", js_etag).status, 200);
}

TEST(ConsoleFilesTest, NamesThatAreNoFileAre404) {
  for (std::string_view name : {"nope.js", "..", "../index.html", "index.html/", "INDEX.HTML"}) {
    const HttpResponse response = ConsoleFileResponse(name, "");
    EXPECT_EQ(response.status, 404) << name;
    EXPECT_EQ(response.content_type, "application/json") << name;
  }
}

TEST(ConsoleRoutesTest, TheRootLeadsToTheConsoleWhichNeedsNoToken) {
  Router router;
  AddConsoleRoutes(router);
  Router::Captures captures;
  for (std::string_view path : {"/", "/console"}) {
    const Router::Route* route = router.Find("GET", path, &captures);
    ASSERT_NE(route, nullptr) << path;
    EXPECT_EQ(route->access, Router::Access::kPublic);
    const HttpAction action = route->handler(HttpRequest{}, captures);
    ASSERT_TRUE(action.now);
    EXPECT_EQ(action.now->status, 302);
    EXPECT_THAT(action.now->headers, Contains(Pair("Location", "/console/")));
  }
  const Router::Route* file = router.Find("HEAD", "/console/icon.svg", &captures);
  ASSERT_NE(file, nullptr);
  EXPECT_EQ(file->access, Router::Access::kPublic);
  EXPECT_EQ(file->handler(HttpRequest{}, captures).now->content_type, "image/svg+xml");
  EXPECT_EQ(router.Find("GET", "/console/a/b", &captures), nullptr);
  EXPECT_EQ(router.Find("POST", "/console/", &captures), nullptr);
}

}  // namespace
}  // namespace tutti::api
