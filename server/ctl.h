/* ctl: the subcommands of epoxyctl.  Each returns the process exit status:
 * 0 success, 1 the operation failed (verification refused, server said
 * no), 2 usage error, 3 cannot reach or authenticate to the server. */
#ifndef EPOXY_CTL_H
#define EPOXY_CTL_H

enum { CTL_OK = 0, CTL_FAIL = 1, CTL_USAGE = 2, CTL_UNREACHABLE = 3 };

struct ctl_cmd {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

/* offline signing and verification (server/ctl_sign.c) */
int ctl_release_sign(int argc, char **argv);
int ctl_release_verify(int argc, char **argv);
/* key creation and rotation (keys/ctl_keys.c) */
int ctl_keys_main(int argc, char **argv);
/* release: sign/verify offline, publish/list/promote/pin online */
int ctl_release_main(int argc, char **argv);
/* online commands over the admin API (server/ctl_*.c, server/admin.c) */
int ctl_host_main(int argc, char **argv);
int ctl_site_main(int argc, char **argv);
int ctl_token_main(int argc, char **argv);
int ctl_session_main(int argc, char **argv);
int ctl_why_main(int argc, char **argv);
int ctl_audit_main(int argc, char **argv);
/* admin credential bootstrap, offline against the store */
int ctl_admin_main(int argc, char **argv);

#endif
