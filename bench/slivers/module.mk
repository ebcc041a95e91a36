# bench/slivers: epoxyd serving sliver sets to thousands of simulated nodes
# long-polling at once (bench/slivers/run.sh; epoxyd-pollers: libcurl's
# multi-socket API on epoll, one thread, one connection per node).
HOST_PROGS += epoxyd-pollers
epoxyd-pollers_SRCS = bench/slivers/pollers.c
epoxyd-pollers_LIBS = -lcurl
