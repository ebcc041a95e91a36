#!/bin/bash
# t_tls: what the HTTPS listener accepts with the RSA certificate that OVMF
# needs: forward secrecy only (ECDHE, or DHE-RSA over RFC 7919 ffdhe2048 for
# OVMF's offer, captured from Debian 12's edk2), never static-RSA key exchange.
. "$(dirname "$0")/../lib/epoxyd.sh"

# OVMF's HTTPS-boot ClientHello (edk2 2022.11, captured in happy-uefi with
# tshark): TLS 1.2, no supported_groups, these suites in this order
OVMF='DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256'
OVMF+=':DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA:DHE-RSA-AES128-SHA'
OVMF+=':AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA'
STATIC='AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA256:AES128-SHA256:AES256-SHA:AES128-SHA'

# hello NAME S_CLIENT-ARGS...: one handshake; its output in T_DIR/NAME
hello() {
  local name=$1; shift
  openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername epoxy.test \
    -CAfile "$CA_CRT" "$@" </dev/null >"$T_DIR/$name" 2>&1
}
cipher() { sed -n 's/.*Cipher is \([^ ]*\).*/\1/p' "$T_DIR/$1" | head -1; }
temp_key() { sed -n 's/^Server Temp Key: //p' "$T_DIR/$1" | head -1; }

PKI_RSA=1 epoxyd_setup || bail "set-up"
openssl x509 -in "$TLS_CERT" -noout -text | grep -q 'rsaEncryption'
ok $? "the server certificate is RSA (as OVMF needs)"
epoxyd_start || bail "epoxyd did not start" "$(cat "$T_DIR/epoxyd.log")"

hello ovmf -tls1_2 -cipher "$OVMF"
is "$(cipher ovmf)" DHE-RSA-AES256-GCM-SHA384 "OVMF's offer gets DHE-RSA (forward secrecy)"
is "$(temp_key ovmf)" "DH, 2048 bits" "... over a 2048-bit group"
hello ovmf-nogroups -tls1_2 -groups X25519 -cipher "$OVMF"
is "$(cipher ovmf-nogroups)" DHE-RSA-AES256-GCM-SHA384 \
  "... also when the client names no finite-field group (as OVMF does not)"
hello static -tls1_2 -cipher "$STATIC"
is "$(cipher static)" "(NONE)" "only static-RSA suites offered: no handshake"
hello ecdhe -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
is "$(cipher ecdhe)" ECDHE-RSA-AES128-GCM-SHA256 "ECDHE-RSA over TLS 1.2"
hello tls13 -tls1_3
grep -q 'TLSv1.3' "$T_DIR/tls13"; ok $? "TLS 1.3" "$(head -c 600 "$T_DIR/tls13")"
hello tls11 -tls1_1 -cipher 'ALL:@SECLEVEL=0'
is "$(cipher tls11)" "(NONE)" "TLS 1.1: no handshake"

# the operator's tls_priorities cannot bring static RSA back
epoxyd_stop
epoxyd_start -o 'tls_priorities=NORMAL:+RSA' || bail "epoxyd did not restart" "$(tail -5 "$T_DIR/epoxyd.log")"
hello static2 -tls1_2 -cipher "$STATIC"
is "$(cipher static2)" "(NONE)" "tls_priorities with +RSA: static RSA still refused"
hello ovmf2 -tls1_2 -cipher "$OVMF"
is "$(cipher ovmf2)" DHE-RSA-AES256-GCM-SHA384 "... and OVMF's offer still gets DHE-RSA"
is "$(hs_code /healthz)" 200 "healthz over HTTPS"
done_testing
