# keys/: the fleet's keys.  Offline release signing (epoxyctl release
# sign|verify, epoxyctl keys ...) and the PKI tool keys/epoxy-pki (fleet CA,
# server certificate, UEFI Secure Boot PK/KEK/db).  See docs/keys.md.
#
# CTL_SIGN_SRCS: what epoxyctl links for `release sign|verify` and `keys`.
CTL_SIGN_SRCS := server/ctl_sign.c keys/ctl_keys.c keys/kfile.c

# epoxy-keys: the same offline commands without the network client, for
# the air-gapped signing machine
HOST_PROGS += epoxy-keys
epoxy-keys_SRCS := keys/epoxy_keys.c $(CTL_SIGN_SRCS) $(LIB_VERIFY_SRCS) $(LIB_SIGN_SRCS)
epoxy-keys_LIBS := $(LIB_CRYPTO_LIBS)
