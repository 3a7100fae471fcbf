#include "server/api/router.h"

#include <string>

#include "gtest/gtest.h"

namespace tutti::api {
namespace {

// A handler that answers its route's name, so a test sees which one ran.
Router::Handler Named(std::string name) {
  return [name](const HttpRequest&, const Router::Captures&) {
    HttpAction action;
    action.now = HttpResponse{200, "text/plain", name, {}};
    return action;
  };
}

std::string Served(const Router& router, std::string_view method, std::string_view path,
                   Router::Captures* captures) {
  const Router::Route* route = router.Find(method, path, captures);
  if (route == nullptr) return "none";
  return route->handler(HttpRequest{}, *captures).now->body;
}

TEST(RouterTest, MatchesWordsStarsAndAlternativesAndCapturesInOrder) {
  Router router;
  router.Add("GET", "/v1/rooms", Named("list"));
  router.Add("GET", "/v1/rooms/*", Named("show"));
  router.Add("POST", "/v1/rooms/*/participants/*/mute|unmute", Named("mute"));
  Router::Captures captures;

  EXPECT_EQ(Served(router, "GET", "/v1/rooms", &captures), "list");
  EXPECT_TRUE(captures.empty());
  EXPECT_EQ(Served(router, "GET", "/v1/rooms/1000", &captures), "show");
  EXPECT_EQ(captures, (Router::Captures{"1000"}));
  EXPECT_EQ(Served(router, "POST", "/v1/rooms/a/participants/7/unmute", &captures), "mute");
  EXPECT_EQ(captures, (Router::Captures{"a", "7", "unmute"}));
  EXPECT_EQ(Served(router, "POST", "/v1/rooms/a/participants/7/mute", &captures), "mute");
  EXPECT_EQ(captures, (Router::Captures{"a", "7", "mute"}));
}

TEST(RouterTest, RefusesOtherWordsMethodsLengthsAndEmptySegments) {
  Router router;
  router.Add("GET", "/v1/rooms/*", Named("show"));
  router.Add("POST", "/v1/rooms/*/participants/*/mute|unmute", Named("mute"));
  Router::Captures captures;

  EXPECT_EQ(Served(router, "POST", "/v1/rooms/a/participants/7/mutex", &captures), "none");
  EXPECT_EQ(Served(router, "POST", "/v1/rooms/a/participants/7/mu", &captures), "none");
  EXPECT_EQ(Served(router, "DELETE", "/v1/rooms/1000", &captures), "none");
  EXPECT_EQ(Served(router, "GET", "/v1/rooms/1000/x", &captures), "none");
  EXPECT_EQ(Served(router, "GET", "/v1/rooms/", &captures), "none");  // a trailing "/"
  EXPECT_EQ(Served(router, "GET", "/v1/rooms", &captures), "none");
}

TEST(RouterTest, AHeadFindsItsGetAndTheFirstMatchingRouteWins) {
  Router router;
  router.Add("GET", "/v1/health", Named("health"), Router::Access::kPublic);
  router.Add("GET", "/v1/*", Named("any"));
  Router::Captures captures;

  EXPECT_EQ(Served(router, "HEAD", "/v1/health", &captures), "health");
  EXPECT_EQ(router.Find("GET", "/v1/health", &captures)->access, Router::Access::kPublic);
  EXPECT_EQ(Served(router, "GET", "/v1/prompts", &captures), "any");
  EXPECT_EQ(router.Find("GET", "/v1/prompts", &captures)->access, Router::Access::kToken);
}

TEST(RouterTest, AllowedListsEveryMethodOfAPathAndHeadWithGet) {
  Router router;
  router.Add("GET", "/v1/rooms/*", Named("show"));
  router.Add("PATCH", "/v1/rooms/*", Named("change"));
  router.Add("DELETE", "/v1/rooms/*", Named("delete"));
  router.Add("POST", "/v1/rooms/*/participants/*/mute|unmute", Named("mute"));

  EXPECT_EQ(router.Allowed("/v1/rooms/1000"), "DELETE, GET, HEAD, PATCH");
  EXPECT_EQ(router.Allowed("/v1/rooms/a/participants/7/mute"), "POST");
  EXPECT_EQ(router.Allowed("/v1/rooms/a/participants/7/mutex"), "");
  EXPECT_EQ(router.Allowed("/v1/rooms/"), "");
  EXPECT_EQ(router.Allowed("/v1/nothing"), "");
}

}  // namespace
}  // namespace tutti::api
