// The call controller's video legs: which codecs a call's video may be
// answered with (its room's, one per room), the port pairs bound for the
// camera and content streams with the audio pair, the streams an answer
// agreed on, and a caller from the IVR bringing its video into a room.
#include <utility>

#include "common/log.h"
#include "common/strings.h"
#include "signaling/call/call_controller.h"
#include "signaling/call/call_state.h"
#include "signaling/sdp/video_fmtp.h"

namespace tutti {

namespace {

// A trial answer's stand-in for a pair not bound yet (the discard port; the
// trial's SDP is never sent).
constexpr uint16_t kUnboundPort = 9;

bool Held(const sdp::NegotiatedAudio* audio) {
  return audio != nullptr && (audio->direction == sdp::Direction::kRecvOnly ||
                              audio->direction == sdp::Direction::kInactive);
}

}  // namespace

const RoomConfig* CallController::VideoRoomOf(const Call& call) const {
  if (!call.room.empty()) return rooms_->Find(call.room);
  if (call.dial_in && !call.dial_in->room().empty()) return rooms_->Find(call.dial_in->room());
  return nullptr;
}

std::string CallController::WhyNoVideo(const Call& call) const {
  if (call.video_off) return "its room did not take this call's video";
  const RoomConfig* room = VideoRoomOf(call);
  const mixer::VideoMode mode = room != nullptr ? VideoModeOf(*room) : options_.video_mode;
  if (mode == mixer::VideoMode::kAudioOnly) return "the room shows no video (audio-only)";
  return {};
}

void CallController::SetVideoChoices(Call& call) {
  sdp::LocalMedia& local = call.local_media;
  local.video_max_bps = options_.video_max_bps;
  local.no_video_why = WhyNoVideo(call);
  // A stream's codec is fixed while the call has one, as its audio codec is.
  if (const std::optional<sdp::NegotiatedVideo>& own = call.video ? call.video : call.slides) {
    local.video_codecs = {{own->codec, own->fmtp}};
    return;
  }
  const RoomConfig* room = VideoRoomOf(call);
  const std::vector<sdp::VideoCodecChoice> preference = VideoCodecChoices(
      room != nullptr && !room->video_codecs.empty() ? room->video_codecs : options_.video_codecs);
  local.video_codecs =
      room != nullptr ? video_codecs_.ChoicesFor(room->name, preference) : preference;
}

sdp::LocalMedia CallController::WithVideoPlaceholders(const Call& call,
                                                      sdp::LocalMedia local) const {
  if (!WhyNoVideo(call).empty()) {
    local.video_rtp_port = 0;
    local.slides_rtp_port = 0;
    return local;
  }
  if (local.video_rtp_port == 0) local.video_rtp_port = kUnboundPort;
  if (local.slides_rtp_port == 0) local.slides_rtp_port = kUnboundPort;
  return local;
}

void CallController::BindVideoPorts(Call& call, sdp::LocalMedia* local, bool camera, bool slides) {
  media::PortPair pairs[2];
  uint16_t* ports[2] = {&local->video_rtp_port, &local->slides_rtp_port};
  const bool wanted[2] = {camera, slides};
  for (int i = 0; i < 2; ++i) {
    if (!wanted[i] || *ports[i] != 0) continue;
    absl::StatusOr<media::PortPair> pair = ports_->Allocate(call.media_family);
    if (!pair.ok()) {
      // The call goes on with its audio; the line is declined.
      LogWarn("call", "no media port for video")
          .With("call_id", call.call_id)
          .With("error", pair.status().ToString());
      local->no_video_why = "no media port free for video";
      continue;
    }
    *ports[i] = pair->rtp_port();
    pairs[i] = std::move(*pair);
  }
  call.media.set_video_ports(std::move(pairs[0]), std::move(pairs[1]));
}

void CallController::TakeVideo(Call& call, std::optional<sdp::NegotiatedVideo> camera,
                               std::optional<sdp::NegotiatedVideo> slides) {
  const bool had = call.video || call.slides;
  // A stream not taken (declined, removed) has no pair any more: the leg
  // lets go of one it holds, the worker of one it has.
  if (!camera) call.local_media.video_rtp_port = 0;
  if (!slides) call.local_media.slides_rtp_port = 0;
  const bool in_room = !call.dial_in && !call.room.empty();
  if (in_room && (camera || slides) && !had) {
    const sdp::NegotiatedVideo& first = camera ? *camera : *slides;
    // Answered with the room's lock (SetVideoChoices), so it fits; checked
    // all the same: no stream of another codec ever reaches a receiver.
    if (!video_codecs_.Join(call.room, call.id, {first.codec, first.fmtp})) {
      LogWarn("call", "video stays off: the room's video codec changed")
          .With("call_id", call.call_id)
          .With("room", call.room);
      camera.reset();
      slides.reset();
    }
  }
  if (in_room && had && !camera && !slides) video_codecs_.Leave(call.room, call.id);
  call.video = std::move(camera);
  call.slides = std::move(slides);
  call.media.SetVideo(call.video, call.slides, Held(call.audio ? &*call.audio : nullptr));
}

void CallController::AdmitVideo(Call& call, const RoomConfig& room) {
  if (!call.video && !call.slides) return;
  const sdp::NegotiatedVideo& negotiated = call.video ? *call.video : *call.slides;
  const sdp::VideoCodecChoice codec{negotiated.codec, negotiated.fmtp};
  std::string why = WhyNoVideo(call);  // the room is known now: its mode
  if (why.empty()) {
    bool listed = false;
    for (const sdp::VideoCodecChoice& choice :
         VideoCodecChoices(room.video_codecs.empty() ? options_.video_codecs : room.video_codecs)) {
      listed |= choice.codec == codec.codec &&
                sdp::AnswerVideoFmtp(codec.codec, codec.fmtp, choice.fmtp).has_value();
    }
    if (!listed) {
      why = StrCat("the room does not take ", VideoCodecText(codec));
    } else if (!video_codecs_.Join(room.name, call.id, codec)) {
      why = StrCat("the room's video is ", VideoCodecText(*video_codecs_.LockOf(room.name)),
                   ", the caller's ", VideoCodecText(codec));
    }
  }
  if (why.empty()) return;
  // Its video stays off for the call: the caller keeps its audio and keys,
  // no receiver gets a picture it cannot decode, and the API shows no camera.
  LogInfo("call", "video stays off")
      .With("call_id", call.call_id)
      .With("room", room.name)
      .With("why", why);
  call.video.reset();
  call.slides.reset();
  call.video_off = true;
  call.video_off_unposted = call.media.joined();
  call.local_media.video_rtp_port = 0;
  call.local_media.slides_rtp_port = 0;
  call.media.SetVideo(std::nullopt, std::nullopt, false);
}

}  // namespace tutti
