# lib/: code shared by the agent, the server and the CLI.  One home, linked
# into every program that needs it, never copied.
#
# What other fragments link (see docs/manifest.md, docs/keys.md):
#   LIB_VERIFY_SRCS   verification only, no signing code: the agent links
#                     these (plain mbedTLS 2.28 API, musl-clean)
#   LIB_SIGN_SRCS     private keys and signing (host programs only)
#   LIB_CRYPTO_LIBS   what host builds link for mbedTLS's crypto
LIB_SRCS := lib/err.c
LIB_VERIFY_SRCS := lib/err.c lib/file.c lib/hex.c lib/num.c lib/rand.c lib/sha256.c \
	lib/doc.c lib/sig.c lib/keyset.c lib/manifest.c lib/statement.c
LIB_SIGN_SRCS := lib/sign.c
LIB_CRYPTO_LIBS := -lmbedcrypto

UNIT_TESTS += test_err
test_err_SRCS := tests/unit/test_err.c tests/test.c lib/err.c

# table tests of the trust library (keys generated at test time by the
# fixture in tests/keys/)
TRUST_TEST_SRCS := tests/test.c tests/keys/fixture.c $(LIB_VERIFY_SRCS) $(LIB_SIGN_SRCS)
UNIT_TESTS += test_manifest
test_manifest_SRCS := tests/unit/test_manifest.c $(TRUST_TEST_SRCS)
test_manifest_LIBS := $(LIB_CRYPTO_LIBS)
UNIT_TESTS += test_hex test_doc test_sign
test_hex_SRCS := tests/unit/test_hex.c tests/test.c lib/hex.c lib/num.c
test_doc_SRCS := tests/unit/test_doc.c tests/test.c $(LIB_VERIFY_SRCS)
test_doc_LIBS := $(LIB_CRYPTO_LIBS)
test_sign_SRCS := tests/unit/test_sign.c $(TRUST_TEST_SRCS)
test_sign_LIBS := $(LIB_CRYPTO_LIBS)
UNIT_TESTS += test_keyset
test_keyset_SRCS := tests/unit/test_keyset.c tests/keys/expand.c $(TRUST_TEST_SRCS)
test_keyset_LIBS := $(LIB_CRYPTO_LIBS)
UNIT_TESTS += test_statement
test_statement_SRCS := tests/unit/test_statement.c tests/keys/expand.c $(TRUST_TEST_SRCS)
test_statement_LIBS := $(LIB_CRYPTO_LIBS)

# public test vectors for the fuzz seed corpora (run by hand, see
# tests/keys/gen_vectors.c); keys are temporary, only public data is written
.PHONY: trust-vectors
trust-vectors: $(O)/bin/gen_vectors
	@rm -rf $(O)/vectors && mkdir -p $(O)/vectors
	$(O)/bin/gen_vectors $(O)/vectors
$(O)/bin/gen_vectors: $(patsubst %.c,$(O)/host/%.o,tests/keys/gen_vectors.c tests/keys/expand.c tests/keys/fixture.c $(LIB_VERIFY_SRCS) $(LIB_SIGN_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_CRYPTO_LIBS)

# fuzz targets of the trust library's parsers (seed corpora of valid and
# near-valid documents in tests/fuzz/corpus/<target>/, made with
# trust-vectors from public keys only)
FUZZ_TARGETS += fuzz_manifest fuzz_keyset fuzz_statement
fuzz_manifest_SRCS := tests/fuzz/fuzz_manifest.c $(LIB_VERIFY_SRCS)
fuzz_manifest_LIBS := $(LIB_CRYPTO_LIBS)
fuzz_keyset_SRCS := tests/fuzz/fuzz_keyset.c $(LIB_VERIFY_SRCS)
fuzz_keyset_LIBS := $(LIB_CRYPTO_LIBS)
fuzz_statement_SRCS := tests/fuzz/fuzz_statement.c $(LIB_VERIFY_SRCS)
fuzz_statement_LIBS := $(LIB_CRYPTO_LIBS)
# verification only, against committed public vectors (as the agent links)
UNIT_TESTS += test_sig
test_sig_SRCS := tests/unit/test_sig.c tests/test.c $(LIB_VERIFY_SRCS)
test_sig_LIBS := $(LIB_CRYPTO_LIBS)
