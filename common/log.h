// Structured logging: one line per event, with a level, the component that
// speaks, a message and key=value fields (call_id wherever there is one).
//
//   LogInfo("sip", "call accepted").With("call_id", id).With("room", "1000");
//
// writes, in the default logfmt form,
//   ts=2026-11-24T01:50:00.123Z level=info component=sip msg="call accepted" call_id=... room=1000
// or the same as one JSON object per line when the format is kJson.
// Lines are written whole with one write(2), so lines from threads never interleave.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tutti {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kLogfmt, kJson };

// Process-wide settings, set once at start-up before threads start.
void SetLogLevel(LogLevel level);
void SetLogFormat(LogFormat format);
void SetLogFd(int fd);  // default 2 (stderr)
bool LogEnabled(LogLevel level);
bool ParseLogLevel(std::string_view name, LogLevel* level);

class LogLine {
 public:
  LogLine(LogLevel level, std::string_view component, std::string_view message);
  LogLine(const LogLine&) = delete;
  LogLine& operator=(const LogLine&) = delete;
  ~LogLine();  // writes the line

  LogLine& With(std::string_view key, std::string_view value);
  LogLine& With(std::string_view key, const char* value) {
    return With(key, std::string_view(value));
  }
  LogLine& With(std::string_view key, const std::string& value) {
    return With(key, std::string_view(value));
  }
  LogLine& With(std::string_view key, int64_t value);
  LogLine& With(std::string_view key, int value) { return With(key, int64_t{value}); }
  LogLine& With(std::string_view key, unsigned value) { return With(key, int64_t{value}); }
  LogLine& With(std::string_view key, uint64_t value) {
    return With(key, static_cast<int64_t>(value));
  }
  LogLine& With(std::string_view key, double value);
  // true/false rather than 1/0, bare in both formats: a JSON boolean (a
  // quoted "true" would be a string to every JSON reader), and logfmt's.
  LogLine& With(std::string_view key, bool value);

 private:
  void AppendKey(std::string_view key);
  void AppendString(std::string_view value);

  bool enabled_;
  std::string line_;
};

inline LogLine LogDebug(std::string_view component, std::string_view message) {
  return LogLine(LogLevel::kDebug, component, message);
}
inline LogLine LogInfo(std::string_view component, std::string_view message) {
  return LogLine(LogLevel::kInfo, component, message);
}
inline LogLine LogWarn(std::string_view component, std::string_view message) {
  return LogLine(LogLevel::kWarn, component, message);
}
inline LogLine LogError(std::string_view component, std::string_view message) {
  return LogLine(LogLevel::kError, component, message);
}

}  // namespace tutti
