// libFuzzer target for the video payload parsers (VP8, VP9, H.264: the first
// input byte picks the codec). Beyond "no crash": a key frame is always a
// picture start; picture ids fit their width; a picture id rewrite keeps the
// packet valid and everything it said except the ids, writes the ids the
// packet has (mod their width) and changes no other byte; an invalid packet
// is never written.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "mediaplane/video/video_payload.h"

namespace {

using tutti::media::VideoCodec;
using tutti::media::VideoPacketInfo;

void Check(bool condition) {
  if (!condition) std::abort();
}

void CheckFields(const VideoPacketInfo& info) {
  Check(!info.keyframe || info.frame_start);
  Check(info.picture_id >= -1 && info.picture_id < (info.picture_id_15bit ? 32768 : 128));
  Check(info.picture_id != -1 || !info.picture_id_15bit);
  Check(info.tl0picidx >= -1 && info.tl0picidx < 256);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const VideoCodec codec = static_cast<VideoCodec>(data[0] % 3);
  const std::span<const uint8_t> payload(data + 1, size - 1);
  const std::optional<VideoPacketInfo> info = tutti::media::InspectVideoPayload(codec, payload);
  std::vector<uint8_t> copy(payload.begin(), payload.end());
  // Ids from the input's last bytes, so the fuzzer steers them too.
  const uint16_t picture_id =
      size >= 3 ? static_cast<uint16_t>(data[size - 1] << 8 | data[size - 2]) : 0;
  const uint8_t tl0picidx = static_cast<uint8_t>(data[size / 2] ^ 0x5a);
  const bool rewritten = tutti::media::RewriteVideoPictureIds(codec, copy, picture_id, tl0picidx);
  if (!info) {
    Check(!rewritten);
    Check(std::equal(copy.begin(), copy.end(), payload.begin()));
    return 0;
  }
  CheckFields(*info);
  Check(rewritten == (info->picture_id != -1));
  const std::optional<VideoPacketInfo> after = tutti::media::InspectVideoPayload(codec, copy);
  Check(after.has_value());
  CheckFields(*after);
  Check(after->frame_start == info->frame_start && after->keyframe == info->keyframe);
  Check(after->width == info->width && after->height == info->height);
  Check(after->picture_id_15bit == info->picture_id_15bit);
  if (info->picture_id != -1) {
    Check(after->picture_id == (picture_id & (info->picture_id_15bit ? 0x7fff : 0x7f)));
  } else {
    Check(after->picture_id == -1);
  }
  Check(after->tl0picidx == (info->tl0picidx == -1 ? -1 : tl0picidx));
  size_t changed = 0;
  for (size_t i = 0; i < copy.size(); ++i) changed += copy[i] != payload[i];
  Check(changed <= 3);  // at most a 15-bit picture id and a TL0PICIDX
  return 0;
}
