/* ctl: the subcommands of epoxyctl.  Each returns the process exit status,
 * one of CLI_* (lib/cli.h): 0 success, 1 the operation failed
 * (verification refused, server said no), 2 usage error, 3 cannot reach
 * or authenticate to the server.  The offline ones (`keys`, `release
 * sign|verify`) are keys/'s (keys/keytool.h, keys/relsign.h). */
#ifndef EPOXY_CTL_H
#define EPOXY_CTL_H

#include "lib/cli.h"

/* release: sign/verify offline, publish/list/promote/pin online */
int ctl_release_main(int argc, char **argv);
/* online commands over the admin API (ctl/ctl_*.c, server/admin.c) */
int ctl_host_main(int argc, char **argv);
int ctl_site_main(int argc, char **argv);
int ctl_token_main(int argc, char **argv);
int ctl_session_main(int argc, char **argv);
int ctl_why_main(int argc, char **argv);
int ctl_audit_main(int argc, char **argv);
/* image retire: publish a dbx update prepared offline (ctl/ctl_image.c) */
int ctl_image_main(int argc, char **argv);
/* slices: the SliceDB (ctl/ctl_slice.c) */
int ctl_slice_main(int argc, char **argv);
/* slivers: where each runs and its usage (ctl/ctl_sliver.c) */
int ctl_sliver_main(int argc, char **argv);
/* the archive: experiments and their data (ctl/ctl_experiment.c, ctl/ctl_data.c) */
int ctl_experiment_main(int argc, char **argv);
int ctl_data_main(int argc, char **argv);
/* the Prometheus file_sd document of the joined nodes (ctl/ctl_fleet.c) */
int ctl_fleet_main(int argc, char **argv);
/* admin credential bootstrap, offline against the store */
int ctl_admin_main(int argc, char **argv);

#endif
