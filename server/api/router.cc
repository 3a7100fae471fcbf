#include "server/api/router.h"

#include <algorithm>

namespace tutti::api {
namespace {

// "/v1/rooms/x" -> {"v1", "rooms", "x"}; a trailing "/" leaves an empty
// last segment, which no pattern matches.
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    const size_t slash = path.find('/');
    segments.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// Whether `got` is one of the words of "a|b|c".
bool OneOf(std::string_view words, std::string_view got) {
  while (true) {
    const size_t bar = words.find('|');
    if (words.substr(0, bar) == got) return true;
    if (bar == std::string_view::npos) return false;
    words.remove_prefix(bar + 1);
  }
}

// A pattern segment "*" matches any non-empty segment, "a|b" either word;
// both are captured in order.
bool Matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
             std::vector<std::string>* captures) {
  if (pattern.size() != segments.size()) return false;
  captures->clear();
  for (size_t i = 0; i < pattern.size(); ++i) {
    const std::string& want = pattern[i];
    const std::string& got = segments[i];
    if (want == "*") {
      if (got.empty()) return false;
      captures->push_back(got);
    } else if (want.find('|') != std::string::npos) {
      if (!OneOf(want, got)) return false;
      captures->push_back(got);
    } else if (want != got) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::Add(std::string method, std::string_view pattern, Handler handler, Access access) {
  routes_.push_back({std::move(method), Segments(pattern), access, std::move(handler)});
}

const Router::Route* Router::Find(std::string_view method, std::string_view path,
                                  Captures* captures) const {
  // A HEAD is answered as its GET, without the body.
  if (method == "HEAD") method = "GET";
  const std::vector<std::string> segments = Segments(path);
  for (const Route& route : routes_) {
    if (route.method == method && Matches(route.pattern, segments, captures)) return &route;
  }
  return nullptr;
}

std::string Router::Allowed(std::string_view path) const {
  const std::vector<std::string> segments = Segments(path);
  std::vector<std::string> methods;
  Captures ignored;
  for (const Route& route : routes_) {
    if (!Matches(route.pattern, segments, &ignored)) continue;
    methods.push_back(route.method);
    if (route.method == "GET") methods.push_back("HEAD");
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  std::string allowed;
  for (const std::string& method : methods) {
    if (!allowed.empty()) allowed += ", ";
    allowed += method;
  }
  return allowed;
}

}  // namespace tutti::api
