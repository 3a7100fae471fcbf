// The body of a conference event notification (RFC 4575 §5): a room's
// roster as application/conference-info+xml, always full state. RFC 4575
// and its XCON extension (RFC 6501) have no element for who is talking, so
// each medium carries <tutti:talking> in tutti's own namespace (the schema
// admits elements of other namespaces there; clients that do not know it
// skip it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tutti {

inline constexpr std::string_view kConferenceInfoType = "application/conference-info+xml";
inline constexpr std::string_view kTuttiConferenceInfoNamespace =
    "urn:tutti:params:xml:ns:conference-info";

// One call leg in a room as subscribers see it. Nothing secret: no PIN, no
// address, no key; the participant's id is the control API's.
struct RosterEndpoint {
  uint64_t participant = 0;
  std::string user;          // the caller's From URI: the <user> entity
  std::string display_name;  // the From's display name, may be empty
  bool connected = true;     // false: it left since the last notification
  bool held = false;         // the caller put the call on hold
  bool muted = false;        // by itself, an operator, or waiting for the moderator
  bool talking = false;
  bool moderator = false;
};

struct ConferenceRoster {
  std::string display_text;  // the room's name
  int max_users = 0;         // 0: no limit
  bool locked = false;
  std::vector<RosterEndpoint> endpoints;  // in join order
  // Participants in the room but not among `endpoints` (a big room's
  // roster is cut to fit a datagram); user-count counts them.
  int unlisted = 0;
};

// The document for `conference_uri` (the URI subscribed to) at `version`.
// Endpoints of one From URI are one <user> with several <endpoint>s.
std::string ConferenceInfoXml(std::string_view conference_uri, const ConferenceRoster& roster,
                              uint32_t version);

// Text as XML character data or an attribute value: & < > " ' escaped,
// control characters dropped and bytes that are not UTF-8 replaced by '?'
// (a display name comes from a stranger's From header).
std::string XmlEscape(std::string_view text);

}  // namespace tutti
