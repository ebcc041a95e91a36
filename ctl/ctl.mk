# ctl/: epoxyctl, the operator CLI.  The online commands talk to the admin
# API (server/admin.c) in the record format of lib/record.c; the offline
# ones (`keys`, `release sign|verify`) are keys/'s archive; `admin` opens
# the store on the server host.  Exit statuses: lib/cli.h.
CTL_SRCS := ctl/epoxyctl.c ctl/ctl_cli.c ctl/ctlhttp.c ctl/ctl_host.c \
	ctl/ctl_site.c ctl/ctl_token.c ctl/ctl_session.c ctl/ctl_audit.c \
	ctl/ctl_admin.c ctl/ctl_release.c ctl/ctl_image.c \
	ctl/ctl_slice.c ctl/ctl_sliver.c ctl/ctl_experiment.c ctl/ctl_data.c ctl/ctl_fleet.c

HOST_PROGS += epoxyctl
epoxyctl_SRCS := $(CTL_SRCS)
epoxyctl_ARCHIVES := epoxy-keytools epoxy-store epoxy-sign epoxy
# (`=`: store/store.mk sorts after this fragment)
epoxyctl_LIBS = $(STORE_LIBS) -lcurl $(LIB_CRYPTO_LIBS)
