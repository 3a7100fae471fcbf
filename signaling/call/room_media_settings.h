// A room's own settings for its conference on the media workers (its top-N,
// its video mode and hold, and this meeting's presenters). The room, not a participant, carries
// them: they reach the worker when the room is set up and whenever it changes, whoever is in it.
#pragma once

#include "mixer/conference.h"
#include "mixer/media_workers.h"
#include "signaling/call/room_directory.h"

namespace tutti {

// What the worker needs of a room; a removed room (null) has the defaults.
mixer::ConferenceSettings ConferenceSettingsFor(const RoomConfig* room);

// Sends every room's settings that differ from the defaults to its
// conference's worker now, and any room's on each change of `rooms` from now
// on (until rooms->Watch(nullptr)). Control thread.
void WatchRoomMediaSettings(RoomDirectory* rooms, mixer::MediaWorkers* media);

}  // namespace tutti
