#include "signaling/sdp/msrp_offer_answer.h"

#include <algorithm>
#include <charconv>

#include "common/strings.h"
#include "signaling/sdp/crypto_attribute.h"
#include "signaling/sdp/msrp_answer_line.h"
#include "signaling/sdp/stream_negotiation.h"

namespace tutti::sdp {
namespace {

// Bounds on what a stranger's SDP may make us keep.
constexpr size_t kMaxPathUris = 8;
constexpr size_t kMaxUriBytes = 512;
constexpr size_t kMaxFileNameBytes = 1024;
constexpr size_t kSha1Bytes = 20;

constexpr std::string_view kMsrpProto = "TCP/MSRP";
constexpr std::string_view kMsrpsProto = "TCP/TLS/MSRP";

std::optional<std::string_view> MediaAttribute(const MediaDescription& media,
                                               std::string_view name) {
  for (const auto& [key, value] : media.other_attributes) {
    if (key == name) return value;
  }
  return std::nullopt;
}

// a=setup may be said for the whole session (RFC 4145 §4).
std::optional<std::string_view> SetupAttribute(const SessionDescription& description,
                                               const MediaDescription& media) {
  if (std::optional<std::string_view> value = MediaAttribute(media, "setup")) return value;
  for (const auto& [key, value] : description.attributes) {
    if (key == "setup") return std::string_view(value);
  }
  return std::nullopt;
}

std::vector<std::string> SplitSpaces(std::string_view text) {
  std::vector<std::string> words;
  for (std::string_view word : SplitNonEmpty(text, ' ')) words.emplace_back(word);
  return words;
}

std::string JoinSpaces(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) StrAppend(&text, text.empty() ? "" : " ", word);
  return text;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

// The host of msrp://[user@]host[:port]/session-id;tcp ("[::1]" without
// brackets); empty when the URI is not one we would connect to.
std::string_view UriHost(std::string_view uri) {
  uri.remove_prefix(std::string_view("msrp://").size());
  const size_t slash = uri.find('/');
  std::string_view authority = uri.substr(0, slash);
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    return close == std::string_view::npos ? std::string_view() : authority.substr(1, close - 1);
  }
  return authority.substr(0, authority.find(':'));
}

// RFC 4975 §9: MSRP-URI = "msrp" ["s"] "://" authority "/" session-id
// ";tcp". Only the shape is checked here; the MSRP service parses it whole.
bool UsablePathUri(std::string_view uri, std::string* why_not) {
  if (uri.size() > kMaxUriBytes) {
    *why_not = "an a=path URI is too long";
    return false;
  }
  if (StartsWithIgnoreCase(uri, "msrps://")) {
    *why_not = "MSRP over TLS (msrps) is not served yet";
    return false;
  }
  const size_t slash = StartsWithIgnoreCase(uri, "msrp://") ? uri.find('/', 7) : uri.npos;
  const size_t semicolon = uri.rfind(';');
  if (slash == uri.npos || semicolon == uri.npos || semicolon < slash + 2 || UriHost(uri).empty()) {
    *why_not = StrCat("a=path holds no msrp URI: ", uri.substr(0, 64));
    return false;
  }
  if (!EqualsIgnoreCase(uri.substr(semicolon + 1), "tcp")) {
    *why_not = "a=path names a transport other than tcp";
    return false;
  }
  return true;
}

std::optional<std::vector<std::string>> ReadPath(const MediaDescription& media,
                                                 std::string* why_not) {
  const std::optional<std::string_view> text = MediaAttribute(media, "path");
  std::vector<std::string> path = text ? SplitSpaces(*text) : std::vector<std::string>();
  if (path.empty()) {
    *why_not = "no a=path";
    return std::nullopt;
  }
  if (path.size() > kMaxPathUris) {
    *why_not = "a=path has too many URIs";
    return std::nullopt;
  }
  for (const std::string& uri : path) {
    if (!UsablePathUri(uri, why_not)) return std::nullopt;
  }
  return path;
}

bool ContainsIgnoreCase(const std::vector<std::string>& types, std::string_view type) {
  for (const std::string& t : types) {
    if (EqualsIgnoreCase(t, type)) return true;
  }
  return false;
}

// Ours that the peer takes too (all of ours for its "*"); ours when none is.
std::vector<std::string> AnsweredTypes(const std::vector<std::string>& ours,
                                       const std::vector<std::string>& theirs) {
  if (ContainsIgnoreCase(theirs, "*")) return ours;
  std::vector<std::string> common;
  for (const std::string& type : ours) {
    if (ContainsIgnoreCase(theirs, type)) common.push_back(type);
  }
  return common.empty() ? ours : common;
}

Direction Mirror(Direction theirs) { return internal::OurDirection(theirs, {}); }

// ---- a=file-selector (RFC 5547 §5) ----

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// filename-string: any byte but NUL, CR, LF, '"' and '%', which come
// percent-encoded.
std::optional<std::string> DecodeFileName(std::string_view text) {
  std::string name;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      name.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = HexValue(text[i + 1]);
    const int low = HexValue(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    name.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  if (name.empty() || name.size() > kMaxFileNameBytes || name.find('\0') != name.npos) {
    return std::nullopt;
  }
  return name;
}

std::string EncodeFileName(std::string_view name) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string text;
  for (char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f || c == '"' || c == '%') {
      StrAppend(&text, '%', kHex[byte >> 4], kHex[byte & 0xf]);
    } else {
      text.push_back(c);
    }
  }
  return text;
}

// hash:sha-1:72:24:5F:... -> "72245f..."; nullopt when malformed.
std::optional<std::string> DecodeSha1(std::string_view pairs) {
  std::string hex;
  for (std::string_view pair : SplitNonEmpty(pairs, ':')) {
    if (pair.size() != 2 || HexValue(pair[0]) < 0 || HexValue(pair[1]) < 0) return std::nullopt;
    hex += AsciiLowered(pair);
  }
  if (hex.size() != 2 * kSha1Bytes) return std::nullopt;
  return hex;
}

std::string EncodeSha1(std::string_view hex) {
  std::string text;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    StrAppend(&text, text.empty() ? "" : ":", hex.substr(i, 2));
  }
  for (char& c : text) c = (c >= 'a' && c <= 'f') ? static_cast<char>(c - 32) : c;
  return text;
}

// The end of a selector's value starting at `start`: the next space
// outside double quotes (a type's parameters may quote spaces).
size_t ValueEnd(std::string_view text, size_t start) {
  bool quoted = false;
  for (size_t i = start; i < text.size(); ++i) {
    if (text[i] == '"') quoted = !quoted;
    if (text[i] == ' ' && !quoted) return i;
  }
  return text.size();
}

// One selector's value into `file`; false when malformed.
bool ReadSelector(std::string_view name, std::string_view value, msrp::FileDescription* file) {
  if (name == "name") {
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') return false;
    std::optional<std::string> decoded = DecodeFileName(value.substr(1, value.size() - 2));
    if (!decoded) return false;
    file->name = std::move(*decoded);
  } else if (name == "size") {
    auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), file->size);
    if (error != std::errc() || end != value.data() + value.size()) return false;
  } else if (name == "type") {
    // Quoted parameter values must close, or the next selectors would be read as part of it.
    if (value.find('/') == value.npos || std::count(value.begin(), value.end(), '"') % 2 != 0) {
      return false;
    }
    file->type = std::string(value);
  } else if (name == "hash") {
    // Only sha-1 is registered (RFC 5547 §10); other hashes are not checked.
    if (!StartsWithIgnoreCase(value, "sha-1:")) return true;
    std::optional<std::string> sha1 = DecodeSha1(value.substr(6));
    if (!sha1) return false;
    file->sha1 = std::move(*sha1);
  }
  return true;  // other selectors: not ours to read
}

// RFC 5547 §8.2.2: the file-selector and file-transfer-id of the offer,
// echoed in the answer that takes it.
void EchoFileAttributes(const MediaDescription& offered, MediaDescription* answer) {
  for (const char* name : {"file-selector", "file-transfer-id"}) {
    if (std::optional<std::string_view> value = MediaAttribute(offered, name)) {
      answer->other_attributes.emplace_back(name, std::string(*value));
    }
  }
}

// The file a sendonly line with a=file-selector offers; nullopt with
// `why_not` when we do not take it.
std::optional<msrp::FileDescription> OfferedFile(const MediaDescription& media,
                                                 std::string_view selector, const LocalChat& local,
                                                 std::string* why_not) {
  if (!local.files) {
    *why_not = "files are not taken here";
    return std::nullopt;
  }
  std::optional<msrp::FileDescription> file = ParseFileSelector(selector);
  if (!file) {
    *why_not = "a malformed a=file-selector";
    return std::nullopt;
  }
  if (file->size == 0) {
    *why_not = "a file offer must say its size (a=file-selector size:)";
    return std::nullopt;
  }
  if (local.max_size != 0 && file->size > local.max_size) {
    *why_not = StrCat("the file is larger than ", local.max_size, " bytes");
    return std::nullopt;
  }
  if (std::optional<std::string_view> id = MediaAttribute(media, "file-transfer-id")) {
    file->transfer_id = std::string(*id);
  }
  if (std::optional<std::string_view> disposition = MediaAttribute(media, "file-disposition")) {
    file->disposition = std::string(*disposition);
  }
  return file;
}

// Whether the peer's a=setup makes us open the connection (RFC 6135): its
// passive does; active, actpass or none (RFC 4975: the offerer connects)
// make us wait. nullopt with `why_not` for holdconn or nonsense.
std::optional<bool> WeConnect(const SessionDescription& offer, const MediaDescription& media,
                              std::string* why_not) {
  const std::optional<std::string_view> text = SetupAttribute(offer, media);
  if (!text) return false;
  const std::optional<SetupRole> role = ParseSetup(*text);
  if (!role || *role == SetupRole::kHoldConn) {
    *why_not = StrCat("a=setup:", text->substr(0, 16), " is not taken for MSRP");
    return std::nullopt;
  }
  return *role == SetupRole::kPassive;
}

MediaDescription ChatLine(uint16_t port, Direction direction) {
  MediaDescription line;
  line.media = "message";
  line.port = port;
  line.proto = std::string(kMsrpProto);
  line.formats = {"*"};
  line.direction = direction;
  return line;
}

void AddAcceptAttributes(const LocalChat& local, const std::vector<std::string>& types,
                         MediaDescription* line) {
  line->other_attributes.emplace_back("accept-types", JoinSpaces(types));
  if (ContainsIgnoreCase(types, "message/cpim") && !local.accept_wrapped_types.empty()) {
    line->other_attributes.emplace_back("accept-wrapped-types",
                                        JoinSpaces(local.accept_wrapped_types));
  }
  if (local.max_size != 0) line->other_attributes.emplace_back("max-size", StrCat(local.max_size));
}

// The session-id of our a=path (its last segment before ";tcp").
std::string SessionIdOf(std::string_view path) {
  const size_t slash = path.rfind('/');
  std::string_view id = slash == path.npos ? path : path.substr(slash + 1);
  return std::string(id.substr(0, id.find(';')));
}

// The accept types, the peer's path and its role, common to the answer to
// an offer and the answer to ours.
bool ReadPeer(const MediaDescription& media, NegotiatedChat* chat, std::string* why_not) {
  std::optional<std::vector<std::string>> path = ReadPath(media, why_not);
  if (!path) return false;
  const std::optional<std::string_view> types = MediaAttribute(media, "accept-types");
  chat->accept_types = types ? SplitSpaces(*types) : std::vector<std::string>();
  if (chat->accept_types.empty()) {
    *why_not = "no a=accept-types";
    return false;
  }
  if (std::optional<std::string_view> wrapped = MediaAttribute(media, "accept-wrapped-types")) {
    chat->accept_wrapped_types = SplitSpaces(*wrapped);
  }
  chat->remote_path = std::move(*path);
  return true;
}

// We connect to the path's last URI: not to a group or a whole network on
// a stranger's word (as for RTP, issue 13).
bool MayConnectTo(const NegotiatedChat& chat, std::string* why_not) {
  if (!chat.active) return true;
  const absl::Status status =
      internal::CheckRemoteAddress(std::string(UriHost(chat.remote_path.back())), false);
  if (status.ok()) return true;
  *why_not = std::string(status.message());
  return false;
}

}  // namespace

bool NegotiatedChat::accepts_cpim() const {
  return ContainsIgnoreCase(accept_types, "message/cpim") || ContainsIgnoreCase(accept_types, "*");
}

std::optional<msrp::FileDescription> ParseFileSelector(std::string_view value) {
  msrp::FileDescription file;
  std::vector<std::string_view> seen;
  size_t at = 0;
  while (at < value.size()) {
    if (value[at] == ' ') {
      ++at;
      continue;
    }
    const size_t colon = value.find(':', at);
    if (colon == value.npos) return std::nullopt;
    const std::string_view name = value.substr(at, colon - at);
    for (std::string_view earlier : seen) {
      if (earlier == name) return std::nullopt;  // which one would be meant?
    }
    seen.push_back(name);
    const size_t end = ValueEnd(value, colon + 1);
    if (!ReadSelector(name, value.substr(colon + 1, end - colon - 1), &file)) return std::nullopt;
    at = end;
  }
  if (seen.empty()) return std::nullopt;
  return file;
}

std::string WriteFileSelector(const msrp::FileDescription& file) {
  std::string text;
  if (!file.name.empty()) StrAppend(&text, "name:\"", EncodeFileName(file.name), "\" ");
  if (!file.type.empty()) StrAppend(&text, "type:", file.type, " ");
  StrAppend(&text, "size:", file.size);
  if (!file.sha1.empty()) StrAppend(&text, " hash:sha-1:", EncodeSha1(file.sha1));
  return text;
}

namespace internal {

std::optional<ChatAnswer> AnswerChatLine(const SessionDescription& offer,
                                         const MediaDescription& media, const LocalChat& local,
                                         std::string* why_not) {
  if (EqualsIgnoreCase(media.proto, kMsrpsProto)) {
    *why_not = "MSRP over TLS (TCP/TLS/MSRP) is not served yet";
    return std::nullopt;
  }
  if (!EqualsIgnoreCase(media.proto, kMsrpProto)) {
    *why_not = StrCat("unsupported transport ", media.proto.substr(0, 32), " for a message stream");
    return std::nullopt;
  }
  ChatAnswer answer;
  NegotiatedChat& chat = answer.chat;
  if (!ReadPeer(media, &chat, why_not)) return std::nullopt;
  const std::optional<bool> active = WeConnect(offer, media, why_not);
  if (!active) return std::nullopt;
  chat.active = *active;
  if (!MayConnectTo(chat, why_not)) return std::nullopt;
  chat.local_path = local.path;
  chat.direction = Mirror(media.direction);
  if (std::optional<std::string_view> selector = MediaAttribute(media, "file-selector")) {
    // RFC 5547: a file offer pushes (sendonly); recvonly asks us for one.
    if (media.direction != Direction::kSendOnly) {
      *why_not = "only file offers (a=sendonly with a=file-selector) are taken, not requests";
      return std::nullopt;
    }
    chat.file = OfferedFile(media, *selector, local, why_not);
    if (!chat.file) return std::nullopt;
  }
  answer.line = ChatLine(local.port, chat.direction);
  answer.line.other_attributes.emplace_back("path", local.path);
  AddAcceptAttributes(local, AnsweredTypes(local.accept_types, chat.accept_types), &answer.line);
  answer.line.other_attributes.emplace_back(
      "setup", std::string(SetupName(chat.active ? SetupRole::kActive : SetupRole::kPassive)));
  if (chat.file) EchoFileAttributes(media, &answer.line);
  return answer;
}

}  // namespace internal

SessionDescription MakeFileOffer(std::string_view address, const LocalChat& local,
                                 const msrp::FileDescription& file, uint64_t session_id) {
  SessionDescription offer;
  offer.origin.username = "tutti";
  offer.origin.session_id = session_id;
  offer.origin.session_version = session_id;
  offer.origin.address_type = std::string(address.find(':') == address.npos ? "IP4" : "IP6");
  offer.origin.address = std::string(address);
  offer.session_name = "tutti";
  offer.connection_address = std::string(address);
  offer.connection_address_type = offer.origin.address_type;
  MediaDescription line = ChatLine(local.port, Direction::kSendOnly);
  line.other_attributes.emplace_back("path", local.path);
  AddAcceptAttributes(local, local.accept_types, &line);
  line.other_attributes.emplace_back("setup", std::string(SetupName(SetupRole::kActPass)));
  line.other_attributes.emplace_back("file-selector", WriteFileSelector(file));
  // RFC 5547 §8.1 wants a file-transfer-id unique to the transfer: our
  // path's session-id is (80+ random bits) when the caller has none.
  line.other_attributes.emplace_back(
      "file-transfer-id", file.transfer_id.empty() ? SessionIdOf(local.path) : file.transfer_id);
  if (!file.disposition.empty()) {
    line.other_attributes.emplace_back("file-disposition", file.disposition);
  }
  offer.media.push_back(std::move(line));
  return offer;
}

absl::StatusOr<NegotiatedChat> AcceptFileAnswer(const SessionDescription& offer,
                                                const SessionDescription& answer) {
  size_t index = 0;
  while (index < offer.media.size() && offer.media[index].media != "message") ++index;
  if (index == offer.media.size()) return absl::InvalidArgumentError("our offer had no file");
  const MediaDescription& offered = offer.media[index];
  if (index >= answer.media.size() || answer.media[index].port == 0 ||
      answer.media[index].media != "message") {
    return absl::FailedPreconditionError("the file was declined");
  }
  const MediaDescription& media = answer.media[index];
  std::string why_not;
  NegotiatedChat chat;
  if (!EqualsIgnoreCase(media.proto, kMsrpProto)) why_not = "the answer is not TCP/MSRP";
  if (why_not.empty() && media.direction != Direction::kRecvOnly &&
      media.direction != Direction::kSendRecv) {
    why_not = StrCat("the answer is ", DirectionName(media.direction), ", not recvonly");
  }
  const std::optional<std::string_view> our_id = MediaAttribute(offered, "file-transfer-id");
  const std::optional<std::string_view> their_id = MediaAttribute(media, "file-transfer-id");
  if (why_not.empty() && their_id && our_id && *their_id != *our_id) {
    why_not = "the answer names another file transfer";
  }
  if (why_not.empty()) ReadPeer(media, &chat, &why_not);
  if (!why_not.empty()) return absl::FailedPreconditionError(why_not);
  // We offered actpass: the answerer's active makes it connect; its passive,
  // or no word (RFC 4975: the offerer connects), makes us.
  const std::optional<std::string_view> setup = SetupAttribute(answer, media);
  const std::optional<SetupRole> role = setup ? ParseSetup(*setup) : std::nullopt;
  chat.active = role != SetupRole::kActive;
  if (!MayConnectTo(chat, &why_not)) return absl::FailedPreconditionError(why_not);
  chat.local_path = std::string(MediaAttribute(offered, "path").value_or(""));
  chat.direction = Direction::kSendOnly;
  if (std::optional<std::string_view> selector = MediaAttribute(offered, "file-selector")) {
    chat.file = ParseFileSelector(*selector);
  }
  if (chat.file && our_id) chat.file->transfer_id = std::string(*our_id);
  if (chat.file) {
    if (std::optional<std::string_view> disposition = MediaAttribute(offered, "file-disposition")) {
      chat.file->disposition = std::string(*disposition);
    }
  }
  return chat;
}

}  // namespace tutti::sdp
