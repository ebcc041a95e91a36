# tests/server: loopback tests of epoxyd (t_*.sh) and their seed helper.
HOST_PROGS += epoxyd-seed
epoxyd-seed_SRCS = $(sort tests/server/seed.c $(STORE_SRCS) $(LIB_VERIFY_SRCS) $(LIB_SIGN_SRCS))
epoxyd-seed_LIBS = $(STORE_LIBS) $(LIB_CRYPTO_LIBS)
CHECK_DEPS += $(O)/bin/epoxyd $(O)/bin/epoxyd-seed
