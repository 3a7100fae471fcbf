// libFuzzer target for the SDP parser and offer/answer. Whatever parses must
// survive WriteSdp -> ParseSdp with the same media lines, and answering it
// must either fail cleanly or produce an answer that parses too.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "signaling/sdp/offer_answer.h"
#include "signaling/sdp/session_description.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tutti::sdp::SessionDescription> parsed = tutti::sdp::ParseSdp(text);
  if (!parsed.ok()) return 0;
  absl::StatusOr<tutti::sdp::SessionDescription> again =
      tutti::sdp::ParseSdp(tutti::sdp::WriteSdp(*parsed));
  if (!again.ok() || again->media.size() != parsed->media.size()) std::abort();
  for (size_t i = 0; i < parsed->media.size(); ++i) {
    if (again->media[i].port != parsed->media[i].port ||
        again->media[i].formats != parsed->media[i].formats) {
      std::abort();
    }
  }
  const tutti::sdp::LocalMedia local{
      "192.0.2.10",
      20000,
      {tutti::sdp::AudioCodec::kOpus, tutti::sdp::AudioCodec::kPcmu, tutti::sdp::AudioCodec::kPcma},
      1,
      1,
      20};
  absl::StatusOr<tutti::sdp::AnswerResult> answer = tutti::sdp::AnswerOffer(*parsed, local);
  if (answer.ok() && !tutti::sdp::ParseSdp(tutti::sdp::WriteSdp(answer->answer)).ok()) std::abort();
  return 0;
}
