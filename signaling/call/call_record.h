// One record per call leg, appended as a JSON line when the leg ends: who,
// which room, when, with what codec, how the media went and why it ended.
// Each line is flushed as it is written, so a killed process loses nothing
// that had ended.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tutti {

struct CallRecord {
  std::string call_id;
  std::string room;
  std::string from;
  std::string codec;  // empty when no audio was negotiated
  absl::Time started;
  absl::Time answered;  // InfinitePast when never answered
  absl::Time ended;
  std::string why;
  // A call through a trunk: its name, the number called and the caller's
  // (kept even when withheld from the others: the operator's record).
  std::string trunk;  // empty: no trunk's call, none of these written
  std::string called_number;
  std::string caller_number;
  bool caller_withheld = false;
  uint64_t packets_in = 0;
  uint64_t packets_out = 0;
  int64_t lost = 0;
  uint32_t jitter_ms = 0;
  double rtt_ms = 0;
  uint64_t concealed = 0;
  uint32_t max_gap_ms = 0;  // longest time between two RTP packets received
  uint64_t malformed = 0;
  uint64_t foreign = 0;   // from other than the latched source, dropped
  uint64_t withheld = 0;  // not sent: the peer never answered or went silent

  // "in" (a caller reached us) or "out" (a dial-out: `trunk` above, the
  // number we called and our caller ID in called_number and caller_number).
  std::string direction = "in";
  // Dial-outs: who asked ("api", "key:<call id>", "refer:<call id>") and
  // the INVITE's final response (0: none came).
  std::string requested_by;
  int final_status = 0;
};

// The JSON line (without the newline).
std::string CallRecordJson(const CallRecord& record);

class CallRecordWriter {
 public:
  static absl::StatusOr<std::unique_ptr<CallRecordWriter>> Open(const std::string& path);
  ~CallRecordWriter();
  CallRecordWriter(const CallRecordWriter&) = delete;
  CallRecordWriter& operator=(const CallRecordWriter&) = delete;

  void Write(const CallRecord& record);
  uint64_t written() const { return written_; }

  // Opens the path again (made when missing) and writes there from now on:
  // after logrotate moved the file away (SIGHUP). On error the file open
  // until now stays in use.
  absl::Status Reopen();
  const std::string& path() const { return path_; }

 private:
  CallRecordWriter(std::FILE* file, std::string path) : file_(file), path_(std::move(path)) {}
  std::FILE* file_;
  std::string path_;
  uint64_t written_ = 0;
};

}  // namespace tutti
