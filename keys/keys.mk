# keys/: the fleet's keys.  Offline release signing (`release sign|verify`,
# keys/relsign.c), release keys and the keyset (`keys ...`,
# keys/keytool.c), and the PKI tool keys/epoxy-pki (fleet CA, server
# certificate, UEFI Secure Boot PK/KEK/db).  See docs/keys.md.
#
# The offline commands are an archive per variant
# ($(O)/VARIANT/libepoxy-keytools.a, lib/ only) that two front ends link:
# epoxyctl (ctl/ctl.mk) and epoxy-keys below.
ARCHIVES += epoxy-keytools
epoxy-keytools_SRCS := keys/relsign.c keys/keytool.c keys/kfile.c

# epoxy-keys: the same offline commands without the network client, for
# the air-gapped signing machine
HOST_PROGS += epoxy-keys
epoxy-keys_SRCS := keys/epoxy_keys.c
epoxy-keys_ARCHIVES := epoxy-keytools epoxy-sign epoxy
epoxy-keys_LIBS := $(LIB_CRYPTO_LIBS)

# The development key set, made once per build directory (< 10 s):
#   $(O)/keys/ ca.key ca.crt ca.der ca.esl ca-bundle.pem server.key server.crt
#   PK|KEK|db .key .crt .der .esl .auth, owner.guid,
#   kexec.key kexec.crt kexec.der kexec-trust.pem (signs production kernels;
#   not a Secure Boot key),
#   release-1..3.key (+ .pub; threshold 2), online.key (+ .pub), keyset
# Order-only prerequisites: rebuilding a tool never replaces the keys.
# `make dev-keys` makes them; remove $(O)/keys to start over.
DEV_KEYS_DIR := $(O)/keys
CHECK_DEPS += $(DEV_KEYS_DIR)/.stamp
.PHONY: dev-keys
dev-keys: $(DEV_KEYS_DIR)/.stamp
$(DEV_KEYS_DIR)/.stamp: | $(O)/bin/epoxy-keys $(CONFIG_H)
	@rm -rf $(DEV_KEYS_DIR).tmp $(DEV_KEYS_DIR)
	keys/epoxy-pki all $(DEV_KEYS_DIR).tmp --name $(or $(CONFIG_SERVER_NAME),epoxy.test) \
		--addr $(or $(CONFIG_SERVER_ADDR),10.0.2.100) >/dev/null
	$(O)/bin/epoxy-keys dev $(DEV_KEYS_DIR).tmp --release-keys 3 --threshold 2 >/dev/null
	@touch $(DEV_KEYS_DIR).tmp/.stamp
	@mv $(DEV_KEYS_DIR).tmp $(DEV_KEYS_DIR)
	@echo "dev keys in $(DEV_KEYS_DIR) (development only; see docs/keys.md)"
# dev keys made before the node CA existed (issue 14) get it added, under
# their own fleet CA; nothing else of them changes
CHECK_DEPS += $(DEV_KEYS_DIR)/node-ca.crt
dev-keys: $(DEV_KEYS_DIR)/node-ca.crt
$(DEV_KEYS_DIR)/node-ca.crt: | $(DEV_KEYS_DIR)/.stamp
	keys/epoxy-pki node-ca $(DEV_KEYS_DIR) >/dev/null

# what epoxy-pki makes, checked by the parts that consume it (mbedTLS, EFI
# signature list layout)
UNIT_TESTS += test_pki
test_pki_SRCS := tests/keys/test_pki.c tests/test.c
test_pki_LIBS := -lmbedx509 -lmbedcrypto
