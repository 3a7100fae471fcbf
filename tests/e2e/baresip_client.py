"""A headless baresip caller (see ../shared/CLIENTS.md): sends a WAV file as
its microphone and records what it receives with the sndfile module."""

import glob
import os
import subprocess

MODULES = {"PCMU": "g711.so", "PCMA": "g711.so", "opus": "opus.so"}


class BaresipClient:
    def __init__(self, name, workdir, sip_port, codec, source_wav, rate, channels):
        self.name = name
        self.dir = os.path.join(workdir, name)
        self.record_dir = os.path.join(self.dir, "rec")
        os.makedirs(self.record_dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, "baresip.log")
        self.process = None
        with open(os.path.join(self.dir, "config"), "w") as config:
            config.write(
                "poll_method epoll\n"
                f"sip_listen 127.0.0.1:{sip_port}\n"
                "net_interface 127.0.0.1\n"
                "audio_player alsa,null\n"
                "audio_alert alsa,null\n"
                f"audio_source aufile,{source_wav}\n"
                f"audio_srate {rate}\n"
                f"audio_channels {channels}\n"
                "module_path /usr/lib/baresip/modules\n"
                "module stdio.so\n"
                f"module {MODULES[codec]}\n"
                "module aufile.so\nmodule sndfile.so\nmodule alsa.so\n"
                "module account.so\nmodule menu.so\nmodule uuid.so\n"
                f"snd_path {self.record_dir}\n")
        with open(os.path.join(self.dir, "accounts"), "w") as accounts:
            accounts.write(f"<sip:{name}@127.0.0.1>;regint=0;audio_codecs={codec}\n")

    def dial(self, uri, seconds):
        """Starts the call; baresip hangs up (BYE) after `seconds`."""
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            ["timeout", str(seconds + 20), "baresip", "-f", self.dir, "-e", f"/dial {uri}",
             "-t", str(seconds)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self, timeout):
        try:
            self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.log.close()

    def recording(self):
        """The WAV of what this client received and decoded."""
        found = glob.glob(os.path.join(self.record_dir, "dump-*-dec.wav"))
        if not found:
            raise AssertionError(f"{self.name} recorded nothing:\n{self.log_text()[-3000:]}")
        return found[0]

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()
