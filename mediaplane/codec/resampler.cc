#include "mediaplane/codec/resampler.h"

#include <speex/speex_resampler.h>

#include <cstdlib>

namespace tutti::media {

Resampler::Resampler(int input_rate, int output_rate, int quality) {
  int error = 0;
  state_ = speex_resampler_init(1, static_cast<spx_uint32_t>(input_rate),
                                static_cast<spx_uint32_t>(output_rate), quality, &error);
  if (state_ == nullptr) std::abort();  // only for invalid arguments, which are ours
  // No speex_resampler_skip_zeros: the filter delay (under 1 ms at this
  // quality) is cheaper than frames that come out short.
}

Resampler::~Resampler() { speex_resampler_destroy(state_); }

int Resampler::Process(std::span<const int16_t> in, std::span<int16_t> out) {
  auto in_length = static_cast<spx_uint32_t>(in.size());
  auto out_length = static_cast<spx_uint32_t>(out.size());
  speex_resampler_process_int(state_, 0, in.data(), &in_length, out.data(), &out_length);
  return static_cast<int>(out_length);
}

}  // namespace tutti::media
