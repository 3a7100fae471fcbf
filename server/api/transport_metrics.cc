#include "server/api/transport_metrics.h"

#include <utility>
#include <vector>

namespace tutti::api {

void RenderTransportMetrics(const sip::SipTransports& transports, MetricsText& m) {
  std::vector<std::pair<const char*, const sip::TcpTransport*>> streams;
  if (transports.tcp() != nullptr) streams.emplace_back("tcp", transports.tcp());
  if (transports.tls() != nullptr) streams.emplace_back("tls", transports.tls());

  m.Family("tutti_sip_stream_connections", "gauge", "Open SIP connections, by transport.");
  for (const auto& [name, stream] : streams) {
    m.Sample("tutti_sip_stream_connections", static_cast<double>(stream->open_connections()),
             {{"transport", name}});
  }
  m.Family("tutti_sip_stream_accepted_total", "counter", "SIP connections accepted.");
  for (const auto& [name, stream] : streams) {
    m.Sample("tutti_sip_stream_accepted_total", static_cast<double>(stream->counters().accepted),
             {{"transport", name}});
  }
  m.Family("tutti_sip_stream_refused_total", "counter",
           "SIP connections closed at once: connection limits reached, or no file descriptor.");
  for (const auto& [name, stream] : streams) {
    m.Sample("tutti_sip_stream_refused_total", static_cast<double>(stream->counters().refused),
             {{"transport", name}});
  }
  m.Family("tutti_sip_stream_denied_total", "counter",
           "SIP connections closed on accept: the source is refused by [sip] allow / deny.");
  for (const auto& [name, stream] : streams) {
    m.Sample("tutti_sip_stream_denied_total", static_cast<double>(stream->counters().denied),
             {{"transport", name}});
  }
  m.Family("tutti_sip_accept_fd_exhausted_total", "counter",
           "Times accept() found no file descriptor left (the listener backs off).");
  for (const auto& [name, stream] : streams) {
    m.Sample("tutti_sip_accept_fd_exhausted_total",
             static_cast<double>(stream->counters().fd_exhausted), {{"transport", name}});
  }
  m.Family("tutti_sip_stream_closed_total", "counter",
           "SIP connections closed by tutti, by reason: message_timeout (a message, or the first "
           "one, not complete in time), idle_timeout, framing_error, handshake_failed (TLS), "
           "handshake_timeout (TLS).");
  for (const auto& [name, stream] : streams) {
    const sip::StreamCounters& c = stream->counters();
    const std::pair<const char*, uint64_t> reasons[] = {
        {"message_timeout", c.message_timeouts},     {"idle_timeout", c.idle_timeouts},
        {"framing_error", c.framing_errors},         {"handshake_failed", c.handshake_failures},
        {"handshake_timeout", c.handshake_timeouts},
    };
    for (const auto& [reason, count] : reasons) {
      if (std::string_view(name) == "tcp" && std::string_view(reason).starts_with("handshake")) {
        continue;
      }
      m.Sample("tutti_sip_stream_closed_total", static_cast<double>(count),
               {{"transport", name}, {"reason", reason}});
    }
  }
}

}  // namespace tutti::api
