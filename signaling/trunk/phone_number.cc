#include "signaling/trunk/phone_number.h"

#include <string_view>
#include <vector>

#include "common/strings.h"
#include "signaling/sip/header_values.h"
#include "signaling/sip/sip_grammar.h"

namespace tutti::trunk {
namespace {

// E.164 allows 15 digits; carriers prepend routing prefixes, so allow some
// room, but a "number" of hundreds of digits is an attack, not a call.
constexpr size_t kMaxDigits = 32;
// Display names come from strangers: bounded like any other field we keep.
constexpr size_t kMaxDisplayName = 128;

bool IsVisualSeparator(char c) { return c == '-' || c == '.' || c == ' ' || c == '(' || c == ')'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A URI's user part is escaped ("%2B44..."); numbers are read unescaped.
// Nullopt for a broken escape.
std::optional<std::string> Unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

// The digits of `text` (a '+' in front allowed and reported), visual
// separators dropped; nullopt for anything else in it, or no digits at all.
struct Digits {
  std::string digits;
  bool global = false;  // written with a leading '+'
};
std::optional<Digits> DigitsOf(std::string_view text) {
  Digits out;
  text = StripWhitespace(text);
  if (!text.empty() && text.front() == '+') {
    out.global = true;
    text.remove_prefix(1);
  }
  for (char c : text) {
    if (sip::grammar::IsDigit(c)) {
      if (out.digits.size() == kMaxDigits) return std::nullopt;
      out.digits.push_back(c);
    } else if (!IsVisualSeparator(c)) {
      return std::nullopt;
    }
  }
  if (out.digits.empty()) return std::nullopt;
  return out;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return !prefix.empty() && text.substr(0, prefix.size()) == prefix;
}

// A number dialled without '+', as the trunk's rules read it.
std::optional<std::string> CanonicalOfLocal(std::string digits, const NumberRules& rules) {
  if (StartsWith(digits, rules.international_prefix)) {
    digits.erase(0, rules.international_prefix.size());
    if (digits.empty()) return std::nullopt;
    return digits;
  }
  if (!rules.country_code.empty() && StartsWith(digits, rules.national_prefix)) {
    digits.erase(0, rules.national_prefix.size());
    if (digits.empty()) return std::nullopt;
    digits.insert(0, rules.country_code);
    if (digits.size() > kMaxDigits) return std::nullopt;
  }
  return digits;
}

// RFC 3966 §5.1.5: a local number's phone-context. A global one ("+44",
// "+1-212") is the digits the local number follows; a domain name tells us
// nothing we can use, so the number is read by the trunk's rules.
std::optional<std::string> CanonicalInContext(const Digits& local, std::string_view context,
                                              const NumberRules& rules) {
  context = StripWhitespace(context);
  if (context.empty() || context.front() != '+') {
    return CanonicalOfLocal(local.digits, rules);
  }
  const std::optional<Digits> prefix = DigitsOf(context);
  if (!prefix) return std::nullopt;
  std::string digits = local.digits;
  // Carriers write national numbers ("020...") in a "+44" context too.
  if (StartsWith(digits, rules.international_prefix)) {
    return CanonicalOfLocal(std::move(digits), rules);
  }
  if (StartsWith(digits, rules.national_prefix)) digits.erase(0, rules.national_prefix.size());
  digits.insert(0, prefix->digits);
  if (digits.empty() || digits.size() > kMaxDigits) return std::nullopt;
  return digits;
}

// A telephone-subscriber (RFC 3966: "+44-20-7946-0000" or
// "2079460000;phone-context=+44", parameters after the number), as in a tel:
// URI or the user part of a sip: URI.
std::optional<std::string> NumberOfSubscriber(std::string_view subscriber,
                                              const NumberRules& rules) {
  const std::optional<std::string> unescaped = Unescape(subscriber);
  if (!unescaped) return std::nullopt;
  const std::string_view text = *unescaped;
  const size_t semicolon = text.find(';');
  const std::string_view number = text.substr(0, semicolon);
  const std::string_view params =
      semicolon == std::string_view::npos ? std::string_view() : text.substr(semicolon);
  const std::optional<Digits> digits = DigitsOf(number);
  if (!digits) return std::nullopt;
  if (digits->global) return digits->digits;
  if (const std::optional<std::string_view> context = sip::FindParam(params, "phone-context")) {
    return CanonicalInContext(*digits, *context, rules);
  }
  return CanonicalOfLocal(digits->digits, rules);
}

bool IsScheme(const sip::SipUri& uri, std::string_view scheme) {
  return EqualsIgnoreCase(uri.scheme, scheme);
}

// The number a URI holds: a tel: URI's subscriber; a sip:/sips: URI's user
// part when it is a number (;user=phone or not: some carriers leave it off).
std::optional<std::string> NumberOfUri(const sip::SipUri& uri, const NumberRules& rules) {
  if (IsScheme(uri, "tel")) return NumberOfSubscriber(uri.opaque, rules);
  if (!uri.is_sip() || uri.user.empty()) return std::nullopt;
  return NumberOfSubscriber(uri.user, rules);
}

// A display name as a header had it: quotes off, quoted-pairs unescaped,
// control characters dropped, bounded.
std::string CleanDisplayName(std::string_view written) {
  written = StripWhitespace(written);
  if (written.size() >= 2 && written.front() == '"' && written.back() == '"') {
    written = written.substr(1, written.size() - 2);
  }
  std::string out;
  for (size_t i = 0; i < written.size() && out.size() < kMaxDisplayName; ++i) {
    char c = written[i];
    if (c == '\\' && i + 1 < written.size()) c = written[++i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) continue;
    out.push_back(c);
  }
  return std::string(StripWhitespace(out));
}

// Every name-addr of each header named `name`, in order (several headers,
// or one with a comma-separated list: PAI may carry a sip: and a tel: URI).
std::vector<sip::NameAddr> AddressesOf(const sip::SipMessage& message, std::string_view name) {
  std::vector<sip::NameAddr> out;
  constexpr size_t kMaxAddresses = 8;  // RFC 3325 allows two; be lenient, not unbounded
  for (const sip::HeaderField& field : message.headers()) {
    if (!EqualsIgnoreCase(field.name, name)) continue;
    size_t start = 0;
    while (start <= field.value.size() && out.size() < kMaxAddresses) {
      size_t comma = sip::grammar::FindUnquoted(field.value, ',', start);
      if (comma == std::string_view::npos) comma = field.value.size();
      absl::StatusOr<sip::NameAddr> address =
          sip::ParseNameAddr(field.value.substr(start, comma - start));
      if (address.ok()) out.push_back(*address);
      start = comma + 1;
    }
  }
  return out;
}

// RFC 3323 Privacy: "id" asks that the asserted identity not be shown.
bool PrivacyAsksWithheld(const sip::SipMessage& invite) {
  const sip::HeaderField* privacy = invite.FindHeader("Privacy");
  if (privacy == nullptr) return false;
  for (std::string_view value : SplitNonEmpty(privacy->value, ';')) {
    for (std::string_view item : SplitNonEmpty(value, ',')) {
      if (EqualsIgnoreCase(item, "id")) return true;
    }
  }
  return false;
}

bool IsAnonymous(const sip::NameAddr& address) {
  return EqualsIgnoreCase(address.uri.user, "anonymous") ||
         EqualsIgnoreCase(address.uri.host, "anonymous.invalid") ||
         EqualsIgnoreCase(CleanDisplayName(address.display_name), "anonymous");
}

// Remote-Party-ID (draft-ietf-sip-privacy-04, still sent by some carriers):
// the calling party's entry with a number; privacy=full or uri withholds it.
bool CallerFromRpid(const sip::SipMessage& invite, const NumberRules& rules,
                    CallerIdentity& caller) {
  for (const sip::NameAddr& address : AddressesOf(invite, "Remote-Party-ID")) {
    const std::optional<std::string_view> party = address.Param("party");
    if (party && !EqualsIgnoreCase(*party, "calling")) continue;
    std::optional<std::string> number = NumberOfUri(address.uri, rules);
    if (!number) continue;
    caller.number = std::move(*number);
    caller.source = "rpid";
    const std::string_view privacy = address.Param("privacy").value_or("off");
    caller.withheld = EqualsIgnoreCase(privacy, "full") || EqualsIgnoreCase(privacy, "uri");
    if (!EqualsIgnoreCase(privacy, "name")) {
      caller.display_name = CleanDisplayName(address.display_name);
    }
    return true;
  }
  return false;
}

bool CallerFromPai(const sip::SipMessage& invite, const NumberRules& rules,
                   CallerIdentity& caller) {
  const std::vector<sip::NameAddr> asserted = AddressesOf(invite, "P-Asserted-Identity");
  for (const sip::NameAddr& address : asserted) {
    std::optional<std::string> number = NumberOfUri(address.uri, rules);
    if (!number) continue;
    caller.number = std::move(*number);
    caller.source = "pai";
    caller.display_name = CleanDisplayName(address.display_name);
    // A sip: and a tel: entry for one caller: the name may be on either.
    for (const sip::NameAddr& other : asserted) {
      if (!caller.display_name.empty()) break;
      caller.display_name = CleanDisplayName(other.display_name);
    }
    return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> NormalizeNumber(std::string_view dialled, const NumberRules& rules) {
  const std::optional<Digits> digits = DigitsOf(dialled);
  if (!digits) return std::nullopt;
  if (digits->global) return digits->digits;
  return CanonicalOfLocal(digits->digits, rules);
}

std::string FormatNumber(std::string_view number, const NumberRules& rules) {
  if (rules.format == "e164") return std::string(number);
  if (rules.format == "national") {
    if (StartsWith(number, rules.country_code)) {
      return StrCat(rules.national_prefix, number.substr(rules.country_code.size()));
    }
    return StrCat(rules.international_prefix, number);
  }
  return StrCat("+", number);
}

std::optional<std::string> CalledNumberOf(const sip::SipMessage& invite, const NumberRules& rules) {
  if (std::optional<std::string> number = NumberOfUri(invite.request_uri(), rules)) return number;
  return NumberOfUri(invite.to().uri, rules);
}

CallerIdentity CallerOf(const sip::SipMessage& invite, const NumberRules& rules) {
  CallerIdentity caller;
  const sip::NameAddr& from = invite.from();
  if (!CallerFromPai(invite, rules, caller) && !CallerFromRpid(invite, rules, caller)) {
    caller.source = "from";
    caller.number = NumberOfUri(from.uri, rules).value_or("");
    caller.display_name = CleanDisplayName(from.display_name);
    caller.withheld = IsAnonymous(from);
  }
  // Carriers put the caller's name (CNAM) in From when the asserted identity has none.
  if (caller.display_name.empty() && !IsAnonymous(from)) {
    caller.display_name = CleanDisplayName(from.display_name);
  }
  if (PrivacyAsksWithheld(invite)) caller.withheld = true;
  return caller;
}

std::string NumberUri(std::string_view number, std::string_view domain, const NumberRules& rules) {
  return StrCat("sip:", FormatNumber(number, rules), "@", domain,
                rules.user_phone ? ";user=phone" : "");
}

}  // namespace tutti::trunk
