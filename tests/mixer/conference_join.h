// Adding a participant to a conference the way the mixer tests need it:
// real ports, a peer that "listens" on loopback port 40000 + id (so what the
// conference sends can be told apart by port) and SSRC 1000 + id.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "gtest/gtest.h"
#include "mediaplane/port_allocator.h"
#include "mixer/conference.h"
#include "mixer/participant.h"

namespace tutti::mixer {

// Adds participant `id` with `spec`'s codec and options to conference 1.
inline Participant* JoinConference(Conference& conference, media::PortAllocator& allocator,
                                   uint64_t id, ParticipantSpec spec) {
  auto ports = allocator.Allocate();
  EXPECT_TRUE(ports.ok());
  spec.id = id;
  spec.conference_id = 1;
  spec.remote_rtp = {0x7f000001, static_cast<uint16_t>(40000 + id)};
  spec.remote_rtcp = spec.remote_rtp;
  auto participant =
      std::make_unique<Participant>(spec, std::move(*ports), static_cast<uint32_t>(1000 + id));
  Participant* raw = participant.get();
  conference.Add(std::move(participant));
  return raw;
}

}  // namespace tutti::mixer
