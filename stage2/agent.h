/* agent: options shared by the stage-1 (boot.c) and stage-2 (join.c)
 * flows of epoxy-agent. */
#ifndef EPOXY_STAGE2_AGENT_H
#define EPOXY_STAGE2_AGENT_H

#include <stdint.h>

#include "stage2/cmdline.h"
#include "stage2/fetch.h"

struct agent_opts {
	const char *cmdline_path;       /* /proc/cmdline */
	const char *efivars;            /* /sys/firmware/efi/efivars */
	const char *hwroot;             /* "": /proc and /sys of the inventory */
	const char *etc;                /* /etc/epoxy */
	const char *root;               /* "" : stage-2 files under root */
	const char *record;             /* --kexec-record DIR or NULL */
	const char *token_file;         /* one-time boot token instead */
	const char *token_medium;       /* BIOS: token medium file, no scan */
	const char *sysblock;           /* BIOS: disks to scan (/sys/block) */
	const char *devdir;             /* BIOS: their device nodes (/dev) */
	unsigned media_wait_ms;         /* BIOS: how long disks may take */
	const char *mac;
	int stage;                      /* 1, 2 or 0 (from the cmdline) */
	int no_reboot;
	unsigned boot_retries;          /* whole-session attempts */
	struct retry_opts fo;
	struct cmdline cl;
};

/* Stage flows; both return 0 or the last failure code. */
int boot_stage1(struct agent_opts *o);
int join_stage2(struct agent_opts *o);
/* Reports to /v1/report with token (replaced by the next one on a fail
 * report, wiped otherwise). */
struct https;
int report_send(struct https *h, uint8_t token[32], int stage, int ok,
		int code, int64_t phase_ms);
/* Final failure: reboot, or return when o->no_reboot. */
int agent_give_up(const struct agent_opts *o, int rc);

#endif
