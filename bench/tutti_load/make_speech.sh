#!/usr/bin/env bash
# Makes generated/speech.wav, the speech tutti-load's talkers play: about
# 30 s of espeak-ng reading speech.txt, 48 kHz mono 16-bit. Idempotent.
set -euo pipefail
cd "$(dirname "$0")"
out=generated/speech.wav
if [ -f "$out" ] && [ "$out" -nt speech.txt ] && [ "$out" -nt make_speech.sh ]; then
  exit 0
fi
mkdir -p generated
espeak-ng -v en-us -s 160 -f speech.txt -w generated/speech.raw.wav < /dev/null
sox generated/speech.raw.wav -r 48000 -c 1 -b 16 "$out.tmp.wav" < /dev/null
mv "$out.tmp.wav" "$out"
rm -f generated/speech.raw.wav
