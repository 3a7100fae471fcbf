#!/usr/bin/env bash
# Makes the voice prompts, tones and music listed in prompts.txt as 48 kHz
# mono 16-bit WAVs in generated/ (espeak-ng for speech, sox for the rest).
# Quick (about 1 s for 60 prompts, one after another) and idempotent: does
# nothing when generated/ is newer than prompts.txt and this script.
set -euo pipefail
cd "$(dirname "$0")"
out=generated
if [ -d "$out" ] && [ "$out" -nt prompts.txt ] && [ "$out" -nt make_prompts.sh ] &&
  [ -n "$(ls -A "$out")" ]; then
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
  elif [ "${text:0:6}" = "music:" ]; then
    # One sox effects chain per note; ":" plays the chains one after another.
    # Each note fades in and out to silence so the file loops without a click;
    # vol 0.1 puts the sine's peak at -20 dBFS, well under speech.
    chains=()
    IFS=',' read -r -a notes <<< "${text:6}"
    for note in "${notes[@]}"; do
      chains+=(synth 0.5 sine "$note" fade h 0.015 0.5 0.45 vol 0.1 :)
    done
    unset 'chains[-1]'
    sox -n -r 48000 -c 1 -b 16 "$out.tmp/$name.wav" "${chains[@]}" < /dev/null
  else
    espeak-ng -v en-us -s 150 -w "$out.tmp/$name.raw.wav" "$text" < /dev/null
    # espeak-ng pads each utterance with ~0.4 s of silence; trimmed to 50 ms
    # so prompts played one after another (numbers) run together naturally.
    sox "$out.tmp/$name.raw.wav" -r 48000 -c 1 -b 16 "$out.tmp/$name.wav" norm -6 \
      silence 1 0.01 -50d reverse silence 1 0.01 -50d reverse pad 0.05 0.05 < /dev/null
    rm -f "$out.tmp/$name.raw.wav"
  fi
done < prompts.txt
rm -rf "$out" && mv "$out.tmp" "$out"
