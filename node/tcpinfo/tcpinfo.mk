# node/tcpinfo/: epoxy-tcpinfo, the node's TCP_INFO sampler (issue 15,
# point 1).  sock_diag netlink, libzstd (Debian's libzstd-dev).
#   make build/bin/epoxy-tcpinfo    the program
#   make bench-tcpinfo              bench/tcpinfo/run.sh (bench/bench.mk)
TCPINFO_MODS := node/tcpinfo/tcpinfo_nl.c node/tcpinfo/tcpinfo_rec.c \
	node/tcpinfo/tcpinfo_out.c node/tcpinfo/tcpinfo_track.c \
	node/tcpinfo/tcpinfo_ev.c node/tcpinfo/tcpinfo_metrics.c
TCPINFO_LIBS := -lzstd

HOST_PROGS += epoxy-tcpinfo
# --priv: epoxy-priv's client (node/priv/privc.c), the one reader of its
# answers
epoxy-tcpinfo_SRCS := node/tcpinfo/tcpinfo.c $(TCPINFO_MODS) node/priv/privc.c
epoxy-tcpinfo_ARCHIVES := epoxy
epoxy-tcpinfo_LIBS := $(TCPINFO_LIBS)

# the netlink parser's table of malformed messages, the record writer and
# the tracker (change detection, counters, open/close, rotation)
UNIT_TESTS += test_tcpinfo
test_tcpinfo_SRCS := tests/unit/test_tcpinfo.c tests/unit/test_tcpinfo_track.c tests/test.c $(TCPINFO_MODS)
test_tcpinfo_ARCHIVES := epoxy
test_tcpinfo_LIBS := $(TCPINFO_LIBS)

# netlink batches through the parser and the record writer
FUZZ_TARGETS += fuzz_tcpinfo
fuzz_tcpinfo_SRCS := tests/node/fuzz_tcpinfo.c $(TCPINFO_MODS)
fuzz_tcpinfo_ARCHIVES := epoxy
fuzz_tcpinfo_LIBS := $(TCPINFO_LIBS)

# the bench's connection holder (N loopback connections, some of them busy)
$(O)/bench/tcpinfo-conns: $(O)/host/bench/tcpinfo/conns.o
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^
