# node/priv/: epoxy-priv, privileged operations for slices (issue 14
# point 6, PlanetLab's Proper made small).
#
# Static with musl, like epoxy-nm (node/nm/nm.mk), so the production
# initramfs carries it without a shared library; it needs no TLS and no
# kernel headers (the few kernel ABI values it uses are spelled in
# priv_srv.c and priv.c), only lib/'s archive.  The unit tests and the fuzz
# target build the same modules in the asan variant.
#   make build/bin/epoxy-priv         the program
#   tests/node/t_priv.sh              the service as root, in a netns
PRIV_MODS := node/priv/priv_req.c node/priv/priv_grants.c node/priv/priv_srv.c \
	node/priv/privc.c

MUSL_PROGS += epoxy-priv
epoxy-priv_SRCS := node/priv/priv.c $(PRIV_MODS)
epoxy-priv_ARCHIVES := epoxy

# the request parser, the path rules, the grants file, the decision (real
# files in a temporary directory) and the answer parser: tables of valid
# and malformed inputs
UNIT_TESTS += test_priv
test_priv_SRCS := tests/unit/test_priv.c tests/test.c $(PRIV_MODS)
test_priv_ARCHIVES := epoxy

# requests, grants files and answers through their parsers
FUZZ_TARGETS += fuzz_priv
fuzz_priv_SRCS := tests/fuzz/fuzz_priv.c node/priv/priv_req.c node/priv/priv_grants.c \
	node/priv/privc.c
fuzz_priv_ARCHIVES := epoxy
