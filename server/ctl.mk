# server/ctl.mk: epoxyctl (the operator CLI) and the admin API it talks to.
#
# ADMIN_SRCS is what epoxyd links for /admin/v1/ (server/admin.c and the
# record codec it shares with epoxyctl):  epoxyd_SRCS += $(ADMIN_SRCS)
# epoxyctl links the trust engineer's offline commands ($(CTL_SIGN_SRCS):
# release sign/verify, keys) and the store (for `epoxyctl admin init`).
ADMIN_SRCS := server/admin.c server/ctl_form.c
CTL_SRCS := server/epoxyctl.c server/ctl_cli.c server/ctl_form.c \
	server/ctlhttp.c server/ctl_host.c server/ctl_site.c server/ctl_token.c \
	server/ctl_session.c server/ctl_audit.c server/ctl_admin.c \
	server/ctl_release.c

HOST_PROGS += epoxyctl
epoxyctl_SRCS = $(sort $(CTL_SRCS) $(CTL_SIGN_SRCS) $(STORE_SRCS) \
	$(LIB_VERIFY_SRCS) $(LIB_SIGN_SRCS))
epoxyctl_LIBS = $(STORE_LIBS) -lcurl $(LIB_CRYPTO_LIBS)

UNIT_TESTS += test_admin_form
test_admin_form_SRCS := tests/unit/test_admin_form.c tests/test.c server/ctl_form.c lib/err.c

# the admin API in process: real router helpers, real SQLite store, real
# signed manifests from the trust library's test fixture
UNIT_TESTS += test_admin
test_admin_SRCS = $(sort tests/unit/test_admin.c tests/test.c tests/keys/fixture.c \
	$(EPOXYD_CORE_SRCS))
test_admin_LIBS = $(EPOXYD_LIBS)

FUZZ_TARGETS += fuzz_admin
fuzz_admin_SRCS = $(sort tests/fuzz/fuzz_admin.c tests/keys/fixture.c $(EPOXYD_CORE_SRCS))
fuzz_admin_LIBS = $(EPOXYD_LIBS)
