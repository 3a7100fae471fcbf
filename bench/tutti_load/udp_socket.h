// tutti-load's UDP sockets: SIP, the audio and the video each have one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tutti::load {

// A non-blocking UDP socket bound to address:port (0: any free port), with
// send and receive buffers of `buffer_bytes` where the system lets it.
std::optional<int> BindUdp(const std::string& address, uint16_t port, int buffer_bytes);
uint16_t LocalPort(int fd);

}  // namespace tutti::load
