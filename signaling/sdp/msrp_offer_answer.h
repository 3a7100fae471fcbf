// SDP for MSRP streams (RFC 4975 §8: m=message <port> TCP/MSRP *, a=path,
// a=accept-types, a=accept-wrapped-types, a=max-size), their connection
// roles (RFC 6135 a=setup), and file transfer (RFC 5547: a=file-selector,
// a=file-transfer-id, a=file-disposition, a=sendonly/recvonly).
// Pure functions; implemented in msrp_offer_answer.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "signaling/msrp/file_store.h"
#include "signaling/sdp/session_description.h"

namespace tutti::sdp {

// Our side of an MSRP stream (LocalMedia::chat).
struct LocalChat {
  std::string path;   // our a=path (MsrpService::LocalPath of a fresh session-id)
  uint16_t port = 0;  // the MSRP service's port (the m= line's)
  std::vector<std::string> accept_types = {"message/cpim", "text/plain"};
  std::vector<std::string> accept_wrapped_types = {"text/plain"};
  uint64_t max_size = 0;  // a=max-size; 0: not said
  bool files = true;      // a file offer (a=file-selector) may be taken
};

// What both sides agreed on for one MSRP stream.
struct NegotiatedChat {
  std::string local_path;                 // as in our SDP
  std::vector<std::string> remote_path;   // the peer's a=path URIs
  std::vector<std::string> accept_types;  // the peer's
  std::vector<std::string> accept_wrapped_types;
  bool active = false;  // we open the TCP connection (RFC 6135 / RFC 4975 §5.4)
  Direction direction = Direction::kSendRecv;  // OURS, as in our SDP
  // A file offer (a=file-selector with a=sendonly from the peer): what it sends.
  std::optional<msrp::FileDescription> file;
  bool accepts_cpim() const;
};

// RFC 5547 a=file-selector's value, read ("name:\"a b.txt\" type:text/plain
// size:1234 hash:sha-1:AB:CD...") and written.
std::optional<msrp::FileDescription> ParseFileSelector(std::string_view value);
std::string WriteFileSelector(const msrp::FileDescription& file);

// Our offer of a stored file to a member (RFC 5547 §8): m=message alone,
// a=sendonly, a=file-selector, a=file-transfer-id, a=setup:actpass.
SessionDescription MakeFileOffer(std::string_view address, const LocalChat& local,
                                 const msrp::FileDescription& file, uint64_t session_id);
// The member's answer to it: the stream when accepted (recvonly, port not
// 0); FailedPrecondition when declined or answered wrong.
absl::StatusOr<NegotiatedChat> AcceptFileAnswer(const SessionDescription& offer,
                                                const SessionDescription& answer);

}  // namespace tutti::sdp
