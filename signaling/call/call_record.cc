#include "signaling/call/call_record.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include "common/strings.h"
#include "nlohmann/json.hpp"

namespace tutti {
namespace {

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

}  // namespace

std::string CallRecordJson(const CallRecord& record) {
  nlohmann::json line = {
      {"call_id", record.call_id},
      {"room", record.room},
      {"from", record.from},
      {"codec", record.codec},
      {"started", Rfc3339(record.started)},
      {"answered", record.answered == absl::InfinitePast()
                       ? nlohmann::json(nullptr)
                       : nlohmann::json(Rfc3339(record.answered))},
      {"ended", Rfc3339(record.ended)},
      {"seconds", absl::ToDoubleSeconds(record.ended - record.started)},
      {"why", record.why},
      {"packets_in", record.packets_in},
      {"packets_out", record.packets_out},
      {"lost", record.lost},
      {"jitter_ms", record.jitter_ms},
      {"rtt_ms", record.rtt_ms},
      {"concealed_frames", record.concealed},
      {"max_gap_ms", record.max_gap_ms},
      {"malformed_packets", record.malformed},
      {"foreign_packets", record.foreign},
      {"withheld_packets", record.withheld},
      {"direction", record.direction},
  };
  if (!record.trunk.empty()) {
    line["trunk"] = record.trunk;
    line["called_number"] = record.called_number;
    line["caller_number"] = record.caller_number;
    line["caller_withheld"] = record.caller_withheld;
  }
  if (!record.requested_by.empty()) {
    line["requested_by"] = record.requested_by;
    line["final_status"] = record.final_status;
  }
  // Bytes that are not UTF-8 (a From header can hold anything) are replaced,
  // not thrown about.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<std::unique_ptr<CallRecordWriter>> CallRecordWriter::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    return absl::UnavailableError(StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  return std::unique_ptr<CallRecordWriter>(new CallRecordWriter(file, path));
}

absl::Status CallRecordWriter::Reopen() {
  std::FILE* file = std::fopen(path_.c_str(), "a");
  if (file == nullptr) {
    return absl::UnavailableError(StrCat("cannot open ", path_, ": ", std::strerror(errno)));
  }
  std::fclose(file_);
  file_ = file;
  return absl::OkStatus();
}

CallRecordWriter::~CallRecordWriter() { std::fclose(file_); }

void CallRecordWriter::Write(const CallRecord& record) {
  const std::string line = CallRecordJson(record) + "\n";
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
  ++written_;
}

}  // namespace tutti
