# net/: the HTTPS client library of the agent and the node services (TLS
# with a pinned CA and an optional client certificate, HTTP/1.1 with caps
# and deadlines, retries and outage waits, Range resume).  One copy, built
# as an archive per variant ($(O)/{host,asan,musl}/libepoxy-net.a);
# it includes only lib/ and mbedTLS (docs/layering.md).
#
# A program links it with
#   PROG_ARCHIVES := ... epoxy-net epoxy (lib/'s archive after it)
#   PROG_LIBS += $(NET_LIBS)             (Debian's mbedTLS on the host)
# The agent links the musl archive (stage2/agent.mk).
ARCHIVES += epoxy-net
epoxy-net_SRCS := net/tls.c net/httpc.c net/chunked.c net/https.c net/retry.c
NET_LIBS := -lmbedtls -lmbedx509 -lmbedcrypto

# mutual TLS and the client's transport against an in-process server with
# a throw-away CA and certificates made by openssl at test time
UNIT_TESTS += test_net_tls
test_net_tls_SRCS := tests/unit/test_net_tls.c tests/test.c
test_net_tls_ARCHIVES := epoxy-net epoxy
test_net_tls_LIBS := $(NET_LIBS) -lpthread

# the response-head parser and the chunked decoder
FUZZ_TARGETS += fuzz_httpc fuzz_chunked
fuzz_httpc_SRCS := tests/fuzz/fuzz_httpc.c
fuzz_httpc_ARCHIVES := epoxy-net epoxy
fuzz_httpc_LIBS := $(NET_LIBS)
fuzz_chunked_SRCS := tests/fuzz/fuzz_chunked.c
fuzz_chunked_ARCHIVES := epoxy-net epoxy
fuzz_chunked_LIBS := $(NET_LIBS)

# the TLS records' AES-GCM (net/aesgcm.c; in the musl build it joins the
# agent's mbedTLS, stage2/agent.mk) against Debian's mbedTLS GCM
UNIT_TESTS += test_net_aesgcm
test_net_aesgcm_SRCS := tests/unit/test_net_aesgcm.c net/aesgcm.c tests/test.c
test_net_aesgcm_LIBS := $(NET_LIBS)
