#include "signaling/call/call_controller.h"

#include "absl/random/random.h"
#include "common/log.h"
#include "common/log_rate_limit.h"
#include "common/strings.h"
#include "signaling/call/call_state.h"
#include "signaling/call/chat_format.h"
#include "signaling/call/event_json.h"
#include "signaling/call/info_digit.h"
#include "signaling/call/media_security.h"
#include "signaling/call/room_media_settings.h"
#include "signaling/sdp/session_description.h"
#include "signaling/sip/message_writer.h"

namespace tutti {

using sip::HeaderId;
using sip::Method;
using sip::SipMessage;
using sip::TransactionId;

namespace {

// Once per call, with its first answer: each offered stream tutti declined
// (video, a chat line...), and why; re-INVITEs repeating them say nothing.
void LogDeclinedStreams(const std::string& call_id, const std::string& room,
                        const std::vector<sdp::DeclinedStream>& declined) {
  for (const sdp::DeclinedStream& stream : declined) {
    LogInfo("call", "media stream declined")
        .With("call_id", call_id)
        .With("room", room)
        .With("media", stream.media)
        .With("why", stream.why);
  }
}

}  // namespace

CallController::CallController(EventLoop* loop, sip::CallSignaling* transactions,
                               RoomDirectory* rooms, media::PortAllocator* ports,
                               OverloadGuard* overload, mixer::MediaWorkers* media,
                               CallControllerOptions options)
    : CallController(new LoopTimers(loop), transactions, rooms, ports, overload, media,
                     std::move(options)) {
  loop_timers_.reset(timers_);
}

CallController::CallController(CallTimers* timers, sip::CallSignaling* transactions,
                               RoomDirectory* rooms, media::PortAllocator* ports,
                               OverloadGuard* overload, mixer::MediaWorkers* media,
                               CallControllerOptions options)
    : timers_(timers),
      transactions_(transactions),
      rooms_(rooms),
      ports_(ports),
      overload_(overload),
      media_(media),
      options_(std::move(options)),
      server_{options_.user_agent, options_.retry_after_s,
              options_.messaging.enabled ? kAllowedMethods : kAllowedMethodsWithoutMessage},
      session_options_{server_, options_.session_timers},
      recordings_(media),
      subscriptions_(transactions, timers, &server_, options_.local, options_.subscriptions,
                     [this](std::string_view room) { return RosterOf(room); }),
      pin_guard_(options_.pin_guard) {
  subscriptions_.set_drained([this] { MaybeFinishShutdown(); });
  if (media_ != nullptr) {
    WatchRoomMediaSettings(rooms_, media_);
    PollMediaEvents();
  }
}

CallController::~CallController() {
  timers_->Cancel(media_poll_timer_);
  if (media_ != nullptr) rooms_->Watch(nullptr);
  // Legs whose final media counters never came (the process is stopping):
  // record them with the last counters the worker reported.
  if (media_ != nullptr) {
    media_->DrainEvents([this](mixer::WorkerEvent& event) { OnMediaEvent(event); });
  }
  records_.WriteDeparted();
  // Recordings still open: the workers let go, the files are finalised.
  recordings_.CloseAll();
}

void CallController::Reject(TransactionId id, int status_code, std::string_view reason,
                            std::string_view warning, int warn_code) {
  tutti::Reject(*transactions_, server_, id, status_code, reason, warning, warn_code);
}

bool CallController::Admit(const SipMessage& request, const sip::MessageSource& source) {
  control_thread_.Check();
  const SourceIp source_ip = SourceIp::From(source.address);
  if (request.to().tag.empty()) {
    return overload_->AdmitNewRequest(source_ip, timers_->Now()) == Refusal::kNone;
  }
  const Call* call = FindByDialog(request);
  return overload_->AdmitDialogRequest(call != nullptr ? call->id : 0, source_ip, timers_->Now()) ==
         Refusal::kNone;
}

void CallController::OnRequest(TransactionId id, const SipMessage& request,
                               const sip::MessageSource& source) {
  control_thread_.Check();
  const bool in_dialog = !request.to().tag.empty();
  switch (request.method()) {
    case Method::kInvite:
      if (in_dialog) {
        Call* call = FindByDialog(request);
        if (call == nullptr) return Reject(id, 481, "Call/Transaction Does Not Exist");
        return OnReInvite(*call, id, request);
      }
      return OnInvite(id, request, source);
    case Method::kBye:
      return OnBye(id, request);
    case Method::kOptions:
      return OnOptions(id, request, source);
    case Method::kPrack:
      return OnPrack(id, request);
    case Method::kInfo:
      return OnInfo(id, request);
    case Method::kUpdate:
      return OnUpdate(id, request);
    case Method::kSubscribe:
      return OnSubscribe(id, request, source);
    case Method::kMessage:
      return OnMessage(id, request, source);
    case Method::kRefer:
      return OnRefer(id, request, source);
    case Method::kUnknown:
      return Reject(id, 501, "Not Implemented");
    default:
      if (in_dialog && FindByDialog(request) == nullptr) {
        return Reject(id, 481, "Call/Transaction Does Not Exist");
      }
      return Reject(id, 405, "Method Not Allowed");
  }
}

std::optional<CallController::Admission> CallController::AdmitInvite(
    TransactionId id, const SipMessage& invite, const sip::MessageSource& source) {
  const std::string_view call_id = invite.call_id();
  if (shutting_down_) {
    Reject(id, 503, "Shutting Down");
    return std::nullopt;
  }
  // A trunk's call goes by the dial plan (call_trunk_calls.cc).
  std::optional<InboundRoute> route = RouteInbound(id, invite, source);
  if (!route) return std::nullopt;
  if (!CheckRequire(*transactions_, id, invite)) return std::nullopt;
  // A trunk is known by its address; digest is for callers.
  if (route->trunk == nullptr && !Authenticated(id, invite, source)) return std::nullopt;

  // The IVR number, or a room; a room with a PIN is answered by the IVR too.
  const std::string_view user = route->room;
  const bool ivr = route->ivr;
  const RoomConfig* room = ivr ? nullptr : rooms_->Find(user);
  if (room == nullptr && !ivr) {
    LogInfo("call", "no such room").With("call_id", call_id).With("room", user);
    Reject(id, 404, "Room Not Found");
    return std::nullopt;
  }
  const SessionTimerDecision session = DecideSessionTimer(invite, options_.session_timers);
  if (session.reject_min_se > 0) {
    sip::MessageWriter response =
        transactions_->ResponseFor(id, 422, {}, sip::TransactionLayer::NewTag());
    response.Header(HeaderId::kMinSe, StrCat(session.reject_min_se));
    transactions_->Respond(id, 422, std::move(response).Finish());
    return std::nullopt;
  }
  // A locked room may still take its moderators, who prove it by PIN.
  if (room != nullptr && room->locked && room->moderator_pin.empty()) {
    LogInfo("call", "room locked").With("call_id", call_id).With("room", room->name);
    Reject(id, 403, "Room Locked");
    return std::nullopt;
  }
  const SourceIp source_ip = SourceIp::From(source.address);
  if (const Refusal refusal = overload_->AdmitCall(active_calls(), source_ip, timers_->Now());
      refusal != Refusal::kNone) {
    // A stranger can have this said as often as it calls: capped.
    static LogRateLimit limit_log(5, 20);
    if (uint64_t held = 0; limit_log.Allow(&held)) {
      LogWarn("call", "call limit reached")
          .With("call_id", call_id)
          .With("calls", active_calls())
          .With("from", source.address.ip())
          .With("limit", RefusalName(refusal))
          .With("suppressed", held);
    }
    Reject(id, 503,
           refusal == Refusal::kCalls ? "Call Limit Reached" : "Too Many Calls From Source");
    return std::nullopt;
  }
  // A member's file offer takes no seat (call_chat_legs.cc).
  if (room != nullptr && presence_.Full(*room) && !OffersFile(invite)) {
    Reject(id, 486, "Room Full");
    return std::nullopt;
  }
  return Admission{room, session, route->trunk, std::move(route->called_number)};
}

std::unique_ptr<CallController::Call> CallController::NewCall(TransactionId id,
                                                              const SipMessage& invite,
                                                              const sip::MessageSource& source,
                                                              const RoomConfig* room) {
  const bool asks_pin = room != nullptr && (!room->pin.empty() || !room->moderator_pin.empty());
  auto call = std::make_unique<Call>();
  call->id = next_call_id_++;
  call->member.id = call->id;
  if (room == nullptr || asks_pin) {
    // The caller talks to the IVR in a lobby of its own until it is let in.
    call->dial_in = std::make_unique<DialIn>(options_.dial_in, SourceKey(source.address),
                                             asks_pin ? room->name : std::string());
  } else {
    call->room = room->name;
  }
  call->from_uri = std::string(invite.from().uri_text);
  call->from_display_name = std::string(invite.from().display_name);
  call->accepts_cpim = AcceptsCpim(invite);  // how room messages reach it (call_messages.cc)
  call->wall_started = absl::Now();
  call->call_id = std::string(invite.call_id());
  call->media = MediaLeg(media_, call->id,
                         call->dial_in ? next_lobby_id_++ : rooms_->ConferenceId(room->name),
                         options_.dtls_context, call->call_id);
  call->source = source;
  call->initial_invite = id;
  call->started = timers_->Now();
  // Without an offer to go by, we offer in the family the caller reached us
  // in, where we have media in it (TakeOffer picks the offer's family).
  const std::optional<media::Endpoint> caller = media::ParseEndpoint(source.address.ip(), 0);
  if (caller && !options_.media.For(caller->family()).empty()) {
    call->media_family = caller->family();
  }
  call->local_media.address = options_.media.For(call->media_family);
  // The IVR cannot know the room yet: it takes [media] audio_codecs.
  call->local_media.codecs =
      sdp::AudioCodecsNamed(room != nullptr ? room->codecs : options_.audio_codecs);
  absl::BitGen bitgen;
  call->local_media.session_id = absl::Uniform<uint32_t>(bitgen);
  call->local_media.session_version = 1;
  // The IVR's lobby takes the default policy; EnterRoom checks the room's.
  call->local_media.security =
      SecurityFor(room != nullptr ? room->srtp : std::string(), options_.srtp_default,
                  source.transport, options_.sdes_over_plain_sip);
  call->local_media.security.dtls_fingerprint = options_.dtls_fingerprint;
  SetVideoChoices(*call);
  SetChatChoice(*call);
  return call;
}

bool CallController::TakeOffer(TransactionId id, const SipMessage& invite, Call& call,
                               const RoomConfig* room) {
  if (invite.body().empty()) {
    if (call.local_media.security.policy == sdp::SrtpPolicy::kRequired &&
        !call.local_media.security.sdes_allowed) {
      // We would have to offer, and keys cannot go in our offer over this transport.
      Reject(id, 488, "Not Acceptable Here",
             "SRTP required: SDES keys are only sent over TLS; offer DTLS-SRTP");
      return false;
    }
    return true;
  }
  if (!IsSdp(invite.content_type())) {
    Reject(id, 415, "Unsupported Media Type");
    return false;
  }
  auto offer = sdp::ParseSdp(invite.body());
  if (!offer.ok()) {
    LogInfo("call", "malformed SDP offer")
        .With("call_id", call.call_id)
        .With("error", std::string(offer.status().message()));
    Reject(id, 400, StrCat("Malformed SDP: ", offer.status().message()));
    return false;
  }
  // Negotiate before binding ports, so a 488 costs no socket; the trial
  // answer says which video streams get a pair.
  auto answer = sdp::AnswerOffer(*offer, WithVideoPlaceholders(call, call.local_media));
  if (!answer.ok()) {
    LogInfo("call", answer.status().code() == absl::StatusCode::kPermissionDenied
                        ? "media address refused"
                        : "no common codec")
        .With("call_id", call.call_id)
        .With("room", room != nullptr ? room->name : std::string(invite.request_uri().user))
        .With("why", std::string(answer.status().message()));
    Reject(id, 488, "Not Acceptable Here", std::string(answer.status().message()),
           sdp::WarnCodeFor(answer.status()));
    return false;
  }
  if (!TakeChatOffer(id, invite, *offer, call, &*answer)) return false;
  call.chat_only = !answer->has_audio;
  // Our c= is of the offer's family: refused where we have no media in it.
  absl::StatusOr<media::IpFamily> family =
      call.chat_only ? call.media_family
                     : MediaFamilyFor(answer->audio.remote_address, options_.media, std::nullopt);
  if (!family.ok()) {
    LogInfo("call", "media address refused")
        .With("call_id", call.call_id)
        .With("remote_media", answer->audio.remote_address)
        .With("why", std::string(family.status().message()));
    Reject(id, 488, "Not Acceptable Here", std::string(family.status().message()),
           kIncompatibleAddressWarnCode);
    return false;
  }
  call.media_family = *family;
  call.local_media.address = options_.media.For(*family);
  call.remote_offer = std::move(*offer);
  call.wants_video = answer->video.has_value();
  call.wants_slides = answer->slides.has_value();
  return true;
}

void CallController::OnInvite(TransactionId id, const SipMessage& invite,
                              const sip::MessageSource& source) {
  const std::optional<Admission> admitted = AdmitInvite(id, invite, source);
  if (!admitted) return;
  const RoomConfig* room = admitted->room;
  std::unique_ptr<Call> call = NewCall(id, invite, source, room);
  if (admitted->trunk != nullptr) TakeTrunkCaller(*call, invite, *admitted);
  if (!TakeOffer(id, invite, *call, room)) return;
  const std::string& call_id = call->call_id;
  if (!call->chat_only) {  // a chat or file call has no RTP
    if (!AdmitMediaLoad(id, *call)) return;
    auto ports = ports_->Allocate(call->media_family);
    if (!ports.ok()) {
      LogError("call", "no media port")
          .With("call_id", call_id)
          .With("error", ports.status().ToString());
      return Reject(id, 503, "No Media Ports");
    }
    call->local_media.rtp_port = ports->rtp_port();
    call->media.set_ports(std::move(*ports));
    // Without an offer we offer a camera stream where the room shows video.
    if (!call->remote_offer) call->wants_video = WhyNoVideo(*call).empty();
    BindVideoPorts(*call, &call->local_media, call->wants_video, call->wants_slides);
  }
  if (!AdmitTrunkLimits(id, *call)) return;
  const uint64_t key = call->id;
  call->session = std::make_unique<InviteSession>(
      transactions_, timers_, &session_options_,
      sip::Dialog::FromInvite(invite, source, sip::TransactionLayer::NewTag(), options_.local),
      source, id, admitted->session, call_id,
      [this, key](std::string_view bye_why, std::string_view end_why) {
        WithCall(key, [&](Call& failed) {
          SendBye(failed, bye_why);
          EndCall(key, end_why);
        });
      });
  ChooseProvisionals(*call, invite);
  by_dialog_.emplace(call->session->dialog().id(), key);
  by_invite_.emplace(id, key);
  Call& added = *calls_.emplace(key, std::move(call)).first->second;
  if (!added.room.empty() && !added.file_call) presence_.Take(added.room);
  overload_->CallStarted(key, SourceIp::From(source.address), timers_->Now());

  if (options_.answer_delay > absl::ZeroDuration()) {
    added.session->Ring(options_.answer_delay, [this, key] { Answer(key); });
    return;
  }
  Answer(key);
}

void CallController::Answer(uint64_t key) {
  WithCall(key, [&](Call& call) {
    std::string body;
    std::vector<sdp::DeclinedStream> declined;
    if (call.remote_offer) {
      // The room's codec lock may have changed while it rang.
      SetVideoChoices(call);
      auto answer = sdp::AnswerOffer(*call.remote_offer, call.local_media);
      if (!answer.ok()) {  // cannot happen: the same offer was accepted before the ports
        Reject(call.session->invite_transaction(), 488, "Not Acceptable Here");
        EndCall(key, "no common codec");
        return;
      }
      if (answer->has_audio) call.audio = answer->audio;
      TakeVideo(call, std::move(answer->video), std::move(answer->slides));
      // Registered before the 2xx goes: the peer may connect at once.
      TakeChat(call, std::move(answer->chat));
      body = sdp::WriteSdp(answer->answer);
      declined = std::move(answer->declined);
    } else {
      call.our_offer = sdp::MakeOffer(call.local_media);
      body = sdp::WriteSdp(*call.our_offer);
    }
    SendAnswer(call, body);

    LogInfo("call", call.session->early_media() ? "call in early media" : "call answered")
        .With("call_id", call.call_id)
        .With("room", call.room)
        .With("from", call.source.address.ToString())
        .With("transport", sip::TransportName(call.source.transport))
        .With("rtp_port", call.local_media.rtp_port)
        .With("codec", call.audio       ? sdp::AudioCodecName(call.audio->codec)
                       : call.chat_only ? "none"
                                        : "offered")
        .With("chat", call.chat ? (call.chat->negotiated.file ? "file" : "chat") : "none")
        .With("video", call.video ? VideoCodecText({call.video->codec, call.video->fmtp})
                       : call.audio || call.chat_only ? std::string("none")
                                                      : std::string("offered"))
        .With("video_port", call.local_media.video_rtp_port)
        .With("slides_port", call.local_media.slides_rtp_port)
        .With("media_encryption", call.audio ? EncryptionName(*call.audio) : "offered")
        .With("remote_media",
              call.audio ? MediaAddressText(call.audio->remote_address, call.audio->remote_rtp_port)
                         : std::string("pending"));
    LogDeclinedStreams(call.call_id, call.room, declined);

    // Media flows as soon as the caller has our answer; when we offered, the
    // ACK brings the answer and the join happens there. A chat-only member
    // is in the room at once; a file call never is.
    if (call.audio) JoinMedia(call);
    if (call.chat_only && !call.file_call) OnEnteredRoom(call);
  });
}

void CallController::OnReInvite(Call& call, TransactionId id, const SipMessage& invite) {
  if (!call.session->AcceptInDialog(id, invite)) return;
  if (!call.session->StartReInvite(id, invite)) return;

  ++call.local_media.session_version;
  // Streams keep their codecs; a stream it adds takes the room's.
  SetVideoChoices(call);
  SetChatChoice(call);
  std::string body;
  if (!invite.body().empty()) {
    std::optional<sdp::AnswerResult> answer = AnswerReOffer(call, id, invite);
    if (!answer) return;  // refused: the session as it was (§14.2)
    body = sdp::WriteSdp(answer->answer);
    call.our_offer.reset();
    if (answer->has_audio) {
      ApplyMedia(call, answer->audio, std::move(answer->video), std::move(answer->slides));
    }
    TakeChat(call, std::move(answer->chat));
  } else if (call.chat_only) {
    // Our offer would be audio: a chat or file call must offer its stream.
    Reject(id, 488, "Not Acceptable Here", "a chat-only call's re-INVITE must carry its offer");
    return;
  } else {
    sdp::LocalMedia local = call.local_media;
    if (call.audio) local.codecs = {call.audio->codec};
    // An offer of ours starts a new SDES context both ways.
    media::RandomBytes(local.security.fresh_key);
    media::RandomBytes(local.security.fresh_video_key);
    media::RandomBytes(local.security.fresh_slides_key);
    call.our_offer = sdp::MakeOffer(local);
    body = sdp::WriteSdp(*call.our_offer);
    // Our offer has no chat line: the chat stream ends as our SDP says.
    EndChat(call);
  }
  call.session->AnswerReInvite(id, invite, body);
}

std::optional<sdp::AnswerResult> CallController::AnswerReOffer(Call& call, TransactionId id,
                                                               const SipMessage& invite) {
  if (!IsSdp(invite.content_type())) {
    Reject(id, 415, "Unsupported Media Type");
    return std::nullopt;
  }
  auto offer = sdp::ParseSdp(invite.body());
  if (!offer.ok()) {
    Reject(id, 400, StrCat("Malformed SDP: ", offer.status().message()));
    return std::nullopt;
  }
  // A re-INVITE may move, hold or resume the stream; it keeps its codec
  // unless the offer drops it (call_trunk_calls.cc: ReOfferCodecs).
  sdp::LocalMedia local = call.local_media;
  // The SDES contexts in use are kept if the offer repeats them; anything
  // new gets a fresh key of ours.
  media::RandomBytes(local.security.fresh_key);
  media::RandomBytes(local.security.fresh_video_key);
  media::RandomBytes(local.security.fresh_slides_key);
  if (call.audio) local.security.current = call.audio->sdes;
  local.security.current_video = call.video ? call.video->sdes : std::nullopt;
  local.security.current_slides = call.slides ? call.slides->sdes : std::nullopt;
  if (call.dial_in) local.chat.reset();  // no chat before the room is known
  local.codecs = ReOfferCodecs(call, *offer, local);
  // A trial answer first: it says which added streams need a pair.
  auto answer =
      sdp::AnswerOffer(*offer, WithVideoPlaceholders(call, local), sdp::OfferKind::kReOffer);
  if (answer.ok() && answer->has_audio == call.chat_only) {
    // A call's audio leg is made with the call: a chat-only call gets none
    // later (no ports), a call with audio does not lose it.
    answer = absl::FailedPreconditionError(call.chat_only
                                               ? "a chat-only call cannot add audio; call again"
                                               : "a re-INVITE cannot remove the audio stream");
  }
  if (!answer.ok()) {
    Reject(id, 488, "Not Acceptable Here", std::string(answer.status().message()),
           sdp::WarnCodeFor(answer.status()));
    return std::nullopt;
  }
  if (call.chat_only) return std::move(*answer);  // no RTP: nothing to bind or move
  // The call's ports are bound in its family: the media cannot move to the other.
  if (absl::StatusOr<media::IpFamily> family =
          MediaFamilyFor(answer->audio.remote_address, options_.media, call.media_family);
      !family.ok()) {
    Reject(id, 488, "Not Acceptable Here", std::string(family.status().message()),
           kIncompatibleAddressWarnCode);
    return std::nullopt;
  }
  const bool added_camera = answer->video && local.video_rtp_port == 0;
  const bool added_slides = answer->slides && local.slides_rtp_port == 0;
  if (added_camera || added_slides) {
    BindVideoPorts(call, &local, added_camera, added_slides);
    answer = sdp::AnswerOffer(*offer, local, sdp::OfferKind::kReOffer);  // with the real ports
    if (!answer.ok()) {  // cannot happen: the trial took the same offer
      Reject(id, 488, "Not Acceptable Here");
      return std::nullopt;
    }
  }
  call.local_media.video_rtp_port = local.video_rtp_port;
  call.local_media.slides_rtp_port = local.slides_rtp_port;
  return std::move(*answer);
}

void CallController::ApplyMedia(Call& call, const sdp::NegotiatedAudio& audio,
                                std::optional<sdp::NegotiatedVideo> camera,
                                std::optional<sdp::NegotiatedVideo> slides) {
  const bool was_held = call.audio && (call.audio->direction == sdp::Direction::kRecvOnly ||
                                       call.audio->direction == sdp::Direction::kInactive);
  const bool held =
      audio.direction == sdp::Direction::kRecvOnly || audio.direction == sdp::Direction::kInactive;
  if (held != was_held) {
    LogInfo("call", held ? "call held" : "call resumed")
        .With("call_id", call.call_id)
        .With("room", call.room);
  }
  const bool had_video = call.video.has_value();
  call.audio = audio;
  // Hold and resume flip every stream; a stream added comes with its pair.
  TakeVideo(call, std::move(camera), std::move(slides));
  if (had_video != call.video.has_value()) {
    LogInfo("call", call.video ? "video added" : "video removed")
        .With("call_id", call.call_id)
        .With("room", call.room);
  }
  UpdateMedia(call);
  if (held != was_held) RosterChanged(call, RoomSubscriptions::Change::kRoster);
}

void CallController::OnAck(const SipMessage& ack, const sip::MessageSource& source) {
  control_thread_.Check();
  (void)source;
  Call* call = FindByDialog(ack);
  if (call == nullptr) {
    LogDebug("call", "stray ACK").With("call_id", ack.call_id());
    return;
  }
  if (!call->session->OnAck(ack)) return;  // retransmitted or late: nothing to confirm

  if (call->our_offer) {
    // We offered in the 2xx; the ACK must carry the answer (RFC 3264 §4, RFC 3261 §13.2.1).
    absl::StatusOr<sdp::AcceptedAnswer> accepted =
        absl::FailedPreconditionError("ACK carries no SDP answer");
    if (!ack.body().empty() && IsSdp(ack.content_type())) {
      if (auto answer = sdp::ParseSdp(ack.body()); answer.ok()) {
        accepted = sdp::AcceptAnswer(*call->our_offer, *answer);
        if (accepted.ok()) {
          if (absl::StatusOr<media::IpFamily> family = MediaFamilyFor(
                  accepted->audio.remote_address, options_.media, call->media_family);
              !family.ok()) {
            accepted = family.status();
          }
        }
      } else {
        accepted = answer.status();
      }
    }
    call->our_offer.reset();
    if (!accepted.ok()) {
      // §13.3.1.4: an unacceptable answer in the ACK ends the session with BYE.
      LogInfo("call", "unacceptable answer in ACK, ending call")
          .With("call_id", call->call_id)
          .With("why", std::string(accepted.status().message()));
      const uint64_t key = call->id;
      SendBye(*call, "bad answer");
      EndCall(key, "unacceptable SDP answer in ACK");
      return;
    }
    if (call->media.joined()) {
      ApplyMedia(*call, accepted->audio, std::move(accepted->video), std::move(accepted->slides));
    } else {
      call->audio = std::move(accepted->audio);
      TakeVideo(*call, std::move(accepted->video), std::move(accepted->slides));
      JoinMedia(*call);
    }
  }
  LogDebug("call", "call confirmed").With("call_id", call->call_id);
}

void CallController::OnCancel(TransactionId invite_id) {
  control_thread_.Check();
  auto it = by_invite_.find(invite_id);
  if (it == by_invite_.end()) return;
  const uint64_t key = it->second;
  if (!calls_.at(key)->session->OnCancel()) return;
  EndCall(key, "cancelled by caller");
}

void CallController::OnBye(TransactionId id, const SipMessage& bye) {
  Call* call = FindByDialog(bye);
  if (call == nullptr && OnFileOfferBye(id, bye)) return;  // a dialog we started
  if (call == nullptr) return Reject(id, 481, "Call/Transaction Does Not Exist");
  if (!call->session->AcceptInDialog(id, bye)) return;
  call->session->OnBye(id);
  EndCall(call->id, "caller hung up");
}

void CallController::OnInfo(TransactionId id, const SipMessage& info) {
  Call* call = FindByDialog(info);
  if (call == nullptr) return Reject(id, 481, "Call/Transaction Does Not Exist");
  if (!call->session->AcceptInDialog(id, info)) return;
  transactions_->Respond(id, 200, transactions_->ResponseFor(id, 200).Finish());
  if (std::optional<char> digit = DigitFromInfo(info.content_type(), info.body())) {
    OnDigit(*call, *digit, "info");
  }
}

void CallController::OnUpdate(TransactionId id, const SipMessage& update) {
  Call* call = FindByDialog(update);
  if (call == nullptr) return Reject(id, 481, "Call/Transaction Does Not Exist");
  if (!call->session->AcceptInDialog(id, update)) return;
  call->session->OnUpdate(id, update);
}

void CallController::OnOptions(TransactionId id, const SipMessage& options,
                               const sip::MessageSource& source) {
  // RFC 3261 §11.2: answer as an INVITE would be answered, so an unknown room
  // is 404; the bare server URI (no user) is the usual keep-alive ping. A
  // trunk pings with whatever URI it likes (its DIDs too): 200.
  const std::string_view user = options.request_uri().user;
  if (options.to().tag.empty() && !user.empty() && rooms_->Find(user) == nullptr &&
      TrunkOf(source) == nullptr) {
    return Reject(id, 404, "Room Not Found");
  }
  const int status = shutting_down_ ? 503 : 200;
  sip::MessageWriter response =
      transactions_->ResponseFor(id, status, {}, sip::TransactionLayer::NewTag());
  response.Header(HeaderId::kAllow, server_.allowed_methods);
  response.Header("Allow-Events", kConferencePackage);
  response.Header(HeaderId::kAccept, kSdpType);
  response.Header("Accept-Encoding", "identity");
  response.Header("Accept-Language", "en");
  // RFC 3261 §11.2: OPTIONS answers list what an INVITE's answer would support.
  response.Header(HeaderId::kSupported, kSupportedExtensions);
  response.Header(HeaderId::kServer, options_.user_agent);
  if (shutting_down_) response.Header(HeaderId::kRetryAfter, StrCat(options_.retry_after_s));
  transactions_->Respond(id, status, std::move(response).Finish());
}

void CallController::SendBye(Call& call, std::string_view why) {
  if (call.ringing()) {
    // RFC 3261 §15: the callee sends no BYE in an early dialog (an IVR in
    // early media saying goodbye): the INVITE is refused instead.
    call.session->RefuseInvite(480, "Temporarily Unavailable");
    return;
  }
  ++byes_in_flight_;
  call.session->SendBye(why, [this, call_id = call.call_id](const SipMessage* response) {
    if (response != nullptr && response->status_code() < 200) return;
    if (response == nullptr) LogInfo("call", "BYE unanswered").With("call_id", call_id);
    --byes_in_flight_;
    MaybeFinishShutdown();
  });
}

void CallController::EndCall(uint64_t key, std::string_view why) {
  auto it = calls_.find(key);
  if (it == calls_.end()) return;
  Call& call = *it->second;
  // Its own timers (digits, a held answer, goodbye) end with it.
  LogInfo("call", "call ended")
      .With("call_id", call.call_id)
      .With("room", call.room)
      .With("why", why)
      .With("seconds", absl::ToDoubleSeconds(timers_->Now() - call.started));
  EndChat(call);
  if (call.member.in_room) {
    Publish("participant_left", call, StrCat("\"why\":\"", why, "\""));
    subscriptions_.Departed(call.room, EndpointOf(call));
    ClearPresenterOf(call);
  }
  // A leg on a worker is recorded when the worker's final counters come.
  if (call.media.Remove()) {
    records_.Departing(call.id, RecordFor(call, why));
  } else {
    records_.Ended(RecordFor(call, why));
  }
  if (call.dial_out) DialOutCallEnded(call, why);
  by_dialog_.erase(call.session->dialog().id());
  by_invite_.erase(call.initial_invite);
  std::unique_ptr<Call> ended = std::move(it->second);
  calls_.erase(it);  // closes the media sockets unless the worker holds them
  overload_->CallEnded(ended->id, SourceIp::From(ended->source.address));
  TrunkCallEnded(*ended);
  if (!ended->room.empty()) {
    if (!ended->file_call) presence_.Free(ended->room);
    video_codecs_.Leave(ended->room, ended->id);  // the last video caller unlocks the codec
  }
  // Those who stay hear it (and may be left alone, or without moderator).
  if (ended->member.in_room) OnLeftRoom(*ended);
}

CallController::Call* CallController::FindByDialog(const SipMessage& request) {
  auto it = by_dialog_.find(sip::IncomingDialogId(request));
  if (it == by_dialog_.end()) return nullptr;
  return calls_.at(it->second).get();
}

void CallController::Shutdown(std::function<void()> done) {
  control_thread_.Check();
  shutting_down_ = true;
  shutdown_done_ = std::move(done);
  std::vector<uint64_t> keys;
  for (const auto& [key, call] : calls_) keys.push_back(key);
  LogInfo("call", "shutting down: ending calls").With("calls", static_cast<int64_t>(keys.size()));
  for (uint64_t key : keys) {
    Call& call = *calls_.at(key);
    if (call.ringing()) {
      call.session->RefuseInvite(503, "Shutting Down", /*retry_after=*/true);
    } else {
      SendBye(call, "server shutting down");
    }
    EndCall(key, "server shutting down");
  }
  subscriptions_.EndAll();
  EndFileOffers();
  EndDialOuts();
  MaybeFinishShutdown();
}

void CallController::JoinMedia(Call& call) {
  if (media_ == nullptr || call.media.joined() || !call.audio) return;
  if (!call.dial_in) {
    call.member.waiting = presence_.MustWait(rooms_->Find(call.room), call.room, call.member);
  }
  if (!call.media.Join(*call.audio, call.muted || call.member.waiting, call.listen_db,
                       call.talk_db)) {
    return;
  }
  LogDebug("media", call.dial_in ? "joined lobby" : "joined room")
      .With("call_id", call.call_id)
      .With("room", call.room)
      .With("worker", call.media.worker_index());
  if (call.dial_in) {
    StartDialIn(call);
  } else if (!call.member.in_room) {  // not let in by INFO keys before the ACK brought its media
    OnEnteredRoom(call);
  }
}

void CallController::UpdateMedia(Call& call) {
  if (call.audio) call.media.Update(*call.audio);
}

void CallController::Publish(std::string_view type, const Call& call, std::string_view extra_json) {
  if (events_ == nullptr) return;
  std::string json = StrCat("{\"room\":", JsonString(call.room), ",\"participant\":", call.id,
                            ",\"call_id\":", JsonString(call.call_id));
  if (call.trunk != nullptr) {
    StrAppend(&json, ",\"caller_number\":", JsonString(call.shown_caller_number()));
  }
  if (!extra_json.empty()) StrAppend(&json, ",", extra_json);
  json.push_back('}');
  events_->Publish(std::string(type), json);
}

CallRecord CallController::RecordFor(const Call& call, std::string_view why) const {
  CallRecord record;
  record.call_id = call.call_id;
  // A caller who never got past the IVR is in no room, but the one it asked
  // for tells the operator what went wrong where.
  record.room = call.room.empty() && call.dial_in ? call.dial_in->room_asked() : call.room;
  record.from = call.from_uri;
  record.codec = call.audio ? std::string(sdp::AudioCodecName(call.audio->codec)) : "";
  record.started = call.wall_started;
  record.answered = call.answered;
  record.ended = absl::Now();
  record.why = std::string(why);
  if (call.trunk != nullptr) {
    record.trunk = call.trunk->name;
    record.called_number = call.called_number;
    record.caller_number = call.caller_number;
    record.caller_withheld = call.caller_withheld;
  }
  AddStats(call.media.stats(), &record);
  if (call.dial_out) AddDialOutRecord(call, &record);
  return record;
}

const media::Prompt* CallController::PromptNamed(std::string_view name) const {
  const int index = prompts_ ? prompts_->Find(name) : -1;
  return index < 0 ? nullptr : &prompts_->at(index);
}

void CallController::MaybeFinishShutdown() {
  if (!shutting_down_ || byes_in_flight_ > 0 || !shutdown_done_) return;
  // Subscribers hear that their subscriptions end (or those NOTIFYs time out).
  if (subscriptions_.notifies_in_flight() > 0) return;
  std::function<void()> done = std::move(shutdown_done_);
  shutdown_done_ = nullptr;
  done();
}

}  // namespace tutti
