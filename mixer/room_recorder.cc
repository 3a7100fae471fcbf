#include "mixer/room_recorder.h"

#include <opus/opusenc.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace tutti::mixer {
namespace {

void PutLe32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void PutLe16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}

// The 44-byte header of a mono 16-bit PCM WAV holding `data_bytes`.
std::array<uint8_t, 44> WavHeader(uint32_t data_bytes) {
  std::array<uint8_t, 44> h{};
  std::memcpy(&h[0], "RIFF", 4);
  PutLe32(&h[4], 36 + data_bytes);
  std::memcpy(&h[8], "WAVEfmt ", 8);
  PutLe32(&h[16], 16);
  PutLe16(&h[20], 1);  // PCM
  PutLe16(&h[22], 1);  // mono
  PutLe32(&h[24], RoomRecorder::kRate);
  PutLe32(&h[28], RoomRecorder::kRate * 2);
  PutLe16(&h[32], 2);
  PutLe16(&h[34], 16);
  std::memcpy(&h[36], "data", 4);
  PutLe32(&h[40], data_bytes);
  return h;
}

constexpr uint64_t kFramesPerSecond = 50;

// libopusenc's own file output buffers in stdio without flushing; writing
// each page ourselves and flushing it is what keeps a killed recording
// playable up to its last page.
int WritePage(void* user_data, const unsigned char* data, opus_int32 length) {
  auto* file = static_cast<std::FILE*>(user_data);
  if (std::fwrite(data, 1, static_cast<size_t>(length), file) != static_cast<size_t>(length)) {
    return 1;
  }
  return std::fflush(file) == 0 ? 0 : 1;
}

int ClosePages(void* user_data) {
  return std::fclose(static_cast<std::FILE*>(user_data)) == 0 ? 0 : 1;
}

// Files are created, never opened as they are ("x": O_EXCL): a second
// recording of a room in the same second would truncate the first, and a
// link planted under the next name would have the recorder write wherever
// it points.
absl::Status CannotCreate(const std::string& path) {
  const std::string why = "cannot create " + path + ": " + std::strerror(errno);
  return errno == EEXIST ? absl::AlreadyExistsError(why + " (try again in a second)")
                         : absl::UnavailableError(why);
}

}  // namespace

RoomRecorder::RoomRecorder(std::string path, RecordingFormat format)
    : path_(std::move(path)), format_(format) {}

absl::StatusOr<std::unique_ptr<RoomRecorder>> RoomRecorder::Start(const std::string& path,
                                                                  RecordingFormat format) {
  std::unique_ptr<RoomRecorder> recorder(new RoomRecorder(path, format));
  if (format == RecordingFormat::kWav) {
    recorder->wav_ = std::fopen(path.c_str(), "wbx");
    if (recorder->wav_ == nullptr) return CannotCreate(path);
    const std::array<uint8_t, 44> header = WavHeader(0);
    std::fwrite(header.data(), 1, header.size(), recorder->wav_);
    std::fflush(recorder->wav_);
  } else {
    std::FILE* file = std::fopen(path.c_str(), "wbx");
    if (file == nullptr) return CannotCreate(path);
    static const OpusEncCallbacks kCallbacks = {WritePage, ClosePages};
    OggOpusComments* comments = ope_comments_create();
    ope_comments_add(comments, "ENCODER", "tutti");
    int error = OPE_OK;
    recorder->ogg_ = ope_encoder_create_callbacks(&kCallbacks, file, comments, kRate, 1, 0, &error);
    ope_comments_destroy(comments);
    if (recorder->ogg_ == nullptr) {
      std::fclose(file);
      return absl::UnavailableError("cannot start Ogg Opus for " + path + ": " +
                                    ope_strerror(error));
    }
    // Pages go out at least every second, so a killed process loses at most
    // the last second; the headers go out now.
    // No look-ahead buffering (its default holds 2 s back) and pages out at
    // least every second.
    ope_encoder_ctl(recorder->ogg_, OPE_SET_DECISION_DELAY(0));
    ope_encoder_ctl(recorder->ogg_, OPE_SET_MUXING_DELAY(kRate));
    ope_encoder_flush_header(recorder->ogg_);
  }
  recorder->thread_ = std::thread([raw = recorder.get()] { raw->Run(); });
  return recorder;
}

RoomRecorder::~RoomRecorder() { (void)Close(); }

bool RoomRecorder::Append(std::span<const int16_t> frame) {
  Frame copy;
  std::copy_n(frame.begin(), std::min(frame.size(), kFrame), copy.pcm.begin());
  if (ring_.TryPush(std::move(copy))) return true;
  dropped_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void RoomRecorder::Run() {
  for (;;) {
    const bool closing = closing_.load();
    bool any = false;
    while (std::optional<Frame> frame = ring_.TryPop()) {
      Write(*frame);
      any = true;
    }
    if (closing) return;  // everything queued before Close is written
    if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void RoomRecorder::Write(const Frame& frame) {
  if (wav_ != nullptr) {
    std::fwrite(frame.pcm.data(), sizeof(int16_t), frame.pcm.size(), wav_);
  } else {
    ope_encoder_write(ogg_, frame.pcm.data(), static_cast<int>(frame.pcm.size()));
  }
  const uint64_t written = written_.fetch_add(1) + 1;
  if (wav_ != nullptr && written % kFramesPerSecond == 0) UpdateWavHeader();
}

void RoomRecorder::UpdateWavHeader() {
  const auto data_bytes = static_cast<uint32_t>(written_.load() * kFrame * sizeof(int16_t));
  const std::array<uint8_t, 44> header = WavHeader(data_bytes);
  std::fflush(wav_);
  const long end = std::ftell(wav_);
  std::fseek(wav_, 0, SEEK_SET);
  std::fwrite(header.data(), 1, header.size(), wav_);
  std::fseek(wav_, end, SEEK_SET);
  std::fflush(wav_);
}

absl::Status RoomRecorder::Close() {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  closing_.store(true);
  if (thread_.joinable()) thread_.join();
  if (wav_ != nullptr) {
    UpdateWavHeader();
    const bool ok = std::fclose(wav_) == 0;
    wav_ = nullptr;
    if (!ok) return absl::DataLossError("closing " + path_ + " failed");
  }
  if (ogg_ != nullptr) {
    // libopusenc 0.2.1 may abort (an assert in ope_encoder_drain, its issue
    // #24) when a stream is drained without any audio: a recording stopped
    // before its first frame gets 20 ms of silence.
    if (written_.load() == 0) {
      const Frame silence;
      ope_encoder_write(ogg_, silence.pcm.data(), static_cast<int>(silence.pcm.size()));
    }
    const int result = ope_encoder_drain(ogg_);  // the last page, with end of stream
    ope_encoder_destroy(ogg_);
    ogg_ = nullptr;
    if (result != OPE_OK) return absl::DataLossError("finishing " + path_ + " failed");
  }
  return absl::OkStatus();
}

}  // namespace tutti::mixer
