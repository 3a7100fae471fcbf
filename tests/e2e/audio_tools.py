"""Audio for the end-to-end tests: tone WAVs to send, and spectrum checks
(Goertzel, pure Python) of what a participant recorded."""

import math
import struct
import wave


def write_tone_wav(path, freq_hz, seconds, rate, channels=1, amplitude=8000):
    """A 16-bit tone WAV (about -12 dBFS)."""
    frames = []
    for i in range(int(seconds * rate)):
        sample = int(amplitude * math.sin(2 * math.pi * freq_hz * i / rate))
        frames.append(struct.pack("<h", sample) * channels)
    with wave.open(path, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(frames))


def read_wav(path):
    """(rate, mono samples); stereo is averaged."""
    with wave.open(path) as wav:
        rate, channels, count = wav.getframerate(), wav.getnchannels(), wav.getnframes()
        data = struct.unpack("<%dh" % (count * channels), wav.readframes(count))
    if channels == 1:
        return rate, list(data)
    return rate, [sum(data[i:i + channels]) // channels for i in range(0, len(data), channels)]


def tone_share(samples, rate, freq_hz):
    """Fraction of the window's energy at one frequency (0..1)."""
    w = 2 * math.pi * freq_hz / rate
    coefficient = 2 * math.cos(w)
    s1 = s2 = 0.0
    energy = 0.0
    for x in samples:
        s1, s2 = x + coefficient * s1 - s2, s1
        energy += x * x
    if energy == 0:
        return 0.0
    power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
    return 2 * power / (energy * len(samples))


def rms(samples):
    return math.sqrt(sum(x * x for x in samples) / len(samples)) if samples else 0.0


def window(samples, rate, start_s, seconds):
    begin = int(start_s * rate)
    return samples[begin:begin + int(seconds * rate)]


def silent_windows(samples, rate, window_ms=20, threshold=200):
    """How many window_ms windows are near silent (RMS below threshold)."""
    size = rate * window_ms // 1000
    windows = [samples[i:i + size] for i in range(0, len(samples) - size + 1, size)]
    return sum(1 for w in windows if rms(w) < threshold), len(windows)
