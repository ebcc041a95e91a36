# shellcheck shell=bash
# dhcpnet.sh: the `net=` scenario key of tests/qemu/run-scenario (sourced
# by lib.sh, bash): the node's network (issue 17 point 2).
#
#   net=slirp     QEMU's user-mode network (the default): slirp's DHCP,
#                 restrict=on, guestfwd to epoxyd's two ports (lib.sh).
#   net=dnsmasq   a site network with a real DHCP server: a network
#                 namespace made for the run holds a bridge, the node's tap
#                 device and Debian's dnsmasq, which serves what a fleet's
#                 DHCP server serves: the HTTPS boot URL to UEFI HTTP
#                 clients (vendor class HTTPClient), the plain-HTTP stage0
#                 URL to iPXE (user class iPXE) with iPXE's encapsulated
#                 option 175.176 (no-pxedhcp) so that iPXE does not wait
#                 for ProxyDHCP offers, IPv6 router advertisements
#                 (ra-only: without them iPXE waits for its router
#                 solicitations to time out before it boots), no DNS.
#                 QEMU runs inside the
#                 namespace (-netdev tap).  epoxyd stays on the host's
#                 loopback: in the namespace, socat listens on
#                 10.0.2.100:8443 and :8080 and joins each connection to a
#                 Unix socket in the work dir, where a socat on the host
#                 side connects to epoxyd's port.
#
# Guarantees: the node reaches nothing but epoxyd's two ports, as with
# slirp's restrict=on: the namespace has no route and no interface but its
# loopback, the bridge and the tap, and the only way out of it is the two
# Unix sockets; no host interface is touched.  Everything made (the
# namespace, its processes, the sockets) is removed on every exit path.

QEMU_SCN_KEYS+=" net "
DHCPNET_NS=""

dhcpnet_check() { # scenario sanity: net=slirp|dnsmasq
  case ${S[net]:-slirp} in slirp|dnsmasq) ;; *) return 1;; esac
}
dhcpnet_on() { [ "${S[net]:-slirp}" = dnsmasq ]; }
dhcpnet_pieces() {
  dhcpnet_on || return 0
  local p
  for p in dnsmasq ip; do
    command -v $p >/dev/null || PIECES_MISSING="$PIECES_MISSING $p(package)"
  done
}

# dhcpnet_netdev: QEMU's -netdev value
# (vnet_hdr=off: the guest.pcap dump then holds plain Ethernet frames)
dhcpnet_netdev() { echo "tap,id=n0,ifname=tap0,script=no,downscript=no,vnet_hdr=off"; }
# dhcpnet_exec: the prefix that runs a program inside the namespace
dhcpnet_exec() { echo ip netns exec "$DHCPNET_NS"; }

# dhcpnet_wait_sock PATH: until the Unix socket exists (a second at most)
dhcpnet_wait_sock() {
  local _
  for _ in $(seq 1 50); do [ -S "$1" ] && return 0; sleep 0.02; done
  return 1
}

# dhcpnet_start: after epoxyd runs (its ports are known), before QEMU
dhcpnet_start() {
  dhcpnet_on || return 0
  local ns="epx-$$-${S[name]:0:20}" n=$W/net boot port
  DHCPNET_NS=$ns
  mkdir -p "$n"
  ip netns add "$ns" || return 1
  ip -n "$ns" link set lo up &&
    ip -n "$ns" link add br0 type bridge &&
    ip -n "$ns" tuntap add dev tap0 mode tap &&
    ip -n "$ns" link set tap0 master br0 &&
    ip -n "$ns" addr add 10.0.2.2/24 dev br0 &&
    ip -n "$ns" addr add 10.0.2.100/24 dev br0 &&
    ip -n "$ns" addr add fd00:e90::2/64 dev br0 nodad &&
    ip -n "$ns" link set tap0 up && ip -n "$ns" link set br0 up || return 1
  for port in 8443 8080; do
    case $port in 8443) boot=$HTTPS_PORT;; 8080) boot=$HTTP_PORT;; esac
    socat "UNIX-LISTEN:$n/$port.sock,fork,unlink-early,mode=600" "TCP:127.0.0.1:$boot" \
      2>>"$n/socat.log" &
    PIDS+=($!)
    dhcpnet_wait_sock "$n/$port.sock" || return 1
    ip netns exec "$ns" socat "TCP-LISTEN:$port,bind=10.0.2.100,fork,reuseaddr" \
      "UNIX-CONNECT:$n/$port.sock" 2>>"$n/socat.log" &
    PIDS+=($!)
  done
  # the boot file a UEFI HTTP client is told (its fallback options follow
  # it; Boot0080 holds its own URI) and the one iPXE is told
  if [ "${S[boot_path]:-ipxe}" = direct ]; then boot=https://10.0.2.100:8443/boot/stage1.efi
  else boot=https://10.0.2.100:8443/boot/stage0; fi
  ip netns exec "$ns" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
    --interface=br0 --bind-interfaces --except-interface=lo \
    --dhcp-range=10.0.2.15,10.0.2.15,255.255.255.0,1h \
    --dhcp-host="${S[mac]},10.0.2.15" --dhcp-leasefile="$n/leases" \
    --dhcp-vendorclass=set:efihttp,HTTPClient \
    --dhcp-option-force=tag:efihttp,60,HTTPClient \
    --dhcp-boot=tag:efihttp,"$boot" \
    --dhcp-userclass=set:ipxe,iPXE \
    --dhcp-boot=tag:ipxe,http://10.0.2.100:8080/boot/stage0 \
    --dhcp-option=tag:ipxe,encap:175,176,1b \
    --enable-ra --dhcp-range=fd00:e90::,ra-only,64 \
    --log-dhcp --log-facility="$n/dnsmasq.log" --pid-file="$n/dnsmasq.pid" \
    >>"$n/dnsmasq.out" 2>&1 &
  PIDS+=($!)
  sleep 0.3
  kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$n/dnsmasq.out" >&2; return 1; }
}

# dhcpnet_cleanup: the namespace (its processes are in PIDS, killed first)
dhcpnet_cleanup() {
  [ -n "$DHCPNET_NS" ] || return 0
  ip netns del "$DHCPNET_NS" 2>/dev/null
  DHCPNET_NS=""
}

# dhcpnet_check_log: TAP lines on what dnsmasq handed out
dhcpnet_check_log() {
  dhcpnet_on || return 0
  local l=$W/net/dnsmasq.log
  if grep -q 'DHCPACK(br0) 10.0.2.15' "$l" 2>/dev/null; then
    pass "dnsmasq leased 10.0.2.15 to the node"
  else
    fail "dnsmasq leased 10.0.2.15 to the node" "see $l"
  fi
  if [ "${S[boot_path]:-ipxe}" = direct ]; then
    if grep -qE 'tags: .*ipxe' "$l" 2>/dev/null; then fail "dnsmasq never saw iPXE (direct path)" "see $l"
    else pass "dnsmasq never saw iPXE (direct path)"; fi
  elif grep -qE 'tags: .*ipxe' "$l" 2>/dev/null; then
    pass "dnsmasq answered iPXE (user class iPXE: stage0 URL, no-pxedhcp)"
  else
    fail "dnsmasq answered iPXE" "see $l"
  fi
}
