# lib/: code shared by the agent, the server, the CLI and the key tools.
# One home, linked into every program that needs it, never copied; it
# includes nothing else of ours (docs/layering.md).
#
# Two archives per variant (ARCHIVES in the Makefile), so the link keeps
# verifying and signing code apart (docs/manifest.md, docs/keys.md):
#   epoxy         $(O)/VARIANT/libepoxy.a: everything without a private
#                 key (errors, files, randomness, SHA-256, documents,
#                 signature verification, keyset, manifest, statement,
#                 the admin API's records, and the wire codec: numbers,
#                 hex, names, %-escapes, forms, prefixed lines).  The agent
#                 links only this one (musl, plain mbedTLS 2.28 API).
#   epoxy-sign    $(O)/VARIANT/libepoxy-sign.a: private keys and signing
#                 (host programs only, never the agent)
# A program names them after every archive that calls into them:
#   PROG_ARCHIVES := ... epoxy-sign epoxy   PROG_LIBS += $(LIB_CRYPTO_LIBS)
ARCHIVES += epoxy epoxy-sign
epoxy_SRCS := lib/err.c lib/file.c lib/hex.c lib/num.c lib/rand.c lib/sha256.c \
	lib/doc.c lib/sig.c lib/keyset.c lib/manifest.c lib/statement.c \
	lib/record.c lib/label.c lib/pct.c lib/form.c lib/line.c lib/dbx.c lib/efivarfs.c \
	lib/sliverset.c lib/grant.c lib/ticket.c lib/inventory.c lib/usage.c lib/bundlename.c \
	lib/logline.c
epoxy-sign_SRCS := lib/sign.c
LIB_CRYPTO_LIBS := -lmbedcrypto

UNIT_TESTS += test_err
test_err_SRCS := tests/unit/test_err.c tests/test.c
test_err_ARCHIVES := epoxy

# the wire codec (num, hex, label, pct, form, line): one table test, one fuzz
# target over all of them (seed corpus tests/fuzz/corpus/fuzz_codec/)
UNIT_TESTS += test_codec
test_codec_SRCS := tests/unit/test_codec.c tests/test.c
test_codec_ARCHIVES := epoxy
FUZZ_TARGETS += fuzz_codec
fuzz_codec_SRCS := tests/fuzz/fuzz_codec.c
fuzz_codec_ARCHIVES := epoxy

# log lines written whole (one write(2) a line): table test
UNIT_TESTS += test_logline
test_logline_SRCS := tests/unit/test_logline.c tests/test.c
test_logline_ARCHIVES := epoxy

# a bundle's archive name (M-Lab's layout): table test and fuzz target
UNIT_TESTS += test_bundlename
test_bundlename_SRCS := tests/unit/test_bundlename.c tests/test.c
test_bundlename_ARCHIVES := epoxy
FUZZ_TARGETS += fuzz_bundlename
fuzz_bundlename_SRCS := tests/fuzz/fuzz_bundlename.c
fuzz_bundlename_ARCHIVES := epoxy

# table tests of the trust library (keys generated at test time by the
# fixture in tests/keys/)
TRUST_TEST_SRCS := tests/test.c tests/keys/fixture.c
TRUST_TEST_ARCHIVES := epoxy-sign epoxy
UNIT_TESTS += test_manifest
test_manifest_SRCS := tests/unit/test_manifest.c $(TRUST_TEST_SRCS)
test_manifest_LIBS := $(LIB_CRYPTO_LIBS)
test_manifest_ARCHIVES := $(TRUST_TEST_ARCHIVES)
UNIT_TESTS += test_doc test_sign
test_doc_SRCS := tests/unit/test_doc.c tests/test.c
test_doc_ARCHIVES := epoxy
test_doc_LIBS := $(LIB_CRYPTO_LIBS)
test_sign_SRCS := tests/unit/test_sign.c $(TRUST_TEST_SRCS)
test_sign_LIBS := $(LIB_CRYPTO_LIBS)
test_sign_ARCHIVES := $(TRUST_TEST_ARCHIVES)
UNIT_TESTS += test_keyset
test_keyset_SRCS := tests/unit/test_keyset.c tests/keys/expand.c $(TRUST_TEST_SRCS)
test_keyset_LIBS := $(LIB_CRYPTO_LIBS)
test_keyset_ARCHIVES := $(TRUST_TEST_ARCHIVES)
UNIT_TESTS += test_dbx
test_dbx_SRCS := tests/unit/test_dbx.c tests/test.c
test_dbx_ARCHIVES := epoxy
FUZZ_TARGETS += fuzz_dbx
fuzz_dbx_SRCS := tests/fuzz/fuzz_dbx.c
fuzz_dbx_ARCHIVES := epoxy
# the inventory report a node sends with its session (issue 16 point 3);
# its table test is test_inventory (stage2/agent.mk, with the collector)
FUZZ_TARGETS += fuzz_inventory
fuzz_inventory_SRCS := tests/fuzz/fuzz_inventory.c
fuzz_inventory_ARCHIVES := epoxy
# a slice's grants (issue 14 point 6): lib/grant.h's one spelling and path
# rule; fuzzed through fuzz_sliverset's grants line and fuzz_priv
UNIT_TESTS += test_grant
test_grant_SRCS := tests/unit/test_grant.c tests/test.c
test_grant_ARCHIVES := epoxy
# the signed sliver set and ticket (issue 14): one table test, a fuzz
# target each (seed corpora tests/fuzz/corpus/fuzz_sliverset/, fuzz_ticket/)
UNIT_TESTS += test_sliverset
test_sliverset_SRCS := tests/unit/test_sliverset.c $(TRUST_TEST_SRCS)
test_sliverset_LIBS := $(LIB_CRYPTO_LIBS)
test_sliverset_ARCHIVES := $(TRUST_TEST_ARCHIVES)
FUZZ_TARGETS += fuzz_sliverset fuzz_ticket
fuzz_sliverset_SRCS := tests/fuzz/fuzz_sliverset.c
fuzz_sliverset_ARCHIVES := epoxy
fuzz_sliverset_LIBS := $(LIB_CRYPTO_LIBS)
fuzz_ticket_SRCS := tests/fuzz/fuzz_ticket.c
fuzz_ticket_ARCHIVES := epoxy
fuzz_ticket_LIBS := $(LIB_CRYPTO_LIBS)
# the heartbeat's usage line (issue 14 point 7): a table test and a fuzz
# target (seed corpus tests/fuzz/corpus/fuzz_usage/)
UNIT_TESTS += test_usage
test_usage_SRCS := tests/unit/test_usage.c tests/test.c
test_usage_ARCHIVES := epoxy
test_usage_LIBS := $(LIB_CRYPTO_LIBS)
FUZZ_TARGETS += fuzz_usage
fuzz_usage_SRCS := tests/fuzz/fuzz_usage.c
fuzz_usage_ARCHIVES := epoxy
fuzz_usage_LIBS := $(LIB_CRYPTO_LIBS)

UNIT_TESTS += test_statement
test_statement_SRCS := tests/unit/test_statement.c tests/keys/expand.c $(TRUST_TEST_SRCS)
test_statement_LIBS := $(LIB_CRYPTO_LIBS)
test_statement_ARCHIVES := $(TRUST_TEST_ARCHIVES)

# public test vectors for the fuzz seed corpora (run by hand, see
# tests/keys/gen_vectors.c); keys are temporary, only public data is written
.PHONY: trust-vectors
trust-vectors: $(O)/bin/gen_vectors
	@rm -rf $(O)/vectors && mkdir -p $(O)/vectors
	$(O)/bin/gen_vectors $(O)/vectors
$(O)/bin/gen_vectors: $(patsubst %.c,$(O)/host/%.o,tests/keys/gen_vectors.c tests/keys/expand.c tests/keys/fixture.c) \
		$(O)/host/libepoxy-sign.a $(O)/host/libepoxy.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIB_CRYPTO_LIBS)

# fuzz targets of the trust library's parsers (seed corpora of valid and
# near-valid documents in tests/fuzz/corpus/<target>/, made with
# trust-vectors from public keys only)
FUZZ_TARGETS += fuzz_manifest fuzz_keyset fuzz_statement
fuzz_manifest_SRCS := tests/fuzz/fuzz_manifest.c
fuzz_manifest_ARCHIVES := epoxy
fuzz_manifest_LIBS := $(LIB_CRYPTO_LIBS)
fuzz_keyset_SRCS := tests/fuzz/fuzz_keyset.c
fuzz_keyset_ARCHIVES := epoxy
fuzz_keyset_LIBS := $(LIB_CRYPTO_LIBS)
fuzz_statement_SRCS := tests/fuzz/fuzz_statement.c
fuzz_statement_ARCHIVES := epoxy
fuzz_statement_LIBS := $(LIB_CRYPTO_LIBS)
# verification only, against committed public vectors (as the agent links)
UNIT_TESTS += test_sig
test_sig_SRCS := tests/unit/test_sig.c tests/test.c
test_sig_ARCHIVES := epoxy
test_sig_LIBS := $(LIB_CRYPTO_LIBS)

# the admin API's record codec, which epoxyd and epoxyctl run on untrusted
# bytes: a table of valid and malformed lines, hostile round trips, caps
UNIT_TESTS += test_record
test_record_SRCS := tests/unit/test_record.c tests/test.c
test_record_ARCHIVES := epoxy
