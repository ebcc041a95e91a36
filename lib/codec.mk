# lib/codec.mk: the wire codec of lib/ (numbers, lowercase hex, names,
# percent-encoding, forms): its modules in lib/'s archive, its table test
# and its one fuzz target.
# (Kept apart from lib/module.mk while server/ is being split; merge then.)
epoxy_SRCS += lib/label.c lib/pct.c lib/form.c
CODEC_SRCS := lib/err.c lib/num.c lib/hex.c lib/label.c lib/pct.c lib/form.c

UNIT_TESTS += test_codec
test_codec_SRCS := tests/unit/test_codec.c tests/test.c $(CODEC_SRCS)

FUZZ_TARGETS += fuzz_codec
fuzz_codec_SRCS := tests/fuzz/fuzz_codec.c $(CODEC_SRCS)
# TRANSITION: before lib/ is an archive the agent links LIB_VERIFY_SRCS
LIB_VERIFY_SRCS += lib/label.c lib/pct.c lib/form.c
