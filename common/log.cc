#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tutti {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<LogFormat> g_format{LogFormat::kLogfmt};
std::atomic<int> g_fd{2};

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

bool NeedsQuotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) >= 0x7f) {
      return true;
    }
  }
  return false;
}

// Escapes for a double-quoted string; the same rules serve logfmt and JSON.
void AppendEscaped(std::string* out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(out, absl::StrFormat("\\u%04x", static_cast<unsigned char>(c)));
        } else {
          out->push_back(c);
        }
    }
  }
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }
void SetLogFormat(LogFormat format) { g_format.store(format); }
void SetLogFd(int fd) { g_fd.store(fd); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

bool ParseLogLevel(std::string_view name, LogLevel* level) {
  for (LogLevel candidate :
       {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (name == LevelName(candidate)) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

LogLine::LogLine(LogLevel level, std::string_view component, std::string_view message)
    : enabled_(LogEnabled(level)) {
  if (!enabled_) return;
  const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  if (g_format.load() == LogFormat::kJson) line_.push_back('{');
  AppendKey("ts");
  AppendString(ts);
  AppendKey("level");
  AppendString(LevelName(level));
  AppendKey("component");
  AppendString(component);
  AppendKey("msg");
  AppendString(message);
}

void LogLine::AppendKey(std::string_view key) {
  if (g_format.load() == LogFormat::kJson) {
    if (line_.size() > 1) line_.push_back(',');
    line_.push_back('"');
    line_.append(key);
    line_.append("\":");
  } else {
    if (!line_.empty()) line_.push_back(' ');
    line_.append(key);
    line_.push_back('=');
  }
}

void LogLine::AppendString(std::string_view value) {
  if (g_format.load() == LogFormat::kLogfmt && !NeedsQuotes(value)) {
    line_.append(value);
    return;
  }
  line_.push_back('"');
  AppendEscaped(&line_, value);
  line_.push_back('"');
}

LogLine& LogLine::With(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  AppendKey(key);
  AppendString(value);
  return *this;
}

LogLine& LogLine::With(std::string_view key, int64_t value) {
  if (!enabled_) return *this;
  AppendKey(key);
  absl::StrAppend(&line_, value);
  return *this;
}

LogLine& LogLine::With(std::string_view key, bool value) {
  if (!enabled_) return *this;
  AppendKey(key);
  line_.append(value ? "true" : "false");
  return *this;
}

LogLine& LogLine::With(std::string_view key, double value) {
  if (!enabled_) return *this;
  AppendKey(key);
  absl::StrAppend(&line_, absl::StrFormat("%.3f", value));
  return *this;
}

LogLine::~LogLine() {
  if (!enabled_) return;
  if (g_format.load() == LogFormat::kJson) line_.push_back('}');
  line_.push_back('\n');
  // One write per line keeps concurrent lines whole; a short write to a
  // full pipe is retried, an error is dropped (logging must not stop calls).
  const char* data = line_.data();
  size_t left = line_.size();
  const int fd = g_fd.load();
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written <= 0) break;
    data += written;
    left -= static_cast<size_t>(written);
  }
}

}  // namespace tutti
