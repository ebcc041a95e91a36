# bench/server: epoxyd benchmarks (bench/server/run.sh): artifact throughput
# against nginx, and a boot storm (epoxyd-storm, a libcurl client; its
# "join" mode simulates a fleet for tests/server/t_rollout.sh).
HOST_PROGS += epoxyd-storm
epoxyd-storm_SRCS = bench/server/storm_bench.c
epoxyd-storm_LIBS = -lcurl -lpthread -lmbedx509 -lmbedcrypto
