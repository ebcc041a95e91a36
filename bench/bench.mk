# bench/: one entry for every benchmark (issue 11 point 7).
#   make bench          build what every benchmark needs, run them all, each
#                       side by side with its anchor in one run, and write
#                       one report: $(O)/bench/report/report.txt (text) and
#                       the plots next to it
#   make bench-NAME     one of them (its section of the report is replaced)
# NAME: agent (the agent's download against curl), server (epoxyd against
# nginx, and a boot storm), store (SQLite against PostgreSQL), tcpinfo
# (epoxy-tcpinfo against ss -tin), pusher (epoxy-pusher against tar czf +
# curl --upload-file), slivers (5,000 nodes long-polling epoxyd's sliver
# sets: memory, change propagation), nm (epoxy-nm reconciling 1, 10 and 100
# slivers with crun against a shell loop of the same crun calls), chain (the QEMU chain against the
# -kernel/-initrd floor: minutes; needs the images).  Each bench keeps its
# own script (bench/NAME/run.sh); bench/run.sh runs them and collects.
# Knobs passed through: BENCH_MB, BENCH_RUNS, BENCH_NODES, BENCH_CONNS ...
BENCHES := agent server store tcpinfo pusher slivers nm chain
# what each needs beyond `all` (read at recipe time: other fragments
# define some of these names after this one)
BENCH_NEEDS_agent = $(O)/agent-test/sha256bench $(O)/agent-test/gcmbench
BENCH_NEEDS_server =
BENCH_NEEDS_store =
BENCH_NEEDS_tcpinfo = $(O)/bench/tcpinfo-conns
BENCH_NEEDS_pusher =
BENCH_NEEDS_slivers =
BENCH_NEEDS_nm =
BENCH_NEEDS_chain = $(QEMU_NEEDS)

.PHONY: bench $(addprefix bench-,$(BENCHES))
bench: deps-quick
	@$(MAKE) --no-print-directory all $(foreach b,$(BENCHES),$(BENCH_NEEDS_$(b)))
	@bench/run.sh $(BENCHES)
$(addprefix bench-,$(BENCHES)): bench-%: deps-quick
	@$(MAKE) --no-print-directory all $(BENCH_NEEDS_$*)
	@bench/run.sh $*
