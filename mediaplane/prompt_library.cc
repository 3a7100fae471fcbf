#include "mediaplane/prompt_library.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "mediaplane/codec/resampler.h"

namespace tutti::media {
namespace {

uint32_t Le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// Whole-buffer conversion in 20 ms steps (the resampler's frame size).
std::vector<int16_t> Resample(const std::vector<int16_t>& in, int from, int to) {
  if (from == to) return in;
  Resampler resampler(from, to);
  std::vector<int16_t> out;
  out.reserve(in.size() * static_cast<size_t>(to) / static_cast<size_t>(from) + 16);
  const size_t step = static_cast<size_t>(from / 50);
  std::vector<int16_t> chunk(static_cast<size_t>(to / 50) + 8);
  for (size_t start = 0; start < in.size(); start += step) {
    const size_t length = std::min(step, in.size() - start);
    const int produced =
        resampler.Process(std::span<const int16_t>(in.data() + start, length), chunk);
    out.insert(out.end(), chunk.begin(), chunk.begin() + produced);
  }
  return out;
}

Prompt MakePrompt(std::string name, const std::vector<int16_t>& pcm, int rate) {
  Prompt prompt;
  prompt.name = std::move(name);
  prompt.pcm_48k = Resample(pcm, rate, 48000);
  prompt.pcm_16k = Resample(pcm, rate, 16000);
  prompt.pcm_8k = Resample(pcm, rate, 8000);
  return prompt;
}

}  // namespace

absl::StatusOr<std::pair<std::vector<int16_t>, int>> ReadWav(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError("cannot open " + path);
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || std::string(bytes.begin(), bytes.begin() + 4) != "RIFF" ||
      std::string(bytes.begin() + 8, bytes.begin() + 12) != "WAVE") {
    return absl::InvalidArgumentError(path + ": not a RIFF/WAVE file");
  }
  int channels = 0, rate = 0, bits = 0;
  size_t offset = 12;
  while (offset + 8 <= bytes.size()) {
    const std::string id(bytes.begin() + static_cast<std::ptrdiff_t>(offset),
                         bytes.begin() + static_cast<std::ptrdiff_t>(offset) + 4);
    const size_t size = Le32(&bytes[offset + 4]);
    const size_t body = offset + 8;
    if (body + size > bytes.size() && id != "data") break;
    if (id == "fmt " && size >= 16) {
      if (Le16(&bytes[body]) != 1) return absl::InvalidArgumentError(path + ": not PCM");
      channels = Le16(&bytes[body + 2]);
      rate = static_cast<int>(Le32(&bytes[body + 4]));
      bits = Le16(&bytes[body + 14]);
    } else if (id == "data") {
      if (bits != 16 || channels < 1 || rate < 8000 || rate > 48000 || rate % 50 != 0) {
        return absl::InvalidArgumentError(path + ": need 16-bit PCM at 8-48 kHz");
      }
      const size_t available = std::min(size, bytes.size() - body);
      const size_t frames = available / (2 * static_cast<size_t>(channels));
      std::vector<int16_t> pcm(frames);
      for (size_t i = 0; i < frames; ++i) {
        int32_t sum = 0;
        for (int c = 0; c < channels; ++c) {
          sum += static_cast<int16_t>(Le16(&bytes[body + 2 * (i * channels + c)]));
        }
        pcm[i] = static_cast<int16_t>(sum / channels);
      }
      return std::make_pair(std::move(pcm), rate);
    }
    offset = body + size + (size & 1);
  }
  return absl::InvalidArgumentError(path + ": no data chunk");
}

absl::StatusOr<std::shared_ptr<const PromptLibrary>> PromptLibrary::Load(
    const std::string& directory) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) {
    return absl::NotFoundError("no prompt directory " + directory);
  }
  auto library = std::make_shared<PromptLibrary>();
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.path().extension() != ".wav") continue;
    absl::StatusOr<std::pair<std::vector<int16_t>, int>> wav = ReadWav(entry.path().string());
    if (!wav.ok()) return wav.status();
    library->prompts_.push_back(MakePrompt(entry.path().stem().string(), wav->first, wav->second));
  }
  std::sort(library->prompts_.begin(), library->prompts_.end(),
            [](const Prompt& a, const Prompt& b) { return a.name < b.name; });
  return std::shared_ptr<const PromptLibrary>(std::move(library));
}

std::shared_ptr<const PromptLibrary> PromptLibrary::FromSamples(
    std::vector<std::pair<std::string, std::vector<int16_t>>> prompts) {
  auto library = std::make_shared<PromptLibrary>();
  for (auto& [name, pcm] : prompts) library->prompts_.push_back(MakePrompt(name, pcm, 48000));
  return library;
}

int PromptLibrary::Find(std::string_view name) const {
  for (size_t i = 0; i < prompts_.size(); ++i) {
    if (prompts_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::string> PromptLibrary::Names() const {
  std::vector<std::string> names;
  for (const Prompt& prompt : prompts_) names.push_back(prompt.name);
  return names;
}

}  // namespace tutti::media
