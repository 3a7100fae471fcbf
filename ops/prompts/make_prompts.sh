#!/usr/bin/env bash
# Makes the voice prompts and tones listed in prompts.txt as 48 kHz mono
# 16-bit WAVs in generated/ (espeak-ng for speech, sox for tones). Quick and
# idempotent: does nothing when generated/ is newer than prompts.txt.
set -euo pipefail
cd "$(dirname "$0")"
out=generated
if [ -d "$out" ] && [ "$out" -nt prompts.txt ] && [ -n "$(ls -A "$out")" ]; then
  exit 0
fi
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
while IFS='|' read -r name text; do
  name="$(echo "$name" | xargs)"
  text="$(echo "$text" | sed 's/^ *//; s/ *$//')"
  [ -z "$name" ] || [ "${name:0:1}" = "#" ] && continue
  if [ "${text:0:5}" = "tone:" ]; then
    parts=()
    IFS=',' read -r -a freqs <<< "${text:5}"
    for i in "${!freqs[@]}"; do
      sox -n -r 48000 -c 1 -b 16 "$out.tmp/$name.$i.wav" synth 0.15 sine "${freqs[$i]}" vol 0.4 \
        < /dev/null
      parts+=("$out.tmp/$name.$i.wav")
    done
    sox "${parts[@]}" "$out.tmp/$name.wav" < /dev/null
    rm -f "${parts[@]}"
  else
    espeak-ng -v en-us -s 150 -w "$out.tmp/$name.raw.wav" "$text" < /dev/null
    sox "$out.tmp/$name.raw.wav" -r 48000 -c 1 -b 16 "$out.tmp/$name.wav" norm -6 < /dev/null
    rm -f "$out.tmp/$name.raw.wav"
  fi
done < prompts.txt
rm -rf "$out" && mv "$out.tmp" "$out"
