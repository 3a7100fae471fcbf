// libFuzzer target for the RTP parser and the receive statistics fed by it.
// Checks that every view the parser returns lies inside the input (header
// extension elements too), and that what the media worker takes for STUN
// (RFC 7983) never parses as RTP.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "mediaplane/rtp/receive_statistics.h"
#include "mediaplane/rtp/rtp_packet.h"
#include "mediaplane/rtp/stun_message.h"

namespace {

bool Inside(std::span<const uint8_t> part, std::span<const uint8_t> whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static tutti::media::ReceiveStatistics stats;
  const std::span<const uint8_t> packet(data, size);
  std::optional<tutti::media::RtpView> view = tutti::media::ParseRtp(packet);
  if (tutti::media::IsStunMessage(packet) && view) std::abort();
  if (!view) return 0;
  if (!Inside(view->payload, packet) || !Inside(view->extension, packet)) std::abort();
  for (int i = 0; i < view->csrc_count; ++i) (void)view->Csrc(i);
  // Header extension elements (RFC 8285) under every id the byte can name:
  // each found element lies inside the extension block.
  for (int id = 0; id <= 256; id += (id < 16 ? 1 : 17)) {
    if (!Inside(tutti::media::FindHeaderExtension(*view, id), view->extension)) std::abort();
  }
  if (const std::optional<tutti::media::AudioLevel> level =
          tutti::media::FindAudioLevel(*view, data[0] & 0x0f)) {
    if (level->level > 127) std::abort();
  }
  stats.Update(view->sequence, view->timestamp, view->timestamp + size);
  (void)stats.MakeReportBlock(view->ssrc);
  return 0;
}
