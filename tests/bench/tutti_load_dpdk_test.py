"""DPDK at both ends of the RTP, end to end: tuttid with `[media] backend =
"dpdk"` on the server end of a net_memif pair (shared memory between two
processes: no NIC, no hugepages, no root), tutti-load's audio on the client
end (--dpdk_eal), its SIP and the control API on loopback. No kernel socket
carries a single RTP packet: each side builds and parses its own Ethernet,
IPv4 and UDP, and each answers the other's ARP.

  - 20 G.711 calls in rooms of 5, 10 s of talk: every call answered and
    ended with BYE, no missing frame, every judged turn heard and every
    pause silent, for every participant;
  - the media went through DPDK: tutti-load reports its media path as
    dpdk, tuttid's DPDK queue delivered and sent at least what tutti-load
    counted, the two found each other's MAC by ARP (no MAC configured),
    and tuttid dropped nothing as malformed or for a bad checksum;
  - tuttid exits cleanly on SIGTERM.

The memif socket is made in a temporary folder by tuttid (the memif server)
and removed with it at the end; each process has its own EAL file prefix
(both removed too). Skipped, saying why, only when DPDK's EAL cannot start
on this machine (rte_eal_init fails in tuttid). Needs TUTTID and TUTTI_LOAD
(ctest sets them) from a build with TUTTI_DPDK.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from tutti_harness import Tuttid, check_clean_exit, require_tuttid  # noqa: E402

TUTTI_LOAD = os.environ.get("TUTTI_LOAD", "tutti-load")
SKIP_MARK = "integration.tutti_load_dpdk skipped:"
SERVER_IP = "10.9.0.1"
LOAD_IP = "10.9.0.2"


class TuttiLoadDpdkTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tutti-memif-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.socket = os.path.join(self.dir, "memif.sock")
        tag = f"{os.getpid()}"
        self.prefixes = [f"tutti-it-srv-{tag}", f"tutti-it-load-{tag}"]
        self.addCleanup(self.remove_runtime_dirs)
        memif = f"socket={self.socket},socket-abstract=no"
        eal = ["--no-huge", "--no-pci", "-m", "256", f"--file-prefix={self.prefixes[0]}",
               "--lcores=0@(0-1)",
               f"--vdev=net_memif0,role=server,{memif},mac=02:00:0a:09:00:01"]
        self.load_eal = (f"--no-huge --no-pci -m 256 --file-prefix={self.prefixes[1]} "
                         f"--lcores=0@(0-1) --vdev=net_memif0,role=client,{memif},"
                         "mac=02:00:0a:09:00:02")
        try:
            self.server = Tuttid(
                media_address=SERVER_IP,
                media_extra='backend = "dpdk"\nworkers = 1',
                limits="max_calls = 100",
                extra_config=f"""
[dpdk]
eal_args = {json.dumps(eal)}
port = "net_memif0"
prefix_length = 24
mbufs = 8191
# The machine is shared (ctest, other builds): the worker sleeps when idle.
idle_sleep_us = 100
""")
        except AssertionError as failed:
            self.skip_if_eal_cannot_start(str(failed))
            raise
        self.addCleanup(self.stop_server)
        # tuttid, the memif server, made the socket (a file: socket-abstract=no).
        self.assertTrue(os.path.exists(self.socket), f"no memif socket at {self.socket}")

    def skip_if_eal_cannot_start(self, log):
        """tuttid did not start (its log is in `log`): skipped only when EAL
        itself failed (a machine that cannot run DPDK), naming the reason;
        any other failure (no port, a bad config, a crash) fails the test."""
        if "rte_eal_init failed" in log:
            reason = log[log.index("rte_eal_init failed"):].splitlines()[0]
            print(f"{SKIP_MARK} DPDK's EAL cannot start here: {reason}")
            self.skipTest(f"DPDK's EAL cannot start here: {reason}")

    def stop_server(self):
        check_clean_exit(self, self.server)

    def remove_runtime_dirs(self):
        # EAL makes /var/run/dpdk/<prefix> (or $XDG_RUNTIME_DIR/dpdk/<prefix>)
        # even with --no-shconf; both processes remove theirs on a clean exit.
        for prefix in self.prefixes:
            for base in ("/var/run/dpdk", os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/nonexistent"), "dpdk")):
                shutil.rmtree(os.path.join(base, prefix), ignore_errors=True)

    def dpdk_metric(self, name):
        """tutti_dpdk_queue_<name>_total, summed over its queues."""
        status, text = self.server.api("GET", "/metrics")
        self.assertEqual(status, 200)
        series = f"tutti_dpdk_queue_{name}_total"
        values = [float(line.split()[-1]) for line in text.splitlines()
                  if line.startswith(series + "{") or line.startswith(series + " ")]
        self.assertTrue(values, f"no {series} in /metrics")
        return sum(values)

    def test_g711_rooms_of_five_over_memif_every_turn_heard(self):
        calls = 20
        command = [TUTTI_LOAD, f"--server=127.0.0.1:{self.server.port}",
                   f"--api=127.0.0.1:{self.server.api_port}", f"--token={self.server.api_token}",
                   "--json", "--progress_s=1", f"--calls={calls}", "--room_size=5",
                   "--codec=pcmu", "--cps=50", "--duration_s=10", "--turn_s=2", "--pause_s=1",
                   f"--dpdk_eal={self.load_eal}", f"--dpdk_ip={LOAD_IP}",
                   "--dpdk_idle_sleep_us=100"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        context = (f"{' '.join(command)}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}\n"
                   f"tuttid log (tail):\n{self.server.log_text()[-4000:]}")
        self.assertEqual(result.returncode, 0, context)
        report = json.loads(result.stdout)
        self.assertIsNone(report["error"], msg=context)
        self.assertEqual(report["options"]["media_path"], "dpdk", msg=context)
        self.assertEqual(report["calls"]["answered"], calls, msg=context)
        self.assertEqual(report["calls"]["byes_answered"], calls, msg=context)
        self.assertEqual(report["calls"]["failed"], 0, msg=context)
        media = report["media"]
        self.assertEqual(media["participants"], calls, msg=context)
        self.assertGreater(media["packets_received"], 0, msg=context)
        self.assertEqual(media["frames_missing"], 0, msg=context)
        self.assertEqual(media["malformed_received"], 0, msg=context)
        hearing = report["hearing"]
        self.assertEqual(hearing["participants_judged"], calls, msg=context)
        self.assertGreater(hearing["turns_judged"], 0, msg=context)
        self.assertEqual(hearing["turns_heard"], hearing["turns_judged"], msg=context)
        self.assertEqual(hearing["pauses_noisy"], 0, msg=context)
        self.assertEqual(hearing["participants_hearing_all"], calls, msg=context)

        # Every packet tutti-load counted went through tuttid's DPDK queue.
        self.assertGreaterEqual(self.dpdk_metric("delivered"), media["packets_sent"], context)
        self.assertGreaterEqual(self.dpdk_metric("tx"), media["packets_received"], context)
        # No MAC is configured on either side: they found each other by ARP
        # (whichever sent first asked; the other learnt from the request).
        self.assertGreaterEqual(
            self.dpdk_metric("arp_replies") + self.dpdk_metric("arp_requests"), 1, context)
        self.assertEqual(self.dpdk_metric("malformed"), 0, context)
        self.assertEqual(self.dpdk_metric("bad_checksum"), 0, context)


if __name__ == "__main__":
    require_tuttid()
    unittest.main(verbosity=2)
