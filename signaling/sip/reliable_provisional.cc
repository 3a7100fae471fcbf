#include "signaling/sip/reliable_provisional.h"

#include <vector>

#include "common/strings.h"
#include "signaling/sip/sip_grammar.h"

namespace tutti::sip {
namespace {

constexpr std::string_view k100rel = "100rel";
// RFC 3262 §7.1/§7.2: response-num and CSeq-num are 1*DIGIT below 2**32;
// RSeq values start below 2**31 (§3) and we take nothing larger.
constexpr uint32_t kMaxSequence = 0xFFFFFFFFu;

// The parser hands list headers (Supported, Require) over one element per
// HeaderField; a peer may still send "100rel ;x" or odd case.
bool Lists100rel(const SipMessage& message, HeaderId id) {
  for (const HeaderField& field : message.headers()) {
    if (field.id != id) continue;
    std::string_view tag = StripWhitespace(field.value);
    tag = tag.substr(0, tag.find(';'));
    if (EqualsIgnoreCase(StripWhitespace(tag), k100rel)) return true;
  }
  return false;
}

}  // namespace

bool Supports100rel(const SipMessage& message) {
  return Lists100rel(message, HeaderId::kSupported) || Lists100rel(message, HeaderId::kRequire);
}

bool Requires100rel(const SipMessage& message) { return Lists100rel(message, HeaderId::kRequire); }

std::optional<uint32_t> RSeqOf(const SipMessage& response) {
  const HeaderField* field = response.FindHeader("RSeq");
  if (field == nullptr) return std::nullopt;
  std::optional<uint32_t> rseq =
      grammar::ParseDecimal<uint32_t>(StripWhitespace(field->value), kMaxSequence);
  if (!rseq || *rseq == 0) return std::nullopt;
  return rseq;
}

std::optional<RAck> ParseRAck(std::string_view value) {
  // RAck = response-num LWS CSeq-num LWS Method
  std::vector<std::string_view> parts;
  for (std::string_view part : SplitNonEmpty(StripWhitespace(value), ' ')) {
    for (std::string_view piece : SplitNonEmpty(part, '\t')) parts.push_back(piece);
  }
  if (parts.size() != 3) return std::nullopt;
  std::optional<uint32_t> rseq = grammar::ParseDecimal<uint32_t>(parts[0], kMaxSequence);
  std::optional<uint32_t> cseq = grammar::ParseDecimal<uint32_t>(parts[1], kMaxSequence);
  if (!rseq || !cseq || !grammar::IsToken(parts[2])) return std::nullopt;
  return RAck{*rseq, *cseq, std::string(parts[2])};
}

std::string RAckValue(uint32_t rseq, uint32_t invite_cseq) {
  return StrCat(rseq, " ", invite_cseq, " INVITE");
}

}  // namespace tutti::sip
