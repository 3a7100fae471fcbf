// One conference on one worker: its participants and the 20 ms mix.
//
// Per tick (Tick, in this order): a frame from every participant (decoded,
// concealed, resampled to the conference rate) with its talker state; the
// mix policy's choice of voices (the N loudest with hysteresis, ramped in
// and out) and their limited sum; the recording; then out to everyone: each
// voice in the mix gets the mix minus itself from its own encoder, every
// other listener shares one encoding per (codec, rate, ptime, gain): encode
// once, copy the payload into each listener's own RTP packet. Whoever hears
// a single voice as it is (one talker: the listeners; two: each talker) gets
// that voice's own packet instead of an encode. Last, RTCP when due.
// In a room with noise suppression or AGC, the voices in the mix go through
// their preprocessor (talker_preprocess.h) between the choice and the sum,
// and nobody gets a forwarded packet: a talker's audio always goes through
// its preprocessor, at the cost of the encodes forwarding would have saved.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/thread_owner.h"
#include "mediaplane/codec/audio_codec.h"
#include "mediaplane/codec/resampler.h"
#include "mediaplane/packet_io.h"
#include "mixer/mix_policy.h"
#include "mixer/participant.h"
#include "mixer/room_recorder.h"
#include "mixer/talker_preprocess.h"
#include "mixer/video_router.h"

namespace tutti::mixer {

struct ConferenceOptions {
  int max_talkers = 3;
  float switch_margin_db = 3.0f;
  // Off only to measure what sharing saves (bench/): every listener gets an
  // encode of its own (no shared encodes, no forwarded packets). Who is
  // mixed, and how, does not change.
  bool share_encoders = true;
  VideoOptions video;
};

// A room's own settings (ConfigureConference); zero takes the worker's
// ConferenceOptions.
struct ConferenceSettings {
  int max_talkers = 0;  // top-N
  VideoMode video_mode = VideoMode::kDefault;
  // kPresenter: whose camera everyone sees (a participant id; 0: nobody yet,
  // the room follows the talker meanwhile).
  uint64_t presenter_id = 0;
  // The one participant whose content stream (a=content:slides) is shown; 0: none.
  uint64_t slides_presenter_id = 0;
  // Follow-the-talker: the least time a picture stays before the next talker takes it.
  int video_hold_ms = 0;
  // Noise suppression and AGC on the mixed voices (talker_preprocess.h).
  PreprocessSettings preprocess;
  bool operator==(const ConferenceSettings&) const = default;
};

// Where a tick's output goes: packets to send and events for the control plane.
class TickSink {
 public:
  virtual ~TickSink() = default;
  // A buffer of media::kMaxDatagramBytes for the next outgoing datagram.
  virtual uint8_t* NextBuffer() = 0;
  // Commits the datagram written into the buffer NextBuffer returned.
  virtual void Commit(uint16_t local_port, const media::Endpoint& remote, uint16_t size) = 0;
  virtual void TalkingChanged(uint64_t participant_id, bool talking) = 0;
  // Jitter-buffer frames lost and packets late since the last report.
  virtual void JitterReported(uint64_t /*lost*/, uint64_t /*late*/) {}
  // Malformed media (RTP, RTCP, video; payloads the decoder refused) since the last report.
  virtual void MalformedReported(uint64_t /*count*/) {}
  // A prompt played to one participant has ended.
  virtual void PlaybackDone(uint64_t /*participant_id*/) {}
  // A key press detected in a participant's audio (in-band DTMF).
  virtual void InbandDigit(uint64_t /*participant_id*/, char /*digit*/) {}
  // A participant's reception figures, each time its RTCP report goes out (~5 s).
  virtual void StatsReported(uint64_t /*participant_id*/, const ParticipantStats& /*stats*/) {}
  // What a participant is shown changed (video_router.h): `source_id`'s
  // camera (or content, `slides`) from its keyframe on; 0: nothing.
  virtual void VideoSourceChanged(uint64_t /*participant_id*/, uint64_t /*source_id*/,
                                  bool /*slides*/) {}
};

class Conference {
 public:
  Conference(uint32_t id, ConferenceOptions options)
      : id_(id),
        options_(options),
        policy_(options.max_talkers, options.switch_margin_db),
        cameras_(false, options_.video),
        slides_(true, options_.video) {
    Configure({});
  }

  uint32_t id() const { return id_; }
  int rate() const { return rate_; }
  size_t size() const { return participants_.size(); }
  bool empty() const { return participants_.empty(); }
  std::span<const std::unique_ptr<Participant>> participants() const { return participants_; }

  // The room's settings; they may change at any time. Until then (and for
  // zero values) the worker's options hold.
  void Configure(const ConferenceSettings& settings);

  // Join and leave allocate (encoder groups, resamplers when the rate changes).
  void Add(std::unique_ptr<Participant> participant);
  std::unique_ptr<Participant> Remove(uint64_t participant_id, TickSink& sink);
  Participant* Find(uint64_t participant_id);
  // After a participant's listening volume changed: the group it shares an
  // encoding with (allocates a new group when none matches).
  void Regroup(Participant& participant);
  // After a participant's codec changed (Participant::Update): the room's
  // rate follows its codecs, and the participant its group.
  void CodecChanged(Participant& participant);

  // Records the mix every tick until detached (null). The recorder outlives
  // its attachment; attaching allocates (a resampler for 8 kHz rooms).
  void AttachRecorder(RoomRecorder* recorder);
  RoomRecorder* recorder() const { return recorder_; }

  // The worker's shedding level (AudioEncoder::SetCostLevel) for every
  // encoder of the room: the groups', each participant's own, and those
  // made later (joins, codec changes). Allocation-free.
  void SetCostLevel(int level);
  int cost_level() const { return cost_level_; }

  // The 20 ms mix. Allocation-free.
  void Tick(int64_t now_us, TickSink& sink);

  // A clear video RTP or RTCP datagram on one of `participant`'s video
  // streams (the content stream's when `slides`): forwarded at once.
  void OnVideo(Participant& participant, bool slides, bool rtcp, const media::Datagram& datagram,
               int64_t now_us, TickSink& sink);
  // The video routers' work since the last call.
  VideoTally TakeVideoTally();
  // A participant's video stream is about to go (a re-INVITE removed it):
  // nobody is shown it any more.
  void VideoStreamEnding(Participant& participant, bool slides, TickSink& sink);

  // Encodes done in the last tick (for tests and benchmarks).
  int encodes_last_tick() const { return encodes_last_tick_; }
  // The room's noise suppression and AGC, with their counters.
  const TalkerPreprocess& preprocess() const { return preprocess_; }
  // Packets sent as received from the one voice their listener hears.
  int forwards_last_tick() const { return forwards_last_tick_; }
  // Packets not sent in the last tick: their peer has not consented
  // (Participant::MaySend).
  int withheld_last_tick() const { return withheld_last_tick_; }

 private:
  // Listeners who hear the same thing the same way: one codec format at one
  // listening volume (docs/ARCHITECTURE.md, "A packet's way": a (codec, rate, ptime, gain) group).
  struct EncoderGroup {
    media::CodecFormat format;
    int32_t listen_factor = 4096;  // Q12 gain
    std::array<int16_t, kMaxFrameSamples> gained{};
    std::unique_ptr<media::AudioEncoder> encoder;
    std::unique_ptr<media::Resampler> downsampler;  // conference rate -> codec rate
    std::array<int16_t, kMaxFrameSamples> input{};
    std::array<uint8_t, media::kMaxPayloadBytes> payload{};
    size_t size = 0;
    bool encoded = false;
    // The worst loss its listeners report: one lossy receiver turns FEC on
    // for the shared encoding, since all of them get the same payload.
    int expected_loss_percent = 0;
    // Its listeners were last sent a forwarded packet, not this encoder's.
    bool spliced = false;
  };

  void ChooseRate();
  int GroupFor(const media::CodecFormat& format, int32_t listen_factor);
  size_t frame_samples() const { return static_cast<size_t>(rate_ / 50); }

  // The steps of a tick, in order.
  void StartTick();
  void PullFrames(TickSink& sink);
  void DecodeMixed();
  void Preprocess();
  void Record();
  void SendMedia(int64_t now_us, TickSink& sink);
  void SendRtcp(int64_t now_us, TickSink& sink);

  // SendMedia for one participant: nothing, a forwarded packet, its own
  // encode or its group's.
  void SendTo(size_t slot, int64_t now_us, TickSink& sink);
  bool SkipsTick(size_t slot, int64_t now_us);
  bool ForwardTo(size_t slot, TickSink& sink);
  void EncodeOwnFor(size_t slot, TickSink& sink);
  std::span<const uint8_t> EncodeForGroup(EncoderGroup& group);
  void UpdateGroupLoss();
  void Send(Participant& participant, std::span<const uint8_t> payload, TickSink& sink);
  // The frame `slot` puts in this tick's mix: its preprocessed copy in a
  // room with noise suppression or AGC, else its decoded frame.
  std::span<const int16_t> MixedFrame(size_t slot) const {
    return preprocess_.has_state(slot) ? preprocess_.Processed(slot) : participants_[slot]->frame();
  }

  [[no_unique_address]] OwnerThread owner_;  // its worker's thread
  uint32_t id_;
  ConferenceOptions options_;  // the worker's (the room's settings go to policy_)
  int rate_ = 8000;
  std::vector<std::unique_ptr<Participant>> participants_;
  MixPolicy policy_;             // one slot per participant, in the same order
  TalkerPreprocess preprocess_;  // likewise
  std::vector<EncoderGroup> groups_;
  std::vector<int> group_loss_;  // per group, scratch for UpdateGroupLoss
  std::array<int16_t, kMaxFrameSamples> scratch_{};
  int encodes_last_tick_ = 0;
  int forwards_last_tick_ = 0;
  int withheld_last_tick_ = 0;
  int cost_level_ = 0;
  VideoRoomSettings video_settings_;
  VideoRouter cameras_;
  VideoRouter slides_;
  RoomRecorder* recorder_ = nullptr;
  std::unique_ptr<media::Resampler> recorder_upsampler_;  // 8 kHz rooms -> 48 kHz files
  std::array<int16_t, kMaxFrameSamples> recorded_{};
};

}  // namespace tutti::mixer
