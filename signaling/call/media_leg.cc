#include "signaling/call/media_leg.h"

#include <utility>

#include "absl/random/random.h"
#include "common/log.h"
#include "signaling/call/media_security.h"

namespace tutti {

std::optional<mixer::ParticipantSpec> SpecFor(uint64_t id, uint32_t conference_id,
                                              const sdp::NegotiatedAudio& audio,
                                              const media::DtlsContext* dtls_context) {
  const std::optional<media::Endpoint> remote =
      media::ParseEndpoint(audio.remote_address, audio.remote_rtp_port);
  if (!remote) return std::nullopt;
  mixer::ParticipantSpec spec;
  spec.id = id;
  spec.conference_id = conference_id;
  switch (audio.codec) {
    case sdp::AudioCodec::kPcmu:
      spec.codec = {media::CodecKind::kPcmu, 8000, audio.ptime_ms};
      break;
    case sdp::AudioCodec::kPcma:
      spec.codec = {media::CodecKind::kPcma, 8000, audio.ptime_ms};
      break;
    case sdp::AudioCodec::kOpus:
      spec.codec = {media::CodecKind::kOpus, 48000, audio.ptime_ms};
      break;
    case sdp::AudioCodec::kG722:
      spec.codec = {media::CodecKind::kG722, 8000, audio.ptime_ms};  // 16 kHz audio
      break;
    case sdp::AudioCodec::kG729:
      spec.codec = {media::CodecKind::kG729, 8000, audio.ptime_ms};
      break;
  }
  spec.payload_type = static_cast<uint8_t>(audio.payload_type);
  spec.telephone_event_pt = audio.telephone_event_pt;
  spec.audio_level_id = audio.audio_level_id;
  spec.remote_rtp = *remote;
  spec.remote_rtcp = remote->WithPort(audio.remote_rtcp_port);
  spec.rtcp_mux = audio.rtcp_mux;
  // Our direction: do we send, and do we expect the caller to?
  spec.send =
      audio.direction == sdp::Direction::kSendRecv || audio.direction == sdp::Direction::kSendOnly;
  spec.receive =
      audio.direction == sdp::Direction::kSendRecv || audio.direction == sdp::Direction::kRecvOnly;
  // c=0.0.0.0 (old-style hold): nowhere to send.
  if (remote->is_unspecified()) spec.send = false;
  if (audio.sdes) spec.srtp = WorkerKeys(*audio.sdes);
  if (audio.dtls) spec.dtls = WorkerDtls(*audio.dtls, dtls_context);
  return spec;
}

mixer::VideoStreamSpec VideoSpecFor(const sdp::NegotiatedVideo& video, bool held,
                                    const media::DtlsContext* dtls_context) {
  mixer::VideoStreamSpec spec;
  const std::optional<media::Endpoint> remote =
      media::ParseEndpoint(video.remote_address, video.remote_rtp_port);
  if (!remote) return spec;  // inactive: nowhere to send, nothing to latch
  spec.active = true;
  spec.codec = video.codec;
  spec.payload_type = static_cast<uint8_t>(video.payload_type);
  spec.remote_rtp = *remote;
  spec.remote_rtcp = remote->WithPort(video.remote_rtcp_port);
  spec.rtcp_mux = video.rtcp_mux;
  spec.send = !held && !remote->is_unspecified() &&
              (video.direction == sdp::Direction::kSendRecv ||
               video.direction == sdp::Direction::kSendOnly);
  spec.receive =
      video.direction == sdp::Direction::kSendRecv || video.direction == sdp::Direction::kRecvOnly;
  spec.feedback = video.feedback;
  spec.max_receive_bps = video.max_receive_bps;
  if (video.sdes) spec.srtp = WorkerKeys(*video.sdes);
  if (video.dtls) spec.dtls = WorkerDtls(*video.dtls, dtls_context);
  return spec;
}

MediaLeg::MediaLeg(mixer::MediaWorkers* workers, uint64_t participant_id, uint32_t conference_id,
                   const media::DtlsContext* dtls_context, std::string call_id)
    : workers_(workers),
      participant_id_(participant_id),
      conference_id_(conference_id),
      dtls_context_(dtls_context),
      call_id_(std::move(call_id)) {}

bool MediaLeg::Join(const sdp::NegotiatedAudio& audio, bool muted, int listen_db, int talk_db) {
  if (workers_ == nullptr || joined_) return false;
  std::optional<mixer::ParticipantSpec> spec =
      SpecFor(participant_id_, conference_id_, audio, dtls_context_);
  if (!spec) {
    LogWarn("media", "remote media address is not an IP address: call has no audio")
        .With("call_id", call_id_)
        .With("remote_media", audio.remote_address);
    return false;
  }
  spec->muted = muted;
  spec->listen_gain_db = listen_db;
  spec->talk_gain_db = talk_db;
  spec->video = camera_;
  spec->slides = slides_;
  absl::BitGen bitgen;
  auto participant = std::make_unique<mixer::Participant>(*spec, std::move(ports_),
                                                          absl::Uniform<uint32_t>(bitgen));
  participant->SetVideoPorts(std::move(camera_ports_), std::move(slides_ports_));
  if (!workers_->Send(conference_id_, mixer::AddParticipant{std::move(participant)})) {
    LogError("media", "command ring full: call has no audio").With("call_id", call_id_);
    return false;
  }
  joined_ = true;
  return true;
}

void MediaLeg::Update(const sdp::NegotiatedAudio& audio) {
  if (!joined_) return;
  if (std::optional<mixer::ParticipantSpec> spec =
          SpecFor(participant_id_, conference_id_, audio, dtls_context_)) {
    spec->video = camera_;
    spec->slides = slides_;
    if (!workers_->Send(conference_id_, mixer::UpdateParticipant{*spec, std::move(camera_ports_),
                                                                 std::move(slides_ports_)})) {
      LogError("media", "command ring full: media not updated").With("call_id", call_id_);
    }
  }
}

void MediaLeg::set_video_ports(media::PortPair camera, media::PortPair slides) {
  if (camera.valid()) camera_ports_ = std::move(camera);
  if (slides.valid()) slides_ports_ = std::move(slides);
}

void MediaLeg::SetVideo(const std::optional<sdp::NegotiatedVideo>& camera,
                        const std::optional<sdp::NegotiatedVideo>& slides, bool held) {
  camera_ = camera ? VideoSpecFor(*camera, held, dtls_context_) : mixer::VideoStreamSpec{};
  slides_ = slides ? VideoSpecFor(*slides, held, dtls_context_) : mixer::VideoStreamSpec{};
  if (!camera) camera_ports_ = media::PortPair();
  if (!slides) slides_ports_ = media::PortPair();
}

void MediaLeg::SetMuted(bool muted) {
  if (!joined_) return;
  workers_->Send(conference_id_, mixer::MuteParticipant{{conference_id_, participant_id_}, muted});
}

void MediaLeg::SetGains(int listen_db, int talk_db) {
  if (!joined_) return;
  workers_->Send(conference_id_,
                 mixer::SetParticipantGains{{conference_id_, participant_id_}, listen_db, talk_db});
}

bool MediaLeg::Play(const media::Prompt* prompt, bool loop) {
  if (!joined_) return false;
  return workers_->Send(conference_id_,
                        mixer::PlayPrompt{{conference_id_, participant_id_}, prompt, loop});
}

bool MediaLeg::MoveTo(uint32_t conference_id) {
  const uint32_t from = std::exchange(conference_id_, conference_id);
  if (!joined_) return true;
  if (!workers_->Send(from, mixer::DetachParticipant{{from, participant_id_}, conference_id})) {
    LogError("media", "command ring full: caller stays in the lobby").With("call_id", call_id_);
    return false;
  }
  return true;
}

bool MediaLeg::Rejoin(std::unique_ptr<mixer::Participant> participant, bool muted) {
  participant->SetMuted(muted);
  const uint32_t conference_id = participant->spec().conference_id;
  if (!workers_->Send(conference_id, mixer::AddParticipant{std::move(participant)})) {
    LogError("media", "command ring full: call has no audio").With("call_id", call_id_);
    joined_ = false;
    return false;
  }
  return true;
}

bool MediaLeg::Remove() {
  if (!joined_) return false;
  joined_ = false;
  if (!workers_->Send(conference_id_,
                      mixer::RemoveParticipant{{conference_id_, participant_id_}})) {
    LogError("media", "command ring full: participant not removed").With("call_id", call_id_);
    return false;
  }
  return true;
}

void MediaLeg::OnLetGo(const mixer::ParticipantStats& final_stats) {
  joined_ = false;
  stats_ = final_stats;  // its final counters, for the record
}

}  // namespace tutti
