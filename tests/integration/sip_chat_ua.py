"""A small SIP user agent over UDP for the messaging tests (RFC 3261, RFC
3428 MESSAGE, RFC 4975 §8 and RFC 5547 SDP for m=message): it calls a room
with audio, chat (MSRP) or a file offer, ACKs, BYEs, sends MESSAGE inside or
outside a dialog, and answers what a conference sends it: MESSAGE (200,
kept in self.messages), INVITE offering a file (answered by
self.file_answerer), BYE, OPTIONS. Standard library only.
"""

import re
import select
import socket
import threading
import time
import uuid

from msrp_client import MsrpEndpoint, new_id, sha1_colons, wait_under

T1 = 0.5


def header(text, name, compact=None):
    """The first value of header `name` (or its compact form) in a SIP message."""
    head = text.split("\r\n\r\n", 1)[0]
    names = name + (f"|{compact}" if compact else "")
    m = re.search(rf"^(?:{names})\s*:\s*(.*?)\r?$", head, re.MULTILINE | re.IGNORECASE)
    return m.group(1).strip() if m else None


def body_of(text):
    return text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else ""


def uri_in(value):
    """The URI of a name-addr or addr-spec header value."""
    m = re.search(r"<([^>]+)>", value or "")
    return (m.group(1) if m else (value or "").split(";")[0]).strip()


def tag_of(value):
    m = re.search(r";\s*tag=([^;>\s]+)", value or "")
    return m.group(1) if m else None


def hop_of(uri, default):
    m = re.search(r"sips?:(?:[^@;>]*@)?([^:;>]+)(?::(\d+))?", uri or "")
    return (m.group(1), int(m.group(2) or 5060)) if m else default


# --- SDP

def sdp_session(media):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            + media)


def audio_media(rtp_port):
    return f"m=audio {rtp_port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"


def chat_media(endpoint, setup, accept_types="message/cpim text/plain", direction=None):
    """m=message for an MSRP session (RFC 4975 §8) with RFC 6135's a=setup."""
    lines = [f"m=message {endpoint.port} TCP/MSRP *",
             f"a=accept-types:{accept_types}"]
    if "message/cpim" in accept_types:
        lines.append("a=accept-wrapped-types:text/plain")
    lines += [f"a=path:{endpoint.local_path}", f"a=setup:{setup}"]
    if direction:
        lines.append(f"a={direction}")
    return "\r\n".join(lines) + "\r\n"


def file_media(endpoint, setup, data, name, content_type="application/octet-stream",
               size=None, sha1=None):
    """A file offer (RFC 5547 §5-8): sendonly, a=file-selector with the
    file's name, type, size and sha-1 hash."""
    size = len(data) if size is None else size
    sha1 = sha1_colons(data) if sha1 is None else sha1
    return (chat_media(endpoint, setup, accept_types=content_type, direction="sendonly")
            + f'a=file-selector:name:"{name}" type:{content_type} size:{size} hash:sha-1:{sha1}'
            + f"\r\na=file-transfer-id:{new_id(24)}\r\n")


def message_lines(sdp):
    """What an SDP's first m=message line says: port, path URIs, setup,
    accept-types, direction, file-selector (None for absent ones)."""
    m = re.search(r"^m=message (\d+) (\S+) .*?$(.*?)(?=^m=|\Z)", sdp, re.MULTILINE | re.DOTALL)
    if not m:
        return None
    section = m.group(3)

    def attr(name):
        a = re.search(rf"^a={name}:(.*?)\r?$", section, re.MULTILINE)
        return a.group(1).strip() if a else None

    direction = next((d for d in ("sendonly", "recvonly", "inactive", "sendrecv")
                      if re.search(rf"^a={d}\r?$", section, re.MULTILINE)), "sendrecv")
    return {"port": int(m.group(1)), "proto": m.group(2),
            "path": (attr("path") or "").split(), "setup": attr("setup"),
            "accept_types": (attr("accept-types") or "").split(), "direction": direction,
            "file_selector": attr("file-selector")}


class Dialog:
    """One INVITE dialog (RFC 3261 §12), ours or the peer's."""

    def __init__(self, call_id, local_tag, local_uri, remote_uri, cseq, remote_target):
        self.call_id = call_id
        self.local_tag = local_tag
        self.remote_tag = None
        self.local_uri = local_uri
        self.remote_uri = remote_uri
        self.cseq = cseq
        self.remote_target = remote_target
        self.route_set = []
        self.offer = ""
        self.answer = ""
        self.ended = threading.Event()  # a BYE came from the far end
        self.msrp = None  # the MsrpEndpoint of its m=message, if any


class SipChatUa:
    """A SIP UA on its own UDP port of 127.0.0.1, talking to a tuttid at
    `server_port`. From URI sip:<user>@127.0.0.1 (the member a conference
    knows it by), display name `display`."""

    def __init__(self, server_port, user, display=None):
        self.server = ("127.0.0.1", server_port)
        self.user = user
        self.display = display or user
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.aor = f"sip:{user}@127.0.0.1"
        self.contact = f"sip:{user}@127.0.0.1:{self.port}"
        self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.rtp.bind(("127.0.0.1", 0))
        self.messages = []  # MESSAGE requests received (dicts), duplicates dropped
        self.incoming = []  # Dialogs tutti started (file offers) and answered here
        self.invites_seen = []  # INVITE request texts received
        self.trace = []
        # Answers an INVITE from the far end: fn(request text) -> (code, sdp
        # or "", Dialog or None); None answers 486.
        self.file_answerer = None
        self.lose_next_answer = False  # the next 2xx to an INVITE is lost once
        self._finals = {}  # (Call-ID, CSeq) -> the first final response
        self._provisional = set()  # (Call-ID, CSeq) that had a 1xx
        self._answered = {}  # (Call-ID, CSeq) -> response text (retransmissions)
        self._acked = set()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self.dialogs = []
        self._thread = threading.Thread(target=self._loop, name=f"sip-{user}", daemon=True)
        self._thread.start()

    def room_uri(self, room):
        return f"sip:{room}@127.0.0.1:{self.server[1]}"

    # --- Transport
    def _send(self, text, to=None):
        self.trace.append(f">>> {time.monotonic():.3f}\n{text}")
        self.sock.sendto(text.encode(), to or self.server)

    def _loop(self):
        # select() with a short timeout lets close() end the loop.
        while not self._stop.is_set():
            if not select.select([self.sock], [], [], 0.1)[0]:
                continue
            try:
                data, source = self.sock.recvfrom(65535)
            except OSError:
                return
            self._on_datagram(data.decode(errors="replace"), source)

    def _on_datagram(self, text, source):
        self.trace.append(f"<<< {time.monotonic():.3f}\n{text}")
        if not text.startswith("SIP/2.0 "):
            try:
                self._on_request(text, source)
            except Exception as error:  # noqa: BLE001 - kept for the failure message
                self.trace.append(f"!!! handling the request failed: {error!r}")
            return
        key = (header(text, "Call-ID", "i"), header(text, "CSeq"))
        with self._cond:
            if int(text.split(" ", 2)[1]) >= 200:
                self._finals.setdefault(key, text)
            else:
                self._provisional.add(key)
            self._cond.notify_all()

    def trace_text(self, chars=8000):
        return f"--- {self.user}'s SIP trace:\n" + "\n".join(self.trace)[-chars:]

    # --- Requests we send
    def _request(self, method, uri, call_id, from_tag, to, cseq, body="", content_type=None,
                 routes=(), extra=()):
        lines = [f"{method} {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{uuid.uuid4().hex[:16]}"
                 ";rport",
                 "Max-Forwards: 70",
                 f'From: "{self.display}" <{self.aor}>;tag={from_tag}',
                 f"To: {to}",
                 f"Call-ID: {call_id}",
                 f"CSeq: {cseq} {method}",
                 f"Contact: <{self.contact}>",
                 *[f"Route: {r}" for r in routes],
                 "Accept: application/sdp, text/plain, message/cpim",
                 *extra]
        if body:
            lines.append(f"Content-Type: {content_type or 'application/sdp'}")
        lines.append(f"Content-Length: {len(body.encode())}")
        return "\r\n".join(lines) + "\r\n\r\n" + body

    def _transaction(self, request, method, cseq, call_id, timeout=10, to=None):
        """Sends `request`, retransmitting it as RFC 3261 §17.1 timers A/E do
        until a response (INVITE: a final one) comes; returns (code, text)."""
        key = (call_id, f"{cseq} {method}")
        timer = {"interval": T1, "next": time.monotonic() + T1}
        self._send(request, to)

        def final_or_retransmit():  # called under the lock
            if key in self._finals:
                text = self._finals.pop(key)
                return int(text.split(" ", 2)[1]), text
            if key not in self._provisional and time.monotonic() >= timer["next"]:
                self._send(request, to)
                timer["interval"] = min(timer["interval"] * 2, 4.0)
                timer["next"] = time.monotonic() + timer["interval"]
            return None

        return self._wait(f"a final answer to {method}", final_or_retransmit, timeout)

    def _wait(self, what, predicate, timeout):
        """predicate()'s first true value (called under the lock as SIP
        arrives); fails with the trace after timeout."""
        return wait_under(self._cond, predicate, timeout, lambda: AssertionError(
            f"{self.user}: no {what} within {timeout}s\n" + self.trace_text()))

    def invite(self, room, media, expect=200, timeout=10):
        """Calls the room with an SDP of these media lines. Returns the
        Dialog (answered and ACKed) for a 2xx; for another final answer,
        (code, response) when it was expected, else fails."""
        call_id = f"{uuid.uuid4().hex}@127.0.0.1"
        dialog = Dialog(call_id, uuid.uuid4().hex[:10], self.aor, self.room_uri(room),
                        int(time.monotonic() * 1000) % 10000 + 1, self.room_uri(room))
        dialog.offer = sdp_session(media)
        request = self._request("INVITE", dialog.remote_uri, call_id, dialog.local_tag,
                                f"<{dialog.remote_uri}>", dialog.cseq, dialog.offer)
        code, response = self._transaction(request, "INVITE", dialog.cseq, call_id, timeout)
        to = header(response, "To", "t")
        if code >= 300:
            # The ACK of a non-2xx is part of the INVITE transaction (§17.1.1.3).
            self._send(self._request("ACK", dialog.remote_uri, call_id, dialog.local_tag, to,
                                     dialog.cseq))
            if code == expect:
                return code, response
            raise AssertionError(f"{self.user}: INVITE to {room} answered {code}\n"
                                 + self.trace_text())
        dialog.remote_tag = tag_of(to)
        dialog.remote_target = uri_in(header(response, "Contact", "m")) or dialog.remote_uri
        head = response.split("\r\n\r\n", 1)[0]
        rr = re.findall(r"^Record-Route\s*:\s*(.*?)\r?$", head, re.MULTILINE | re.IGNORECASE)
        dialog.route_set = [r.strip() for line in rr for r in line.split(",")]
        dialog.answer = body_of(response)
        self._ack(dialog)
        self.dialogs.append(dialog)
        if code != expect:
            raise AssertionError(f"{self.user}: INVITE to {room} answered {code}, expected "
                                 f"{expect}\n" + self.trace_text())
        return dialog

    def _to_of(self, dialog):
        return f"<{dialog.remote_uri}>" + (f";tag={dialog.remote_tag}" if dialog.remote_tag
                                           else "")

    def _hop(self, dialog):
        return hop_of(dialog.route_set[0] if dialog.route_set else dialog.remote_target,
                      self.server)

    def _ack(self, dialog):
        self._send(self._request("ACK", dialog.remote_target, dialog.call_id, dialog.local_tag,
                                 self._to_of(dialog), dialog.cseq, routes=dialog.route_set),
                   self._hop(dialog))

    def bye(self, dialog, timeout=10):
        """Hangs up; the BYE's final code (0 when the far end hung up first)."""
        if dialog.ended.is_set():
            return 0
        dialog.cseq += 1
        request = self._request("BYE", dialog.remote_target, dialog.call_id, dialog.local_tag,
                                self._to_of(dialog), dialog.cseq, routes=dialog.route_set)
        code, _ = self._transaction(request, "BYE", dialog.cseq, dialog.call_id, timeout,
                                    self._hop(dialog))
        dialog.ended.set()
        return code

    def message(self, body, content_type="text/plain", room=None, dialog=None, timeout=10):
        """Sends a MESSAGE (RFC 3428) inside `dialog`, or outside any to the
        room's URI; returns (code, response)."""
        if isinstance(body, bytes):
            body = body.decode()
        if dialog is not None:
            dialog.cseq += 1
            request = self._request("MESSAGE", dialog.remote_target, dialog.call_id,
                                    dialog.local_tag, self._to_of(dialog), dialog.cseq, body,
                                    content_type, routes=dialog.route_set)
            return self._transaction(request, "MESSAGE", dialog.cseq, dialog.call_id, timeout,
                                     self._hop(dialog))
        call_id = f"{uuid.uuid4().hex}@127.0.0.1"
        uri = self.room_uri(room)
        request = self._request("MESSAGE", uri, call_id, uuid.uuid4().hex[:10], f"<{uri}>", 1,
                                body, content_type)
        return self._transaction(request, "MESSAGE", 1, call_id, timeout)

    # --- Calls with their media
    def call_audio(self, room):
        """A member with an audio call (a pager-mode member: no chat line)."""
        return self.invite(room, audio_media(self.rtp.getsockname()[1]))

    def call_chat(self, room, setup="active", audio=False, accept_types="message/cpim text/plain"):
        """A member whose INVITE offers an MSRP chat (alone or beside audio).
        setup=active: we connect once answered; passive: tutti connects to
        the port we listen on; actpass: as the answer says (we listen first)."""
        endpoint = MsrpEndpoint(f"{self.user}-chat")
        if setup in ("passive", "actpass"):
            endpoint.listen()
        media = (audio_media(self.rtp.getsockname()[1]) if audio else "") + chat_media(
            endpoint, setup, accept_types)
        dialog = self.invite(room, media)
        self._start_msrp(dialog, endpoint, setup)
        return dialog

    def _start_msrp(self, dialog, endpoint, setup):
        answer = message_lines(dialog.answer)
        if answer is None or answer["port"] == 0:
            raise AssertionError(f"{self.user}: the chat line was declined:\n{dialog.answer}")
        endpoint.remote_path = answer["path"]
        dialog.msrp = endpoint
        we_connect = setup == "active" or (setup == "actpass" and answer["setup"] == "passive")
        # Back only once the session is up at both ends: the far end has
        # answered our first SEND, or sent its own (RFC 4975 §5.4: the
        # active side speaks first). A message the room sends before that
        # may find no connection to go on.
        if we_connect:
            endpoint.wait_for_responses([endpoint.connect()])
        else:
            endpoint.accept()
            endpoint.wait_for("the first SEND of the side that connected",
                              lambda: endpoint.requests)
        return endpoint

    def offer_file(self, room, data, name, setup="active", chunk_size=64 * 1024,
                   stop_after=None, size=None, sha1=None):
        """Offers a file to the room in an INVITE of its own (RFC 5547) and
        sends it over MSRP in chunks; stop_after: only that many bytes are
        sent. Returns (dialog, message_id, transaction ids)."""
        endpoint = MsrpEndpoint(f"{self.user}-file")
        if setup in ("passive", "actpass"):
            endpoint.listen()
        dialog = self.invite(room, file_media(endpoint, setup, data, name, size=size, sha1=sha1))
        self._start_msrp(dialog, endpoint, setup)
        message_id, tids = endpoint.send_message("application/octet-stream", data, chunk_size,
                                                 success_report=True, stop_after=stop_after)
        return dialog, message_id, tids

    # --- Requests the far end sends
    def _reply(self, request, code, reason, source, body="", extra=(), to_tag=None, send=True):
        lines = [f"SIP/2.0 {code} {reason}"]
        for line in request.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
            if re.match(r"(?i)(via|v|from|f|call-id|i|cseq)\s*:", line):
                lines.append(line)
            elif re.match(r"(?i)(to|t)\s*:", line):
                if to_tag and "tag=" not in line:
                    line += f";tag={to_tag}"
                lines.append(line)
        lines += [f"Contact: <{self.contact}>", *extra]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        text = "\r\n".join(lines) + "\r\n\r\n" + body
        if send:
            self._send(text, source)
        else:
            self.trace.append(f"xxx {time.monotonic():.3f} (lost on the way)\n{text}")
        return text

    def _on_request(self, text, source):
        method = text.split(" ", 1)[0]
        key = (header(text, "Call-ID", "i"), header(text, "CSeq"))
        if method == "ACK":
            with self._cond:
                self._acked.add(header(text, "Call-ID", "i"))
                self._cond.notify_all()
            return
        if key in self._answered:  # a retransmission: the same answer again
            self._send(self._answered[key], source)
            return
        if method == "MESSAGE":
            with self._cond:
                self.messages.append({"from": header(text, "From", "f"),
                                      "to": header(text, "To", "t"),
                                      "content_type": header(text, "Content-Type", "c"),
                                      "body": body_of(text), "text": text})
                self._cond.notify_all()
            self._answered[key] = self._reply(text, 200, "OK", source)
        elif method == "INVITE":
            self.invites_seen.append(text)
            self._on_invite(text, source, key)
        elif method == "BYE":
            for dialog in self.dialogs + self.incoming:
                if dialog.call_id == key[0]:
                    dialog.ended.set()
            self._answered[key] = self._reply(text, 200, "OK", source)
        elif method in ("OPTIONS", "UPDATE", "INFO", "NOTIFY"):
            self._answered[key] = self._reply(text, 200, "OK", source)
        elif method == "CANCEL":
            self._reply(text, 200, "OK", source)
        else:
            self._answered[key] = self._reply(text, 501, "Not Implemented", source)

    def _on_invite(self, text, source, key):
        answer = self.file_answerer(text) if self.file_answerer else None
        if answer is None:
            self._answered[key] = self._reply(text, 486, "Busy Here", source,
                                              to_tag=uuid.uuid4().hex[:10])
            return
        code, sdp, dialog = answer
        to_tag = uuid.uuid4().hex[:10]
        if dialog is not None:
            dialog.local_tag = to_tag
            dialog.remote_tag = tag_of(header(text, "From", "f"))
            dialog.remote_target = uri_in(header(text, "Contact", "m"))
            head = text.split("\r\n\r\n", 1)[0]
            rr = re.findall(r"^Record-Route\s*:\s*(.*?)\r?$", head, re.MULTILINE | re.IGNORECASE)
            dialog.route_set = list(reversed([r.strip() for line in rr for r in line.split(",")]))
            with self._cond:
                self.incoming.append(dialog)
                self._cond.notify_all()
        # lose_next_answer: this 2xx is "lost" (UDP); its retransmission
        # (§13.3.1.4, after T1) is the first the far end hears.
        lost, self.lose_next_answer = self.lose_next_answer and code == 200, False
        response = self._reply(text, code, "OK" if code == 200 else "Declined", source, sdp,
                               to_tag=to_tag, send=not lost)
        self._answered[key] = response
        if code == 200:
            # §13.3.1.4: the 2xx is retransmitted until the ACK comes.
            threading.Thread(target=self._retransmit_until_acked,
                             args=(response, source, key[0]), daemon=True).start()

    def _retransmit_until_acked(self, response, source, call_id):
        interval, deadline = T1, time.monotonic() + 32 * T1
        with self._cond:
            while call_id not in self._acked and time.monotonic() < deadline:
                self._cond.wait(interval)
                if call_id not in self._acked:
                    self._send(response, source)
                    interval = min(interval * 2, 4.0)

    def accept_files(self, setup="passive"):
        """Answers tutti's file offers (RFC 5547: a recvonly m=message) and
        receives each over MSRP. setup: what our answer says (RFC 6135: the
        offer's actpass leaves the choice to us): passive - tutti connects
        to us; active - we connect to it."""

        def answer(request):
            offer = message_lines(body_of(request))
            if offer is None or offer["direction"] != "sendonly" or not offer["file_selector"]:
                return None
            endpoint = MsrpEndpoint(f"{self.user}-incoming-file")
            if setup == "passive":
                endpoint.listen()
            endpoint.remote_path = offer["path"]
            dialog = Dialog(header(request, "Call-ID", "i"), None, self.aor,
                            uri_in(header(request, "From", "f")),
                            int(header(request, "CSeq").split()[0]), None)
            dialog.offer = body_of(request)
            dialog.msrp = endpoint
            dialog.file_selector = offer["file_selector"]
            accept = " ".join(offer["accept_types"]) or "*"
            dialog.answer = sdp_session(chat_media(endpoint, setup, accept, "recvonly")
                                        + f"a=file-selector:{offer['file_selector']}\r\n")
            runner = endpoint.accept if setup == "passive" else endpoint.connect
            threading.Thread(target=self._run_quietly, args=(runner, dialog), daemon=True).start()
            return 200, dialog.answer, dialog

        self.file_answerer = answer

    def _run_quietly(self, fn, dialog):
        try:
            fn()
        except (AssertionError, OSError) as error:
            dialog.msrp.errors.append(f"connection: {error}")
            dialog.msrp.closed.set()

    def wait_for_messages(self, count, timeout=10):
        """The MESSAGEs received, once there are `count`."""
        return self._wait(f"{count} MESSAGEs", lambda: len(self.messages) >= count
                          and list(self.messages), timeout)

    def wait_for_incoming(self, count=1, timeout=15):
        """The INVITE dialogs tuttid started and we answered, once `count`."""
        return self._wait(f"{count} INVITEs answered", lambda: len(self.incoming) >= count
                          and list(self.incoming), timeout)

    def hang_up_all(self):
        for dialog in self.dialogs:
            if not dialog.ended.is_set():
                try:
                    self.bye(dialog)
                except AssertionError:
                    pass

    def close(self):
        self.hang_up_all()
        for dialog in self.dialogs + self.incoming:
            if dialog.msrp is not None:
                dialog.msrp.close()
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
        self.rtp.close()
