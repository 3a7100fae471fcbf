#!/usr/bin/env bash
# Makes a self-signed certificate for SIP over TLS when none is there:
# ops/tls/generated/tutti-{cert,key}.pem, the paths of [sip] tls_certificate
# and tls_private_key in ops/tutti.toml. For trying TLS on one machine
# (clients must accept it, e.g. baresip with sip_verify_server no); a bridge
# on a public address needs a certificate from a CA its callers trust.
#   ops/tls/make_certificate.sh [host-or-ip [dir]]   (default 127.0.0.1, ops/tls/generated)
# The Debian package's postinst makes its pair in /etc/tutti/tls this way.
set -euo pipefail
dir="${2:-$(cd "$(dirname "$0")" && pwd)/generated}"
name="${1:-127.0.0.1}"
[ -s "$dir/tutti-cert.pem" ] && [ -s "$dir/tutti-key.pem" ] && exit 0
mkdir -p "$dir"
if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then san="IP:$name"; else san="DNS:$name"; fi
umask 077  # the key is readable by its owner only
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
  -subj "/CN=$name" -addext "subjectAltName=$san" \
  -keyout "$dir/tutti-key.pem" -out "$dir/tutti-cert.pem" 2>/dev/null
chmod 644 "$dir/tutti-cert.pem"
echo "setup: made a self-signed TLS certificate for $name in $dir"
