// Packet loss concealment for codecs without one of their own (G.711,
// G.722): the last good frame repeated at falling gain (a simple form of
// G.711 Appendix I), so a single loss is bridged without a click and a long
// gap goes quiet. Holds one frame, reserved up front: nothing allocates per
// frame.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace tutti::media {

class FadeConcealer {
 public:
  explicit FadeConcealer(int frame_samples) { last_.reserve(static_cast<size_t>(frame_samples)); }

  // A frame that was decoded: the one to repeat if the next is lost.
  void Remember(std::span<const int16_t> pcm) {
    last_.assign(pcm.begin(),
                 pcm.begin() + static_cast<std::ptrdiff_t>(std::min(pcm.size(), last_.capacity())));
    concealed_ = 0;
  }

  // Writes the next lost frame; returns the samples written.
  int Conceal(std::span<int16_t> pcm) {
    const size_t samples = std::min(pcm.size(), last_.size());
    // Gains 3/4, 2/4, 1/4, then silence.
    const int gain = std::max(0, 3 - concealed_);
    for (size_t i = 0; i < samples; ++i) pcm[i] = static_cast<int16_t>(last_[i] * gain / 4);
    ++concealed_;
    return static_cast<int>(samples);
  }

 private:
  std::vector<int16_t> last_;
  int concealed_ = 0;
};

}  // namespace tutti::media
