#!/usr/bin/env bash
# Makes the control API's bearer token file ([api] token_file) if it is not
# there: 24 random bytes as 48 hex digits (`openssl rand`), readable by its
# owner only. An existing file is left alone, so running it again is safe.
#   ops/make_api_token.sh [FILE]     # default: tutti-api-token in the checkout
set -euo pipefail
file="${1:-$(dirname "$0")/../tutti-api-token}"
if [ -s "$file" ]; then
  exit 0
fi
umask 077
tmp="$(mktemp "$file.XXXXXX")"
openssl rand -hex 24 > "$tmp"
chmod 600 "$tmp"
mv "$tmp" "$file"
echo "setup: made the control API token $(realpath "$file") (mode 0600)"
