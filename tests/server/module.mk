# tests/server: loopback tests of epoxyd (t_*.sh) and their seed helper.
HOST_PROGS += epoxyd-seed
epoxyd-seed_SRCS := tests/server/seed.c
epoxyd-seed_ARCHIVES := epoxy-store epoxy-sign epoxy
epoxyd-seed_LIBS = $(STORE_LIBS) $(LIB_CRYPTO_LIBS)
CHECK_DEPS += $(O)/bin/epoxyd $(O)/bin/epoxyd-seed
# the slow-client attack of t_slow.sh (issue 13 point 7)
HOST_PROGS += epoxyd-slowloris
epoxyd-slowloris_SRCS := tests/server/slowloris.c
CHECK_DEPS += $(O)/bin/epoxyd-slowloris
