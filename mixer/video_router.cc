#include "mixer/video_router.h"

#include <algorithm>

#include "mediaplane/rtp/rtcp_feedback.h"
#include "mixer/conference.h"
#include "mixer/participant.h"
#include "mixer/video_stream.h"

namespace tutti::mixer {
namespace {

// A receiver still waiting for its new source's keyframe asks again this
// often (the first request, or the source's answer, may have been lost).
constexpr int64_t kKeyframeRetryUs = 1'000'000;
// Bitrate requests are repeated this often (REMB is a standing estimate a
// sender forgets without refreshes), and at once when the figure changes
// by more than a tenth.
constexpr int64_t kBitrateRefreshUs = 1'000'000;
// How long a member must have talked, without a break, to take the floor.
constexpr int64_t kFloorTalkUs = 500'000;
// What a watched source is allowed when none of its receivers set a limit.
constexpr uint64_t kUnlimitedBps = 10'000'000;

// Is `receiver` shown `source_id`, or waiting for its keyframe?
bool Watches(const VideoStream& receiver, uint64_t source_id) {
  return receiver.routing.sees == source_id || receiver.routing.pending == source_id;
}

}  // namespace

VideoRouter::VideoRouter(bool slides, const VideoOptions& options)
    : slides_(slides), options_(options) {}

VideoStream* VideoRouter::StreamOf(Participant& participant) const {
  return participant.video_stream(slides_);
}

Participant* VideoRouter::FindSource(uint64_t id, Participants participants) const {
  if (id == 0) return nullptr;
  for (const auto& participant : participants) {
    if (participant->id() == id) return participant.get();
  }
  return nullptr;
}

void VideoRouter::Joined(Participant& participant) {
  if (VideoStream* stream = StreamOf(participant)) stream->routing = {};
  members_.emplace_back();
}

void VideoRouter::Left(size_t slot, uint64_t participant_id, Participants remaining,
                       TickSink& sink) {
  if (slot < members_.size()) members_.erase(members_.begin() + static_cast<std::ptrdiff_t>(slot));
  selection_.Forget(participant_id);
  SourceGone(participant_id, remaining, sink);
}

void VideoRouter::SourceGone(uint64_t participant_id, Participants participants, TickSink& sink) {
  for (const auto& participant : participants) {
    if (participant->id() == participant_id) continue;
    VideoStream* stream = StreamOf(*participant);
    if (stream == nullptr) continue;
    if (stream->routing.pending == participant_id) stream->routing.pending = 0;
    if (stream->routing.sees == participant_id) {
      // Nothing more comes of that source; the next tick picks another.
      stream->routing.sees = 0;
      sink.VideoSourceChanged(participant->id(), 0, slides_);
    }
  }
}

void VideoRouter::SendOn(VideoStream& stream, bool rtcp, uint16_t size, int64_t now_us,
                         TickSink& sink) {
  if (size == 0) return;
  MediaTransport& transport = stream.transport();
  if (!transport.MaySend(now_us)) {
    transport.CountWithheld();
    return;
  }
  sink.Commit(rtcp && !stream.spec().rtcp_mux ? transport.rtcp_port() : transport.rtp_port(),
              rtcp ? transport.rtcp_destination() : transport.rtp_destination(), size);
}

void VideoRouter::RequestKeyframe(Participant& source, int64_t now_us, TickSink& sink, bool force) {
  VideoStream* stream = StreamOf(source);
  if (stream == nullptr) return;
  // Throttled per source: ten receivers asking after one lost packet cost
  // the source one keyframe, not ten.
  const int64_t interval_us = int64_t{options_.keyframe_request_interval_ms} * 1000;
  if (!force && now_us - stream->routing.last_keyframe_request_us < interval_us) return;
  uint8_t* out = sink.NextBuffer();
  const uint16_t size = stream->WriteKeyframeRequest(now_us, out);
  if (size == 0) return;
  stream->routing.last_keyframe_request_us = now_us;
  ++tally_.keyframe_requests;
  SendOn(*stream, true, size, now_us, sink);
}

void VideoRouter::Retarget(Participant& receiver, uint64_t source_id, Participants participants,
                           int64_t now_us, TickSink& sink) {
  VideoStream& stream = *StreamOf(receiver);
  VideoStream::Routing& routing = stream.routing;
  if (source_id == routing.sees) {
    routing.pending = 0;  // back to what it sees: nothing to wait for
    return;
  }
  if (source_id == 0) {
    routing.pending = 0;
    routing.sees = 0;
    sink.VideoSourceChanged(receiver.id(), 0, slides_);
    return;
  }
  if (source_id == routing.pending) return;
  routing.pending = source_id;
  routing.pending_since_us = now_us;
  if (Participant* source = FindSource(source_id, participants)) {
    RequestKeyframe(*source, now_us, sink);
  }
}

void VideoRouter::Forward(Participant& receiver, const media::RtpView& rtp, int32_t picture_id,
                          int32_t tl0picidx, int64_t now_us, TickSink& sink) {
  VideoStream& stream = *StreamOf(receiver);
  if (!stream.receiving()) return;
  const std::optional<VideoRewriter::Fields> fields = stream.rewriter().Rewrite(
      rtp.ssrc, rtp.sequence, rtp.timestamp, picture_id, tl0picidx, now_us);
  if (!fields) return;
  uint8_t* out = sink.NextBuffer();
  const uint16_t size = stream.WriteForwarded(rtp, *fields, out);
  if (size == 0) return;
  ++tally_.packets_out;
  SendOn(stream, false, size, now_us, sink);
}

void VideoRouter::OnRtp(Participant& from, const media::Datagram& datagram,
                        Participants participants, int64_t now_us, TickSink& sink) {
  VideoStream* source = StreamOf(from);
  if (source == nullptr) return;
  const std::optional<VideoStream::Received> received = source->OnRtp(datagram, now_us);
  if (!received) return;
  ++tally_.packets_in;
  const bool switch_point = received->picture_start && received->info.keyframe;
  for (const auto& participant : participants) {
    if (participant.get() == &from) continue;
    VideoStream* stream = StreamOf(*participant);
    if (stream == nullptr) continue;
    VideoStream::Routing& routing = stream->routing;
    if (routing.sees == from.id() && received->new_stream) {
      // The source restarted its stream: nothing of it may be shown before
      // its next keyframe; the receiver keeps its last picture meanwhile.
      routing.sees = 0;
      routing.pending = from.id();
      routing.pending_since_us = now_us;
    }
    if (routing.pending == from.id() && switch_point) {
      routing.sees = from.id();
      routing.pending = 0;
      stream->rewriter().SwitchTo(received->rtp.ssrc);
      ++tally_.switches;
      tally_.switch_wait_us += static_cast<uint64_t>(now_us - routing.pending_since_us);
      sink.VideoSourceChanged(participant->id(), from.id(), slides_);
    }
    if (routing.sees == from.id()) {
      Forward(*participant, received->rtp, received->info.picture_id, received->info.tl0picidx,
              now_us, sink);
    }
  }
  if (received->new_stream) RequestKeyframe(from, now_us, sink);
}

void VideoRouter::OnRtcp(Participant& from, const media::Datagram& datagram,
                         Participants participants, int64_t now_us, TickSink& sink) {
  VideoStream* stream = StreamOf(from);
  if (stream == nullptr) return;
  const std::optional<media::RtcpFeedback> feedback = stream->OnRtcp(datagram, now_us);
  if (!feedback || !feedback->any()) return;
  // Feedback about the stream we send it is about the source it is shown.
  Participant* source = FindSource(stream->routing.sees, participants);
  if (source == nullptr) return;
  if (feedback->pli_count > 0 || feedback->fir_count > 0) RequestKeyframe(*source, now_us, sink);
  if (feedback->nack_count > 0) AnswerNacks(from, *feedback, participants, now_us, sink);
}

void VideoRouter::AnswerNacks(Participant& receiver, const media::RtcpFeedback& feedback,
                              Participants participants, int64_t now_us, TickSink& sink) {
  VideoStream& stream = *StreamOf(receiver);
  Participant* source = FindSource(stream.routing.sees, participants);
  VideoStream* source_stream = source != nullptr ? StreamOf(*source) : nullptr;
  if (source_stream == nullptr) return;
  // Sequence numbers of the source's stream that the cache no longer (or
  // never) held: asked of the source itself.
  std::array<uint16_t, 64> upstream{};
  size_t upstream_count = 0;
  for (int i = 0; i < feedback.nack_count; ++i) {
    if (feedback.nack[i].media_ssrc != stream.rewriter().ssrc()) continue;
    media::ForEachNackedSequence(feedback.nack[i].item, [&](uint16_t out_sequence) {
      const std::optional<VideoRewriter::Origin> origin = stream.rewriter().OriginOf(out_sequence);
      if (!origin || origin->source_ssrc != source_stream->source_ssrc()) return;
      const std::span<const uint8_t> cached = source_stream->Cached(origin->sequence);
      const std::optional<media::RtpView> rtp =
          cached.empty() ? std::nullopt : media::ParseRtp(cached);
      if (!rtp) {
        if (upstream_count < upstream.size()) upstream[upstream_count++] = origin->sequence;
        return;
      }
      const std::optional<media::VideoPacketInfo> info =
          media::InspectVideoPayload(source_stream->spec().codec, rtp->payload);
      const VideoRewriter::Fields fields = origin->Outbound(
          rtp->timestamp, info ? info->picture_id : -1, info ? info->tl0picidx : -1);
      uint8_t* out = sink.NextBuffer();
      const uint16_t size = stream.WriteForwarded(*rtp, fields, out);
      if (size == 0) return;
      ++tally_.nacks_answered;
      ++tally_.retransmissions;
      ++tally_.packets_out;
      SendOn(stream, false, size, now_us, sink);
    });
  }
  if (upstream_count == 0) return;
  std::array<media::NackItem, 16> items{};
  const size_t item_count =
      media::PackNackItems(std::span<const uint16_t>(upstream.data(), upstream_count), items);
  uint8_t* out = sink.NextBuffer();
  const uint16_t size = source_stream->WriteNack(
      std::span<const media::NackItem>(items.data(), item_count), now_us, out);
  if (size > 0) {
    SendOn(*source_stream, true, size, now_us, sink);
  } else {
    RequestKeyframe(*source, now_us, sink);  // a source without NACK repairs with a keyframe
  }
}

void VideoRouter::SelectCameras(Participants participants, const VideoRoomSettings& settings,
                                int64_t now_us) {
  for (size_t i = 0; i < participants.size(); ++i) {
    Participant& participant = *participants[i];
    VideoStream* stream = StreamOf(participant);
    VideoMember& member = members_[i];
    member.id = participant.id();
    member.sends_video = stream != nullptr && stream->sending();
    member.receives_video = stream != nullptr && stream->receiving();
    // The floor goes to a voice, not a noise: a member counts as talking
    // for it only once it has talked for kFloorTalkUs without a break, so a
    // cough or a "yes" does not switch everyone's picture (the hold then
    // keeps a new floor for hold_ms).
    const bool talking = participant.talker().talking() && !participant.spec().muted;
    if (stream != nullptr) {
      int64_t& since = stream->routing.talking_since_us;
      if (!talking) {
        since = -1;
      } else if (since < 0) {
        since = now_us;
      }
      member.talking = talking && now_us - since >= kFloorTalkUs;
    } else {
      member.talking = false;  // without a camera it cannot take the floor anyway
    }
    member.level_db = participant.level_db();
  }
  selection_.Update(std::span<VideoMember>(members_.data(), participants.size()), settings.mode,
                    settings.presenter_id, settings.hold_ms, now_us);
}

void VideoRouter::SelectSlides(Participants participants, const VideoRoomSettings& settings) {
  // Content goes from the one participant allowed to present, while its
  // content stream sends, to everyone else who offered a content stream.
  const uint64_t presenter =
      settings.mode == VideoMode::kAudioOnly ? 0 : settings.slides_presenter_id;
  Participant* source = FindSource(presenter, participants);
  VideoStream* source_stream = source != nullptr ? StreamOf(*source) : nullptr;
  const uint64_t shown = source_stream != nullptr && source_stream->sending() ? presenter : 0;
  for (size_t i = 0; i < participants.size(); ++i) {
    members_[i].id = participants[i]->id();
    members_[i].sees = participants[i]->id() == shown ? 0 : shown;
  }
}

void VideoRouter::Tick(Participants participants, const VideoRoomSettings& settings, int64_t now_us,
                       TickSink& sink) {
  if (members_.size() < participants.size()) return;  // a join not yet seen (never: Joined first)
  // Audio-only rooms (most of them) stop here.
  if (std::none_of(participants.begin(), participants.end(),
                   [this](const auto& participant) { return StreamOf(*participant) != nullptr; })) {
    return;
  }
  if (slides_) {
    SelectSlides(participants, settings);
  } else {
    SelectCameras(participants, settings, now_us);
  }
  for (size_t i = 0; i < participants.size(); ++i) {
    Participant& participant = *participants[i];
    VideoStream* stream = StreamOf(participant);
    if (stream == nullptr) continue;
    const uint64_t target = stream->receiving() ? members_[i].sees : 0;
    Retarget(participant, target, participants, now_us, sink);
    VideoStream::Routing& routing = stream->routing;
    if (routing.pending != 0 && now_us - routing.pending_since_us >= kKeyframeRetryUs) {
      // Still no keyframe: ask again (force past the throttle, once a second).
      if (Participant* source = FindSource(routing.pending, participants)) {
        VideoStream* source_stream = StreamOf(*source);
        if (source_stream != nullptr &&
            now_us - source_stream->routing.last_keyframe_request_us >= kKeyframeRetryUs) {
          RequestKeyframe(*source, now_us, sink, true);
        }
      }
    }
    uint8_t* out = sink.NextBuffer();
    SendOn(*stream, true, stream->MaybeWriteReport(now_us, out), now_us, sink);
  }
  RequestBitrates(participants, now_us, sink);
}

void VideoRouter::RequestBitrates(Participants participants, int64_t now_us, TickSink& sink) {
  for (const auto& participant : participants) {
    VideoStream* source = StreamOf(*participant);
    if (source == nullptr || !source->sending()) continue;
    // The lowest limit any of its watchers asked for; nobody watching: held down.
    int watchers = 0;
    uint64_t limit = kUnlimitedBps;
    for (const auto& receiver : participants) {
      const VideoStream* seen = StreamOf(*receiver);
      if (seen == nullptr || receiver.get() == participant.get() ||
          !Watches(*seen, participant->id())) {
        continue;
      }
      ++watchers;
      if (const uint64_t asked = seen->receive_limit_bps(); asked != 0) {
        limit = std::min(limit, asked);
      }
    }
    if (watchers == 0) {
      if (options_.unwatched_bps == 0) continue;
      limit = options_.unwatched_bps;
    }
    VideoStream::Routing& routing = source->routing;
    const uint64_t previous = routing.requested_bps;
    const bool changed = previous == 0 || limit * 10 < previous * 9 || limit * 10 > previous * 11;
    if (!changed && now_us - routing.bitrate_requested_us < kBitrateRefreshUs) continue;
    if (previous == 0 && limit == kUnlimitedBps) continue;  // never limited: nothing to lift
    uint8_t* out = sink.NextBuffer();
    const uint16_t size = source->WriteBitrateRequest(limit, now_us, out);
    routing.requested_bps = limit;
    routing.bitrate_requested_us = now_us;
    SendOn(*source, true, size, now_us, sink);
  }
}

}  // namespace tutti::mixer
