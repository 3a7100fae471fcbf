#include "signaling/call/room_video_codecs.h"

#include "common/strings.h"
#include "signaling/sdp/video_fmtp.h"

namespace tutti {

std::vector<sdp::VideoCodecChoice> VideoCodecChoices(const std::vector<std::string>& names) {
  std::vector<sdp::VideoCodecChoice> out;
  for (const std::string& name : names) {
    for (media::VideoCodec codec :
         {media::VideoCodec::kVp8, media::VideoCodec::kVp9, media::VideoCodec::kH264}) {
      if (name == media::VideoCodecName(codec)) out.push_back({codec, ""});
    }
  }
  return out;
}

std::string VideoCodecText(const sdp::VideoCodecChoice& choice) {
  if (choice.fmtp.empty() || choice.codec != media::VideoCodec::kH264) {
    return std::string(media::VideoCodecName(choice.codec));
  }
  return StrCat(media::VideoCodecName(choice.codec), " ", choice.fmtp);
}

std::vector<sdp::VideoCodecChoice> RoomVideoCodecs::ChoicesFor(
    std::string_view room, const std::vector<sdp::VideoCodecChoice>& preference) const {
  if (std::optional<sdp::VideoCodecChoice> lock = LockOf(room)) return {*lock};
  return preference;
}

bool RoomVideoCodecs::Join(std::string_view room, uint64_t participant,
                           const sdp::VideoCodecChoice& negotiated) {
  auto it = rooms_.find(std::string(room));
  if (it == rooms_.end()) {
    rooms_[std::string(room)] = Lock{negotiated, {participant}};
    return true;
  }
  Lock& lock = it->second;
  // The lock's fmtp as ours: the same rules an answer to it would follow.
  if (negotiated.codec != lock.codec.codec ||
      !sdp::AnswerVideoFmtp(negotiated.codec, negotiated.fmtp, lock.codec.fmtp)) {
    return false;
  }
  lock.participants.insert(participant);
  return true;
}

void RoomVideoCodecs::Leave(std::string_view room, uint64_t participant) {
  auto it = rooms_.find(std::string(room));
  if (it == rooms_.end()) return;
  it->second.participants.erase(participant);
  if (it->second.participants.empty()) rooms_.erase(it);
}

std::optional<sdp::VideoCodecChoice> RoomVideoCodecs::LockOf(std::string_view room) const {
  auto it = rooms_.find(std::string(room));
  if (it == rooms_.end()) return std::nullopt;
  return it->second.codec;
}

}  // namespace tutti
