// Pieces of RFC 4975's grammar (§9) that the parser, the writer and the
// URI code share: identifiers, text, tokens, status codes, Byte-Range.
// Internal to tutti_msrp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "signaling/msrp/msrp_message.h"

namespace tutti::msrp {

// ident = ALPHANUM 3*31ident-char: transaction and message ids.
bool IsIdent(std::string_view text);
// token-char of §9 (also what a header name is made of after its first letter).
bool IsTokenChar(char c);
// utf8text: anything but control characters (HTAB allowed).
bool IsText(std::string_view text);
// Three digits, 100..999.
bool ParseStatusCode(std::string_view digits, int* code);
// "start-end/total", end and total "*" when not known; start >= 1, the
// end no more than the total and no less than start - 1 (an empty chunk).
bool ParseByteRange(std::string_view text, ByteRange* range);
std::string FormatByteRange(const ByteRange& range);
// Status: "000 <code> [<comment>]" (the namespace 000 is the only one defined).
bool ParseReportStatus(std::string_view text, int* code, std::string* comment);
// type "/" subtype, then parameters as written.
bool IsMediaType(std::string_view text);

}  // namespace tutti::msrp
