/* epoxy-agent: the stage-2 agent of the epoxy boot chain.
 *
 * main() only parses options and the kernel command line and picks the
 * flow: stage 1 (boot.c: session, verify, download, kexec) in the signed
 * minimal image, stage 2 (join.c: join credential, join script, report) in
 * the production kernel.  It never offers a shell or any way around
 * verification; on a final failure it reboots (or exits in test mode). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epoxy_config.h"
#include "lib/err.h"
#include "lib/num.h"
#include "stage2/agent.h"
#include "stage2/con.h"
#include "stage2/efivar.h"
#include "stage2/media.h"

static const char agent_usage[] =
"usage: epoxy-agent [options] [stage1|stage2]\n"
"\n"
"The epoxy boot agent.  Without a mode, epoxy.stage= on the kernel command\n"
"line decides.  Stage 1 opens a boot session, verifies the signed release and\n"
"every artifact, and kexecs the production kernel; stage 2 fetches the join\n"
"credential, runs the verified join script and reports.\n"
"\n"
"  --cmdline FILE       kernel command line (default /proc/cmdline)\n"
"  --efivars DIR        efivarfs directory (default " EFIVAR_DIR ")\n"
"  --etc DIR            trust anchors (default /etc/epoxy)\n"
"  --hwroot DIR         stage 1: read the inventory's /proc and /sys under DIR\n"
"                       (default: the root; host tests pass a fake tree)\n"
"  --root DIR           stage 2: root of the handed-over files (default /)\n"
"  --token-file FILE    stage 1: one-time boot token instead of the credential\n"
"  --token-medium FILE  stage 1 without a UEFI credential: read the token medium\n"
"                       from FILE instead of scanning the disks\n"
"  --sysblock DIR       disks to scan for a token medium (default /sys/block)\n"
"  --devdir DIR         their device nodes (default /dev)\n"
"  --media-wait S       how long to wait for a token medium (default %d)\n"
"  --mac MAC            MAC address to report (default: first NIC)\n"
"  --kexec-record DIR   host tests: write what would be kexec'd to DIR\n"
"                       instead of loading it; implies --no-reboot\n"
"  --no-reboot          exit with the failure code instead of rebooting\n"
"  --retries N          attempts per artifact and per boot (default %d)\n"
"  --server-wait S      keep trying an unreachable or busy server for S seconds\n"
"                       before counting attempts (default %d)\n"
"  --backoff-ms N       base of the jittered exponential backoff (default 500)\n"
"  --min-rate N         minimum transfer rate in bytes/s (default %d)\n"
"  --phase-timeout S    deadline per phase in seconds (default %d)\n"
"  --help, --version\n"
"\n"
"Every failure prints a line starting with its stable code EPOXY-Exxxx.\n";

enum { OPT_CMDLINE = 256, OPT_EFIVARS, OPT_ETC, OPT_ROOT, OPT_TOKEN, OPT_MAC,
       OPT_RECORD, OPT_NOREBOOT, OPT_RETRIES, OPT_BACKOFF, OPT_RATE,
       OPT_PHASE, OPT_HELP, OPT_VERSION, OPT_MEDIUM, OPT_SYSBLOCK, OPT_DEVDIR,
       OPT_MEDIAWAIT, OPT_SERVERWAIT, OPT_HWROOT };

static const struct option agent_longopts[] = {
	{ "cmdline", required_argument, NULL, OPT_CMDLINE },
	{ "efivars", required_argument, NULL, OPT_EFIVARS },
	{ "etc", required_argument, NULL, OPT_ETC },
	{ "hwroot", required_argument, NULL, OPT_HWROOT },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "token-file", required_argument, NULL, OPT_TOKEN },
	{ "token-medium", required_argument, NULL, OPT_MEDIUM },
	{ "sysblock", required_argument, NULL, OPT_SYSBLOCK },
	{ "devdir", required_argument, NULL, OPT_DEVDIR },
	{ "media-wait", required_argument, NULL, OPT_MEDIAWAIT },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "kexec-record", required_argument, NULL, OPT_RECORD },
	{ "no-reboot", no_argument, NULL, OPT_NOREBOOT },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "server-wait", required_argument, NULL, OPT_SERVERWAIT },
	{ "backoff-ms", required_argument, NULL, OPT_BACKOFF },
	{ "min-rate", required_argument, NULL, OPT_RATE },
	{ "phase-timeout", required_argument, NULL, OPT_PHASE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* An option's number in [lo, hi] (lib/num.h's one spelling). */
static int agent_num(const char *s, unsigned long lo, unsigned long hi,
		     unsigned long *out)
{
	uint64_t v;
	int rc = num_str_u64(s, hi, &v);

	if (rc == 0 && v < lo)
		rc = -EPX_E_NUM_RANGE;
	if (rc == 0)
		*out = (unsigned long)v;
	return rc;
}

static int agent_opt(struct agent_opts *o, int c, const char *arg)
{
	unsigned long v = 0;
	int rc;

	switch (c) {
	case OPT_CMDLINE: o->cmdline_path = arg; return 0;
	case OPT_EFIVARS: o->efivars = arg; return 0;
	case OPT_ETC: o->etc = arg; return 0;
	case OPT_HWROOT: o->hwroot = arg; return 0;
	case OPT_ROOT: o->root = arg; return 0;
	case OPT_TOKEN: o->token_file = arg; return 0;
	case OPT_MEDIUM: o->token_medium = arg; return 0;
	case OPT_SYSBLOCK: o->sysblock = arg; return 0;
	case OPT_DEVDIR: o->devdir = arg; return 0;
	case OPT_MEDIAWAIT:
		if ((rc = agent_num(arg, 0, 600, &v)) < 0)
			return rc;
		o->media_wait_ms = (unsigned)v * 1000;
		return 0;
	case OPT_MAC: o->mac = arg; return 0;
	case OPT_RECORD: o->record = arg; o->no_reboot = 1; return 0;
	case OPT_NOREBOOT: o->no_reboot = 1; return 0;
	case OPT_RETRIES:
		if ((rc = agent_num(arg, 1, 100, &v)) < 0)
			return rc;
		o->fo.retries = o->boot_retries = (unsigned)v;
		return 0;
	case OPT_SERVERWAIT:
		if ((rc = agent_num(arg, 0, 86400, &v)) < 0)
			return rc;
		o->fo.server_wait_s = (unsigned)v;
		return 0;
	case OPT_BACKOFF:
		if ((rc = agent_num(arg, 0, 60000, &v)) < 0)
			return rc;
		o->fo.backoff_ms = (unsigned)v;
		return 0;
	case OPT_RATE:
		if ((rc = agent_num(arg, 0, 1000000000, &v)) < 0)
			return rc;
		o->fo.min_rate = v;
		return 0;
	case OPT_PHASE:
		if ((rc = agent_num(arg, 1, 3600, &v)) < 0)
			return rc;
		o->fo.phase_ms = (int64_t)v * 1000;
		return 0;
	}
	return -EPX_E_AGENT_USAGE;
}

static void agent_defaults(struct agent_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cmdline_path = "/proc/cmdline";
	o->efivars = EFIVAR_DIR;
	o->etc = "/etc/epoxy";
	o->hwroot = "";
	o->root = "";
	o->sysblock = "/sys/block";
	o->devdir = "/dev";
	o->media_wait_ms = MEDIA_WAIT_MS;
	o->fo.retries = o->boot_retries = CONFIG_AGENT_RETRIES;
	o->fo.server_wait_s = CONFIG_AGENT_SERVER_WAIT;
	o->fo.backoff_ms = 500;
	o->fo.min_rate = CONFIG_AGENT_MIN_RATE;
	o->fo.phase_ms = (int64_t)CONFIG_AGENT_PHASE_TIMEOUT * 1000;
	o->fo.on_wait = con_outage;
}

int main(int argc, char **argv)
{
	struct agent_opts o;
	const char *bad;
	int c, rc;

	agent_defaults(&o);
	while ((c = getopt_long(argc, argv, "", agent_longopts, NULL)) != -1) {
		if (c == OPT_HELP) {
			printf(agent_usage, MEDIA_WAIT_MS / 1000, CONFIG_AGENT_RETRIES,
			       CONFIG_AGENT_SERVER_WAIT,
			       CONFIG_AGENT_MIN_RATE, CONFIG_AGENT_PHASE_TIMEOUT);
			return 0;
		}
		if (c == OPT_VERSION) {
			printf("epoxy-agent %s (agent version %u)\n", EPOXY_VERSION, 1u);
			return 0;
		}
		if (agent_opt(&o, c, optarg) < 0) {
			con_fail(-EPX_E_AGENT_USAGE, "bad option or value (see --help)");
			return 2;
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind], "stage1") == 0)
			o.stage = 1;
		else if (strcmp(argv[optind], "stage2") == 0)
			o.stage = 2;
		if (!o.stage || optind + 1 < argc) {
			con_fail(-EPX_E_AGENT_USAGE, "unknown mode %s", argv[optind]);
			return 2;
		}
	}
	rc = cmdline_read(&o.cl, o.cmdline_path, &bad);
	if (rc < 0)
		return agent_give_up(&o, con_fail(rc, "%s: %s", o.cmdline_path, bad)) ? 1 : 0;
	if (!o.stage)
		o.stage = o.cl.stage ? o.cl.stage : 1;
	con_stage("start", "epoxy-agent %s stage %d", EPOXY_VERSION, o.stage);
	if (o.stage == 1) {
		if (!o.cl.server[0] || !o.cl.addr[0] || !o.cl.port)
			return agent_give_up(&o, con_fail(-EPX_E_CMDLINE,
				"stage 1 needs epoxy.server, epoxy.addr and epoxy.port")) ? 1 : 0;
		rc = boot_stage1(&o);
	} else {
		rc = join_stage2(&o);
	}
	return rc < 0 ? 1 : 0;
}
