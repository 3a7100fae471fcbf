// libFuzzer target for the SDP parser and offer/answer, video included.
// Whatever parses must survive WriteSdp -> ParseSdp with the same media
// lines, bandwidth and content, and answering it must either fail cleanly or
// produce an answer that parses too, whose video lines hold the one codec
// negotiated and are never in the clear where the room requires SRTP.
// MSRP lines (chat and RFC 5547 file offers) are answered too; every
// file selector that parses writes back to the same file.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "signaling/sdp/crypto_attribute.h"
#include "signaling/sdp/msrp_offer_answer.h"
#include "signaling/sdp/offer_answer.h"
#include "signaling/sdp/session_description.h"
#include "signaling/sdp/video_fmtp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tutti::sdp::SessionDescription> parsed = tutti::sdp::ParseSdp(text);
  if (!parsed.ok()) return 0;
  absl::StatusOr<tutti::sdp::SessionDescription> again =
      tutti::sdp::ParseSdp(tutti::sdp::WriteSdp(*parsed));
  if (!again.ok() || again->media.size() != parsed->media.size()) std::abort();
  for (size_t i = 0; i < parsed->media.size(); ++i) {
    if (again->media[i].port != parsed->media[i].port ||
        again->media[i].formats != parsed->media[i].formats ||
        again->media[i].bandwidth != parsed->media[i].bandwidth ||
        again->media[i].content != parsed->media[i].content) {
      std::abort();
    }
  }
  // Every a=crypto that parses writes back to the same key; redaction leaves no key.
  for (const tutti::sdp::MediaDescription& media : parsed->media) {
    for (const auto& [name, value] : media.other_attributes) {
      if (name == "crypto") {
        if (auto crypto = tutti::sdp::ParseCryptoAttribute(value)) {
          auto again_crypto =
              tutti::sdp::ParseCryptoAttribute(tutti::sdp::WriteCryptoAttribute(*crypto));
          if (!again_crypto || again_crypto->key != crypto->key) std::abort();
        }
      }
      if (name == "fingerprint") (void)tutti::sdp::ParseFingerprint(value);
      if (name == "file-selector") {
        if (auto file = tutti::sdp::ParseFileSelector(value)) {
          if (tutti::sdp::ParseFileSelector(tutti::sdp::WriteFileSelector(*file)) != file) {
            std::abort();
          }
        }
      }
    }
    // Every fmtp against every codec's rules, as ours and as theirs.
    for (const tutti::sdp::RtpMap& map : media.rtpmaps) {
      for (tutti::media::VideoCodec codec :
           {tutti::media::VideoCodec::kVp8, tutti::media::VideoCodec::kVp9,
            tutti::media::VideoCodec::kH264}) {
        (void)tutti::sdp::AnswerVideoFmtp(codec, map.fmtp, map.fmtp);
        (void)tutti::sdp::AnswerVideoFmtp(codec, map.fmtp, "");
        (void)tutti::sdp::OfferVideoFmtp(codec, map.fmtp);
      }
    }
  }
  (void)tutti::sdp::RedactCryptoKeys(text);
  tutti::sdp::LocalMedia local{
      "192.0.2.10",
      20000,
      {tutti::sdp::AudioCodec::kOpus, tutti::sdp::AudioCodec::kPcmu, tutti::sdp::AudioCodec::kPcma},
      1,
      1,
      20};
  // Every policy, SDES allowed, DTLS-SRTP available.
  local.security.sdes_allowed = true;
  local.security.dtls_fingerprint = {"sha-256", std::vector<uint8_t>(32, 0xab)};
  local.video_rtp_port = 20002;
  local.slides_rtp_port = 20004;
  local.video_codecs = {{tutti::media::VideoCodec::kVp8, ""},
                        {tutti::media::VideoCodec::kH264, "profile-level-id=42e01f"},
                        {tutti::media::VideoCodec::kVp9, "max-fs=3600"}};
  local.video_max_bps = 1'000'000;
  local.chat = tutti::sdp::LocalChat{"msrp://192.0.2.10:2855/fuzzSession;tcp", 2855};
  local.chat->max_size = 1 << 20;
  for (tutti::sdp::SrtpPolicy policy :
       {tutti::sdp::SrtpPolicy::kOff, tutti::sdp::SrtpPolicy::kOptional,
        tutti::sdp::SrtpPolicy::kRequired}) {
    local.security.policy = policy;
    absl::StatusOr<tutti::sdp::AnswerResult> answer = tutti::sdp::AnswerOffer(*parsed, local);
    if (answer.ok() && !tutti::sdp::ParseSdp(tutti::sdp::WriteSdp(answer->answer)).ok()) {
      std::abort();
    }
    if (answer.ok() && answer->has_audio && policy == tutti::sdp::SrtpPolicy::kRequired &&
        !answer->audio.encrypted()) {
      std::abort();  // a required room never answers in the clear
    }
    if (!answer.ok()) continue;
    for (const auto* video : {&answer->video, &answer->slides}) {
      if (!video->has_value()) continue;
      if (policy == tutti::sdp::SrtpPolicy::kRequired && !(*video)->encrypted()) std::abort();
      if (policy == tutti::sdp::SrtpPolicy::kOff && (*video)->encrypted()) std::abort();
    }
    for (const tutti::sdp::MediaDescription& line : answer->answer.media) {
      if (line.media == "video" && line.port != 0 && line.formats.size() != 1) std::abort();
    }
    // Neither audio nor chat is an error, never an empty answer.
    if (!answer->has_audio && !answer->chat) std::abort();
    if (answer->chat && answer->chat->remote_path.empty()) std::abort();
    if (answer->chat && answer->chat->file && answer->chat->file->size > local.chat->max_size) {
      std::abort();
    }
    // Our offer with video, and the fuzzed description read as its answer.
    const tutti::sdp::SessionDescription offer = tutti::sdp::MakeOffer(local);
    if (!tutti::sdp::ParseSdp(tutti::sdp::WriteSdp(offer)).ok()) std::abort();
    (void)tutti::sdp::AcceptAnswer(offer, *parsed);
    // Our file offer, and the fuzzed description read as a member's answer.
    const tutti::sdp::SessionDescription file_offer = tutti::sdp::MakeFileOffer(
        "192.0.2.10", *local.chat, {"a \"b\".txt", "text/plain", 3, "", "", ""}, 7);
    auto accepted = tutti::sdp::AcceptFileAnswer(file_offer, *parsed);
    if (accepted.ok() && (accepted->remote_path.empty() || !accepted->file)) std::abort();
  }
  return 0;
}
