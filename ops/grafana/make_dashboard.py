#!/usr/bin/env python3
"""Writes tutti-dashboard.json, the Grafana dashboard over tuttid's /metrics
(README "Monitoring"), beside this script. The dashboard is kept as this
code, reviewed as code, and the JSON is what Grafana imports:
`make_dashboard.py` writes it, `make_dashboard.py --check` fails when the
JSON is not what the script makes (ctest lint.monitoring_files)."""

import json
import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tutti-dashboard.json")

# Every panel and query reads the data source the DS_PROMETHEUS variable
# names, for the tuttids the instance variable selects.
DS = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
I = 'instance=~"$instance"'  # the label matcher in every query
R = "$__rate_interval"  # Grafana's rate window: at least four scrapes


class Layout:
    """Places panels left to right in rows of 24 columns, and numbers them."""

    def __init__(self):
        self.panels = []
        self.x = 0
        self.y = 0
        self.line_height = 0

    def next_id(self):
        return len(self.panels) + 1

    def new_line(self):
        self.x = 0
        self.y += self.line_height
        self.line_height = 0

    def place(self, width, height):
        if self.x + width > 24:
            self.new_line()
        position = {"x": self.x, "y": self.y, "w": width, "h": height}
        self.x += width
        self.line_height = max(self.line_height, height)
        return position


layout = Layout()
panels = layout.panels


def row(title):
    if layout.x > 0:
        layout.new_line()
    panels.append({"type": "row", "id": layout.next_id(), "title": title, "collapsed": False,
                   "gridPos": {"x": 0, "y": layout.y, "w": 24, "h": 1}, "panels": []})
    layout.y += 1


def targets(exprs):
    """Grafana targets for [(expr, legend)], refIds A, B, ..."""
    return [{"datasource": DS, "expr": expr, "legendFormat": legend, "refId": chr(ord("A") + i)}
            for i, (expr, legend) in enumerate(exprs)]


def ts(title, desc, exprs, unit="short", w=8, h=8, stack=False, min0=True):
    """A time series panel of [(expr, legend)]."""
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
              "spanNulls": False}
    if stack:
        custom["stacking"] = {"mode": "normal", "group": "A"}
    defaults = {"unit": unit, "custom": custom}
    if min0:
        defaults["min"] = 0
    panels.append({"type": "timeseries", "id": layout.next_id(), "title": title,
                   "description": desc, "datasource": DS, "gridPos": layout.place(w, h),
                   "fieldConfig": {"defaults": defaults, "overrides": []},
                   "options": {"legend": {"displayMode": "list", "placement": "bottom",
                                          "showLegend": True},
                               "tooltip": {"mode": "multi", "sort": "desc"}},
                   "targets": targets(exprs)})


def stat(title, desc, expr, unit="short", w=4, h=4, mappings=None, thresholds=None):
    """A single-value panel of one expr."""
    defaults = {"unit": unit, "mappings": mappings or [],
                "thresholds": thresholds or {"mode": "absolute",
                                             "steps": [{"color": "green", "value": None}]}}
    panels.append({"type": "stat", "id": layout.next_id(), "title": title, "description": desc,
                   "datasource": DS, "gridPos": layout.place(w, h),
                   "fieldConfig": {"defaults": defaults, "overrides": []},
                   "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "",
                                                 "values": False},
                               "colorMode": "value", "graphMode": "area", "textMode": "auto",
                               "justifyMode": "auto", "orientation": "auto"},
                   "targets": targets([(expr, "")])})


def per_second(metric, by=""):
    """The selected tuttids' `metric` summed [by labels], per second."""
    return _summed("rate", metric, by)


def per_interval(metric, by=""):
    """The selected tuttids' `metric` summed [by labels], in each interval."""
    return _summed("increase", metric, by)


def _summed(function, metric, by):
    grouping = f" by ({by}) " if by else ""
    return f"sum{grouping}({function}({metric}{{{I}}}[{R}]))"


def red_above(value):
    return {"mode": "absolute", "steps": [{"color": "green", "value": None},
                                          {"color": "red", "value": value}]}


row("Overview")
stat("tuttid up", "Prometheus's scrape of each selected tuttid: 1 up, 0 down (alert TuttidDown).",
     f'min(up{{{I}}})', mappings=[{"type": "value", "options": {
         "0": {"text": "DOWN", "color": "red"}, "1": {"text": "UP", "color": "green"}}}],
     thresholds={"mode": "absolute", "steps": [{"color": "red", "value": None},
                                              {"color": "green", "value": 1}]})
stat("Calls", "Calls in progress (ringing or answered).", f"sum(tutti_calls{{{I}}})")
stat("Participants", "Answered calls whose audio is in a room.", f"sum(tutti_participants{{{I}}})")
stat("IVR callers", "Callers talking to the dial-in IVR.", f"sum(tutti_ivr_callers{{{I}}})")
stat("Rooms", "Rooms configured.", f"sum(tutti_rooms{{{I}}})")
stat("SIP 503 share", "503 responses over SIP requests (alert TuttiSip503Rate above 5 %).",
     f'sum(rate(tutti_sip_responses_total{{{I},code="503"}}[5m])) / sum(rate(tutti_sip_requests_total{{{I}}}[5m]))',
     unit="percentunit", thresholds=red_above(0.05))

row("Calls and SIP")
ts("Calls and participants", "Calls in progress, participants in rooms, callers in the IVR, per tuttid.",
   [(f"tutti_calls{{{I}}}", "calls {{instance}}"),
    (f"tutti_participants{{{I}}}", "participants {{instance}}"),
    (f"tutti_ivr_callers{{{I}}}", "IVR {{instance}}")])
ts("Calls answered", "Calls answered per second.",
   [(per_second("tutti_calls_answered_total", "instance"), "{{instance}}")], unit="reqps")
ts("SIP requests by method", "SIP requests received per second, by method.",
   [(per_second("tutti_sip_requests_total", "method"), "{{method}}")], unit="reqps", stack=True)
ts("SIP responses by code", "SIP responses sent per second, by status code.",
   [(per_second("tutti_sip_responses_total", "code"), "{{code}}")], unit="reqps", stack=True)
ts("503 share of SIP requests", "503 Service Unavailable over requests received; the alert TuttiSip503Rate fires above 5 % for 5 minutes.",
   [(f'sum by (instance) (rate(tutti_sip_responses_total{{{I},code="503"}}[{R}])) / sum by (instance) (rate(tutti_sip_requests_total{{{I}}}[{R}]))', "{{instance}}")],
   unit="percentunit")
ts("Refusals by limit", "Requests and calls refused with 503, by the limit that refused them ([limits], per source, per call), and 503s from a full transaction table.",
   [(per_second("tutti_sip_limited_total", "limit"), "{{limit}}"),
    (per_second("tutti_sip_transactions_refused_total"), "transaction table full"),
    (per_second("tutti_sip_overload_rejected_total"), "admission (all)")], unit="reqps")
ts("Malformed and denied SIP", "Malformed SIP messages (answered 400 or dropped) and messages from sources [sip] allow/deny refuses.",
   [(per_second("tutti_sip_malformed_total", "action"), "malformed, {{action}}"),
    (per_second("tutti_sip_denied_total"), "denied source")], unit="pps")
ts("Digest authentication", "INVITEs that had to authenticate, by outcome (alert TuttiSipAuthGuessing on failed and refused).",
   [(per_second("tutti_sip_auth_total", "outcome"), "{{outcome}}")], unit="reqps")
ts("SIP connections", "Open SIP TCP and TLS connections, and closes by reason per second.",
   [(f"sum by (transport) (tutti_sip_stream_connections{{{I}}})", "open {{transport}}"),
    (per_second("tutti_sip_stream_closed_total", "transport, reason"), "closed {{transport}} {{reason}} /s"),
    (per_second("tutti_sip_stream_refused_total", "transport"), "refused {{transport}} /s")])
ts("SIP server transactions", "Server transactions kept and the bytes they hold (bounded by [sip] limits).",
   [(f"sum by (instance) (tutti_sip_server_transactions{{{I}}})", "transactions {{instance}}"),
    (f"sum by (instance) (tutti_sip_server_transaction_bytes{{{I}}})", "bytes {{instance}}")])

row("Media workers")
ts("Worker tick time", "Time each media worker spends per run (the rooms of one phase of the 20 ms, or its timers): median and 99th percentile (alert TuttiWorkerTickSlow above 10 ms).",
   [(f"histogram_quantile(0.5, sum by (instance, worker, le) (rate(tutti_worker_tick_seconds_bucket{{{I}}}[{R}])))", "p50 {{instance}} w{{worker}}"),
    (f"histogram_quantile(0.99, sum by (instance, worker, le) (rate(tutti_worker_tick_seconds_bucket{{{I}}}[{R}])))", "p99 {{instance}} w{{worker}}")],
   unit="s")
ts("Late ticks", "Room mixes that started a whole tick late, per second and worker (alert TuttiLateTicksRising above 1 % of mixes).",
   [(per_second("tutti_worker_late_ticks_total", "instance, worker"), "{{instance}} w{{worker}}")], unit="ops")
ts("Tick lateness", "How long after its due instant each room's mix started: 99th percentile per worker.",
   [(f"histogram_quantile(0.99, sum by (instance, worker, le) (rate(tutti_worker_tick_lateness_seconds_bucket{{{I}}}[{R}])))", "p99 {{instance}} w{{worker}}")],
   unit="s")
ts("Worker load", "Share of each worker's core it was busy (measured, smoothed: what admission and shedding read), and the share spent mixing (tick seconds per second).",
   [(f"tutti_worker_load_ratio{{{I}}}", "busy {{instance}} w{{worker}}"),
    (per_second("tutti_worker_tick_seconds_sum", "instance, worker"), "mixing {{instance}} w{{worker}}")],
   unit="percentunit")
ts("Shedding", "Encoder cost level each worker sheds (0 full quality, up to 3), and its steps up and down per second.",
   [(f"tutti_worker_shed_level{{{I}}}", "level {{instance}} w{{worker}}"),
    (per_second("tutti_worker_shed_steps_total", "instance, worker, direction"), "{{direction}} {{instance}} w{{worker}} /s")])
ts("Media packets", "Datagrams received and sent by the media workers per second.",
   [(per_second("tutti_media_packets_in_total", "instance"), "in {{instance}}"),
    (per_second("tutti_media_packets_out_total", "instance"), "out {{instance}}")], unit="pps")
ts("Media drops", "Datagrams dropped: not taken by the packet plane (alert TuttiMediaSendDrops), on a port with no participant, malformed (RTP, RTCP or video that did not parse, payloads the decoder refused), from other than a call's latched source, STUN, SRTP that failed authentication or replayed, and not sent to peers that never answered.",
   [(per_second("tutti_media_send_drops_total"), "send drops"),
    (per_second("tutti_media_packets_unrouted_total"), "unrouted"),
    (per_second("tutti_media_malformed_total"), "malformed"),
    (per_second("tutti_rtp_foreign_dropped_total"), "foreign source"),
    (per_second("tutti_media_stun_dropped_total"), "STUN"),
    (per_second("tutti_srtp_auth_failed_total"), "SRTP auth failed"),
    (per_second("tutti_srtp_replayed_total"), "SRTP replayed"),
    (per_second("tutti_rtp_send_withheld_total"), "withheld")], unit="pps")
ts("Jitter buffers", "Audio frames missing at playout (concealed or rebuilt by FEC) and packets that came after their playout time; and loss as a share of datagrams received (alert TuttiMediaLoss above 5 %).",
   [(per_second("tutti_jitter_buffer_lost_total"), "lost frames /s"),
    (per_second("tutti_jitter_buffer_late_total"), "late packets /s"),
    (f"sum(rate(tutti_jitter_buffer_lost_total{{{I}}}[{R}])) / sum(rate(tutti_media_packets_in_total{{{I}}}[{R}]))", "loss share")])
ts("Worker events lost", "Talking, DTMF and statistics events lost to a full ring (alert TuttiWorkerEventsLost).",
   [(per_interval("tutti_worker_event_ring_full_total", "instance, worker"), "{{instance}} w{{worker}}")])
ts("DTLS-SRTP handshakes", "Handshakes per second by outcome.",
   [(per_second("tutti_dtls_handshakes_completed_total"), "completed"),
    (per_second("tutti_dtls_handshakes_failed_total"), "failed"),
    (per_second("tutti_dtls_handshakes_timed_out_total"), "timed out"),
    (per_second("tutti_dtls_fingerprint_mismatches_total"), "fingerprint mismatch")], unit="ops")
ts("Video forwarding", "Video packets in and out per second, keyframe requests sent, switches of what receivers see, and NACK retransmissions.",
   [(per_second("tutti_video_packets_in_total"), "in"),
    (per_second("tutti_video_packets_out_total"), "out"),
    (per_second("tutti_video_keyframe_requests_total"), "keyframe requests"),
    (per_second("tutti_video_switches_total"), "switches"),
    (per_second("tutti_video_retransmissions_total"), "retransmissions")], unit="pps")

row("Dial-in and PINs")
ts("Dial-in IVR", "Callers through the IVR per second, by outcome.",
   [(per_second("tutti_dial_in_total", "outcome"), "{{outcome}}")], unit="ops")
ts("Wrong entries and lockouts", "Wrong conference numbers and PINs, caller addresses locked out and rooms whose PIN answers are held (alerts TuttiPinLockouts, TuttiPinBruteForce), in each interval.",
   [(per_interval("tutti_dial_in_wrong_entries_total"), "wrong entries"),
    (per_interval("tutti_pin_lockouts_total"), "lockouts"),
    (per_interval("tutti_pin_rooms_slowed_total"), "rooms slowed"),
    (per_interval("tutti_pin_answers_held_total"), "answers held")])

row("SIP trunks")
ts("Trunks up and registered", "Per trunk: 1 while it answers OPTIONS (up) and while our registration holds (alerts TuttiTrunkDown, TuttiTrunkNotRegistered).",
   [(f"tutti_trunk_up{{{I}}}", "up {{trunk}}"),
    (f"tutti_trunk_registered{{{I}}}", "registered {{trunk}}")], min0=False)
ts("Trunk calls", "Calls and dial-outs through each trunk now.",
   [(f"sum by (trunk) (tutti_trunk_calls{{{I}}})", "calls {{trunk}}"),
    (f"sum by (trunk) (tutti_trunk_dial_outs{{{I}}})", "dial-outs {{trunk}}")])
ts("Registrations and keepalives", "REGISTERs accepted and refused or unanswered, OPTIONS unanswered, and times a trunk was marked down, per trunk in each interval.",
   [(per_interval("tutti_trunk_registrations_total", "trunk"), "registered {{trunk}}"),
    (per_interval("tutti_trunk_register_failures_total", "trunk"), "register failed {{trunk}}"),
    (per_interval("tutti_trunk_options_failed_total", "trunk"), "OPTIONS failed {{trunk}}"),
    (per_interval("tutti_trunk_went_down_total", "trunk"), "went down {{trunk}}")])
ts("Inbound trunk calls", "Calls recognised as a trunk's per second, and those the trunk rules refused by reason.",
   [(per_second("tutti_trunk_inbound_calls_total"), "calls"),
    (per_second("tutti_trunk_inbound_refused_total", "reason"), "refused {{reason}}")], unit="ops")
ts("Dial-outs", "Dial-outs per second: started, answered, failed, refused before any INVITE; REFERs accepted.",
   [(per_second("tutti_dial_outs_started_total"), "started"),
    (per_second("tutti_dial_outs_answered_total"), "answered"),
    (per_second("tutti_dial_outs_failed_total"), "failed"),
    (per_second("tutti_dial_outs_refused_total"), "refused"),
    (per_second("tutti_dial_outs_refers_total"), "REFERs")], unit="ops")

row("Messaging and files")
ts("Chat messages", "Chat messages taken from members and posted through the API, relayed deliveries by outcome, and MESSAGEs refused by reason, per second.",
   [(per_second("tutti_messages_received_total"), "received"),
    (per_second("tutti_messages_posted_total"), "posted by API"),
    (per_second("tutti_messages_deliveries_total", "outcome"), "delivery {{outcome}}"),
    (per_second("tutti_messages_refused_total", "reason"), "refused {{reason}}")], unit="ops")
ts("MSRP", "Open MSRP connections and sessions; bytes per second in and out.",
   [(f"sum(tutti_msrp_connections{{{I}}})", "connections"),
    (f"sum(tutti_msrp_sessions{{{I}}})", "sessions"),
    (per_second("tutti_msrp_bytes_total", "direction"), "bytes/s {{direction}}")])
ts("Files", "Files over MSRP by outcome, file offers to members and sends by outcome, in each interval.",
   [(per_interval("tutti_msrp_files_total", "outcome"), "MSRP {{outcome}}"),
    (per_interval("tutti_files_offers_total", "outcome"), "offers {{outcome}}"),
    (per_interval("tutti_files_sends_total", "outcome"), "sends {{outcome}}")])

row("Control API and process")
ts("API responses", "Control API responses per second by HTTP status code.",
   [(per_second("tutti_api_responses_total", "code"), "{{code}}")], unit="reqps", stack=True)
ts("API connections and refusals", "Open API connections and event streams; connections and requests refused by a limit, and replies the control thread was late for (alert TuttiControlThreadStalled), per second.",
   [(f"sum(tutti_api_connections{{{I}}})", "connections"),
    (f"sum(tutti_event_subscribers{{{I}}})", "event streams"),
    (per_second("tutti_api_refused_total", "limit"), "refused {{limit}} /s"),
    (per_second("tutti_api_reply_timeouts_total"), "reply timeouts /s")])
ts("CPU", "CPU seconds per second (user and system) of each tuttid: 1 is one core.",
   [(f"rate(process_cpu_seconds_total{{{I}}}[{R}])", "CPU {{instance}}")], unit="percentunit", w=4)
ts("Memory", "Resident memory of each tuttid.",
   [(f"process_resident_memory_bytes{{{I}}}", "{{instance}}")], unit="bytes", w=4)
ts("Configuration reloads", "Reloads (SIGHUP, POST /v1/reload) by result in each interval (alert TuttiConfigReloadFailed on invalid and needs_restart).",
   [(per_interval("tutti_config_reloads_total", "result"), "{{result}}")])
stat("Configuration age", "Age of the configuration in force: time since the start or the last good reload (the oldest of the selected tuttids).",
     f"time() - min(tutti_config_last_reload_success_timestamp_seconds{{{I}}})", unit="s", h=8)

dashboard = {
    "title": "tutti conference bridge",
    "uid": "tutti-bridge",
    "description": "tuttid's /metrics: calls, SIP, media workers, PINs, trunks, messaging, API (ops/grafana/tutti-dashboard.json in the tutti repository).",
    "tags": ["tutti", "sip", "voip"],
    "editable": True,
    "graphTooltip": 1,
    "schemaVersion": 37,
    "version": 1,
    "refresh": "30s",
    "time": {"from": "now-3h", "to": "now"},
    "timezone": "",
    "timepicker": {},
    "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                              "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                              "name": "Annotations & Alerts", "type": "dashboard"}]},
    "links": [],
    "templating": {"list": [
        {"name": "DS_PROMETHEUS", "label": "Data source", "type": "datasource",
         "query": "prometheus", "current": {}, "hide": 0, "refresh": 1, "regex": "",
         "includeAll": False, "multi": False, "options": [], "skipUrlSync": False},
        {"name": "instance", "label": "tuttid", "type": "query", "datasource": DS,
         "definition": "label_values(tutti_calls, instance)",
         "query": {"query": "label_values(tutti_calls, instance)", "refId": "instance"},
         "refresh": 2, "includeAll": True, "allValue": ".+", "multi": True, "current": {},
         "hide": 0, "options": [], "regex": "", "sort": 1, "skipUrlSync": False},
    ]},
    "panels": panels,
}
text = json.dumps(dashboard, indent=2) + "\n"
if sys.argv[1:] == ["--check"]:
    with open(OUT) as f:
        if f.read() != text:
            sys.exit(f"{OUT} is not what {sys.argv[0]} makes: run it and commit the JSON")
else:
    with open(OUT, "w") as f:
        f.write(text)
