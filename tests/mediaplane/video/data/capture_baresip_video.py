#!/usr/bin/env python3
"""Captures real VP8, VP9 and H.264 RTP from baresip and keeps the first two
pictures of each stream as the video payload tests' data.

One-off tool, not a test: run it by hand (as root, for tcpdump on lo) to
regenerate tests/mediaplane/video/data/*.rtp and the fuzz seeds in
tests/fuzz/corpus/video_payload. It needs the Debian packages baresip,
baresip-ffmpeg (H.264), sip-tester (SIPp) and tcpdump, and uses the fixed
loopback ports 45000-45399.

Per codec, two baresips call each other on 127.0.0.1 with the fakevideo
source (colour bars): the caller sends 640x360, the callee 1280x720.
baresip offers H.264 packetization-mode 0 first (single NAL units; its x264
then cuts a large picture into several slices), so a SIPp caller offering
only packetization-mode=1 makes the callee send FU-A as well.

Each .rtp file holds one stream's packets of its first two RTP timestamps
(the key frame, then the first inter frame), each as a 2-byte big-endian
length and the whole RTP packet."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ_SEEDS = os.path.join(HERE, "..", "..", "..", "fuzz", "corpus", "video_payload")
# The fuzz target's first byte picks the codec.
CODEC_SELECTOR = {"vp8": 0, "vp9": 1, "h264": 2}
CALLEE_SIP, CALLER_SIP = 45060, 45070

CONFIG = """poll_method epoll
sip_listen 127.0.0.1:{sip}
net_interface 127.0.0.1
rtp_ports {rtp}
audio_player aubridge,{name}
audio_alert aubridge,{name}
audio_source aufile,{wav}
ausrc_channels 1
module_path /usr/lib/baresip/modules
module g711.so
module aufile.so
module aubridge.so
module fakevideo.so
module vp8.so
module vp9.so
module avcodec.so
module account.so
module menu.so
video_source fakevideo,nil
video_display fakevideo,nil
video_size {size}
video_fps 15
video_bitrate 500000
"""

# An in-dialog request without a body (ACK, BYE) in a SIPp scenario.
SIPP_IN_DIALOG = """  <send{retrans}><![CDATA[
{method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: {cseq} {method}
Max-Forwards: 70
Content-Length: 0

]]></send>
"""

SIPP_H264_MODE_1 = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="H.264 packetization-mode 1 caller">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: sip:sipp@[local_ip]:[local_port]
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio 45300 RTP/AVP 0
a=rtpmap:0 PCMU/8000
m=video 45302 RTP/AVP 97
a=rtpmap:97 H264/90000
a=fmtp:97 packetization-mode=1;profile-level-id=42c01f
a=rtcp-fb:* nack pli

]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rrs="true"/>
""" + SIPP_IN_DIALOG.format(retrans="", method="ACK", cseq=1) + """  <pause milliseconds="6000"/>
""" + SIPP_IN_DIALOG.format(retrans=' retrans="500"', method="BYE", cseq=2) + """  <recv response="200"/>
</scenario>
"""


def baresip_dir(work, name, sip, rtp, size, account_params):
    d = os.path.join(work, name)
    os.makedirs(d)
    wav = os.path.join(d, "in.wav")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", wav, "synth", "30", "sine",
                    "440", "vol", "0.3"], check=True)
    with open(os.path.join(d, "config"), "w") as f:
        f.write(CONFIG.format(sip=sip, rtp=rtp, name=name, wav=wav, size=size))
    with open(os.path.join(d, "accounts"), "w") as f:
        f.write(f"<sip:{name}@127.0.0.1:{sip}>;regint=0;audio_codecs=pcmu{account_params}\n")
    return d


def start_baresip(directory, seconds, dial=None):
    cmd = ["timeout", "-k", "3", str(seconds + 10), "baresip", "-4", "-f", directory,
           "-t", str(seconds)]
    if dial:
        cmd += ["-e", f"/dial {dial}"]
    log = open(os.path.join(directory, "log"), "w")
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)


def capture(work, name, run):
    """Runs `run()` under tcpdump on lo; returns the pcap's path."""
    path = os.path.join(work, f"{name}.pcap")
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-w", path,
                             "udp and portrange 45100-45399"], stderr=subprocess.DEVNULL)
    time.sleep(1)
    try:
        run()
    finally:
        time.sleep(0.5)
        dump.terminate()
        dump.wait()
    return path


def call_between_baresips(work, codec):
    callee = baresip_dir(work, f"callee_{codec}", CALLEE_SIP, "45100-45199", "1280x720",
                         f";video_codecs={codec};answermode=auto")
    caller = baresip_dir(work, f"caller_{codec}", CALLER_SIP, "45200-45299", "640x360",
                         f";video_codecs={codec}")

    def run():
        answering = start_baresip(callee, 9)
        time.sleep(1)
        start_baresip(caller, 6, dial=f"sip:callee_{codec}@127.0.0.1:{CALLEE_SIP}").wait()
        answering.wait()
    return capture(work, codec, run)


def call_from_sipp_h264_mode_1(work):
    # No video_codecs: "h264" there names packetization-mode 0 only.
    callee = baresip_dir(work, "callee_h264_mode1", CALLEE_SIP, "45100-45199", "1280x720",
                         ";answermode=auto")
    scenario = os.path.join(work, "h264_mode1.xml")
    with open(scenario, "w") as f:
        f.write(SIPP_H264_MODE_1)

    def run():
        answering = start_baresip(callee, 10)
        time.sleep(1)
        subprocess.run(["timeout", "25", "sipp", "-sf", scenario, f"127.0.0.1:{CALLEE_SIP}",
                        "-s", "callee_h264_mode1", "-i", "127.0.0.1", "-p", "45310", "-m", "1",
                        "-nostdin", "-timeout", "20", "-timeout_error"],
                       stdout=subprocess.DEVNULL, cwd=work, check=True)
        answering.wait()
    return capture(work, "h264_mode1", run)


def udp_datagrams(path):
    """(source port, UDP payload) of each IPv4 datagram in a pcap of lo."""
    data = open(path, "rb").read()
    if struct.unpack("<I", data[:4])[0] != 0xa1b2c3d4:
        raise ValueError(f"{path}: not a microsecond little-endian pcap")
    link = struct.unpack("<I", data[20:24])[0]
    offset = 24
    while offset + 16 <= len(data):
        captured = struct.unpack("<I", data[offset + 8:offset + 12])[0]
        frame = data[offset + 16:offset + 16 + captured]
        offset += 16 + captured
        frame = frame[14:] if link == 1 else frame[16:] if link == 113 else frame
        if not frame or frame[0] >> 4 != 4 or frame[9] != 17:
            continue
        ihl = (frame[0] & 15) * 4
        source_port, _, length = struct.unpack("!HHH", frame[ihl:ihl + 6])
        yield source_port, frame[ihl + 8:ihl + length]


def video_streams(path):
    """{source port: [RTP packet, ...]} of the dynamic payload types (video:
    the audio is PCMU, payload type 0), RTCP left out."""
    streams = {}
    for port, datagram in udp_datagrams(path):
        if len(datagram) < 12 or datagram[0] >> 6 != 2:
            continue
        payload_type = datagram[1] & 0x7f
        if payload_type < 96 or 72 <= payload_type <= 76:
            continue
        streams.setdefault(port, []).append(datagram)
    return streams


def first_two_pictures(packets):
    timestamps = []
    kept = []
    for packet in packets:
        timestamp = struct.unpack("!I", packet[4:8])[0]
        if timestamp not in timestamps:
            if len(timestamps) == 2:
                break
            timestamps.append(timestamp)
        kept.append(packet)
    return kept


def rtp_payload(packet):
    csrcs = packet[0] & 15
    offset = 12 + 4 * csrcs
    if packet[0] & 0x10:
        offset += 4 + 4 * struct.unpack("!H", packet[offset + 2:offset + 4])[0]
    end = len(packet) - (packet[-1] if packet[0] & 0x20 else 0)
    return packet[offset:end]


def keep(codec, name, packets):
    with open(os.path.join(HERE, f"{name}.rtp"), "wb") as f:
        for packet in packets:
            f.write(struct.pack("!H", len(packet)) + packet)
    os.makedirs(FUZZ_SEEDS, exist_ok=True)
    for i, packet in enumerate(packets):
        with open(os.path.join(FUZZ_SEEDS, f"{name}_{i}"), "wb") as f:
            f.write(bytes([CODEC_SELECTOR[codec]]) + rtp_payload(packet))
    print(f"{name}.rtp: {len(packets)} packets, {sum(map(len, packets))} bytes")


def main():
    work = tempfile.mkdtemp(prefix="tutti-video-capture-")
    try:
        for codec in ("vp8", "vp9", "h264"):
            streams = video_streams(call_between_baresips(work, codec))
            by_port = {port: first_two_pictures(p) for port, p in streams.items()}
            for port, packets in by_port.items():
                size = "1280x720" if 45100 <= port < 45200 else "640x360"
                keep(codec, f"{codec}_{size}" + ("_mode0" if codec == "h264" else ""), packets)
        streams = video_streams(call_from_sipp_h264_mode_1(work))
        for port, packets in streams.items():
            keep("h264", "h264_1280x720_mode1", first_two_pictures(packets))
    finally:
        if "--keep" in sys.argv:
            print(f"captures kept in {work}")
        else:
            shutil.rmtree(work)


if __name__ == "__main__":
    main()
