# store/: epoxyd's store (SQLite embedded, PostgreSQL via libpq), one
# interface (store/store.h), built as an archive per variant
# ($(O)/VARIANT/libepoxy-store.a); it includes only lib/ (docs/layering.md).
#
# A program links it with
#   PROG_ARCHIVES := ... epoxy-store ... epoxy   (lib/'s archive after it)
#   PROG_LIBS = $(STORE_LIBS) ...
# (with `=`: fragments that sort before this one read STORE_LIBS late)
ARCHIVES += epoxy-store
epoxy-store_SRCS := store/store.c store/store_token.c store/store_data.c \
	store/store_sqlite.c store/store_nodecert.c store/store_dbx.c \
	store/store_slice.c store/store_archive.c store/store_inventory.c \
	store/store_rollout.c store/store_usage.c \
	store/migrations/schema.c
STORE_LIBS := -lsqlite3 -lmbedcrypto
ifeq ($(CONFIG_STORE_BACKEND_POSTGRES),0)
epoxy-store_SRCS += store/store_nopg.c
else
epoxy-store_SRCS += store/store_pg.c
STORE_LIBS += -lpq
endif

UNIT_TESTS += test_store
test_store_SRCS := tests/unit/test_store.c tests/unit/test_store_slice.c \
	tests/unit/test_store_archive.c \
	tests/unit/test_store_rollout.c tests/unit/test_store_usage.c tests/test.c
test_store_ARCHIVES := epoxy-store epoxy
test_store_LIBS := $(STORE_LIBS) -lpthread

HOST_PROGS += store-bench
store-bench_SRCS := bench/store/store_bench.c
store-bench_ARCHIVES := epoxy-store epoxy
store-bench_LIBS := $(STORE_LIBS) -lpthread

FUZZ_TARGETS += fuzz_store
fuzz_store_SRCS := tests/fuzz/fuzz_store.c
fuzz_store_ARCHIVES := epoxy-store epoxy
fuzz_store_LIBS := $(STORE_LIBS)

FUZZ_TARGETS += fuzz_rollout
fuzz_rollout_SRCS := tests/fuzz/fuzz_rollout.c
fuzz_rollout_ARCHIVES := epoxy-store epoxy
fuzz_rollout_LIBS := $(STORE_LIBS)

# libpq's header lives in its own directory on Debian
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
$(O)/host/store/store_pg.o $(O)/asan/store/store_pg.o: \
	CPPFLAGS += $(PQ_CFLAGS)
