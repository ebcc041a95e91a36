# server/store.mk: epoxyd's store (SQLite embedded, PostgreSQL via libpq).
# Others link it with:  prog_SRCS += $(STORE_SRCS)   prog_LIBS += $(STORE_LIBS)
# STORE_SRCS includes the lib/ sources the store needs; a program that also
# lists lib/*.c itself should use $(sort ...) on the sum to drop duplicates.
# STORE_CORE_SRCS is the store without any lib/ source.
STORE_CORE_SRCS := server/store.c server/store_token.c server/store_data.c \
	server/store_sqlite.c server/migrations/schema.c
STORE_LIBS := -lsqlite3 -lmbedcrypto
ifeq ($(CONFIG_STORE_BACKEND_POSTGRES),0)
STORE_CORE_SRCS += server/store_nopg.c
else
STORE_CORE_SRCS += server/store_pg.c
STORE_LIBS += -lpq
endif
STORE_SRCS := $(STORE_CORE_SRCS) lib/err.c lib/hex.c lib/rand.c lib/sha256.c

UNIT_TESTS += test_store
test_store_SRCS := tests/unit/test_store.c tests/test.c $(STORE_SRCS)
test_store_LIBS := $(STORE_LIBS) -lpthread

HOST_PROGS += store-bench
store-bench_SRCS := bench/store/store_bench.c $(STORE_SRCS)
store-bench_LIBS := $(STORE_LIBS) -lpthread

FUZZ_TARGETS += fuzz_store
fuzz_store_SRCS := tests/fuzz/fuzz_store.c $(STORE_SRCS)
fuzz_store_LIBS := $(STORE_LIBS)

# libpq's header lives in its own directory on Debian
PQ_CFLAGS := $(shell pkg-config --cflags libpq 2>/dev/null || echo -I/usr/include/postgresql)
$(O)/host/server/store_pg.o $(O)/asan/server/store_pg.o $(O)/fuzz/server/store_pg.o: \
	CPPFLAGS += $(PQ_CFLAGS)
