# bench/slivers: epoxyd serving sliver sets to thousands of simulated nodes
# long-polling at once (bench/slivers/run.sh; epoxyd-pollers: OpenSSL,
# non-blocking on one epoll loop, one thread, one connection per node;
# net/httpc parses the answers).
HOST_PROGS += epoxyd-pollers
epoxyd-pollers_SRCS = bench/slivers/pollers.c
epoxyd-pollers_ARCHIVES := epoxy-net epoxy
epoxyd-pollers_LIBS = -lssl -lcrypto
