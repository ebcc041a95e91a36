/* pusher_conf: epoxy-pusher's experiment configuration (--config FILE):
 * where it uploads, which directories of the data root belong to an
 * experiment (DATA/<experiment>/<datatype>/..., only the experiments and
 * datatypes listed: anything else there is left alone), and each
 * experiment's bundle limits.
 *
 *   # comment
 *   server https://archive.example.net:8443     upload target (required, once)
 *   size 20000000                               defaults for every experiment
 *   age-min 1800                                (any of: size, age-min,
 *   age-max 7200                                 age-max, max-files, max-bytes)
 *   experiment ndt                              starts an experiment's block:
 *                                               DATA/ndt/ belongs to it
 *   datatypes tcpinfo,ndt7,annotation           the only datatypes taken
 *                                               (default: any)
 *   size 5000000                                its own limits
 *
 * Lines are "key value" with one or more spaces between, at most
 * PUSHER_CONF_LINE_MAX bytes, printable ASCII; '#' starts a comment line;
 * blank lines are skipped.
 *
 * Guarantees:
 *  - every key is known and given at most once per scope (the file's top,
 *    or one experiment's block); an experiment is named at most once and
 *    its name is a LABEL_TAG not starting with '.' (lib/label.h);
 *  - numbers are lib/num.h's one spelling, each within its range: size and
 *    max-bytes 1..2^40 bytes, age-min and age-max 1..30 days in seconds
 *    with age-min <= age-max (after defaults), max-files
 *    1..PUSHER_BUNDLE_FILES_MAX;
 *  - datatypes: 1..PUSHER_CONF_DATATYPES_MAX LABEL_TAG names, no repeat;
 *  - server is https://NAME[:PORT] with NAME at most 255 bytes and PORT
 *    1..65535;
 *  - the whole file is at most PUSHER_CONF_FILE_MAX bytes, with at most
 *    PUSHER_CONF_EXPS_MAX experiments and at least one;
 *  - on failure nothing of the result is kept (the caller's struct is
 *    zeroed), *line names the offending line (0: the whole file), and the
 *    code says which rule broke (EPOXY-E3306..E3312). */
#ifndef EPOXY_PUSHER_CONF_H
#define EPOXY_PUSHER_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "node/pusher/pusher_files.h"

#define PUSHER_CONF_FILE_MAX 65536
#define PUSHER_CONF_LINE_MAX 2048
#define PUSHER_CONF_EXPS_MAX 64
#define PUSHER_CONF_DATATYPES_MAX 32
#define PUSHER_CONF_NAME_MAX 255
#define PUSHER_CONF_AGE_CAP (30ull * 86400)
#define PUSHER_CONF_BYTES_MAX (1ull << 40)

struct pusher_limits {
	uint64_t size, age_min, age_max, max_files, max_bytes;
};

struct pusher_conf_exp {
	char name[PUSHER_TAG_MAX + 1];     /* also its directory DATA/<name> */
	char datatypes[PUSHER_CONF_DATATYPES_MAX][PUSHER_TAG_MAX + 1];
	size_t ndatatypes;                  /* 0: any */
	struct pusher_limits lim;
};

struct pusher_conf {
	char server[PUSHER_CONF_NAME_MAX + 1];  /* host name of the target */
	uint16_t port;
	struct pusher_limits lim;               /* the defaults */
	struct pusher_conf_exp exp[PUSHER_CONF_EXPS_MAX];
	size_t nexp;
};

/* Parses buf[0..len) into c, over the defaults in *def (the command
 * line's).  Returns 0, or -EPX_E_PU_CONF_* with *line set. */
int pusher_conf_parse(struct pusher_conf *c, const char *buf, size_t len,
		      const struct pusher_limits *def, unsigned *line);
/* Reads path (at most PUSHER_CONF_FILE_MAX bytes) and parses it. */
int pusher_conf_load(struct pusher_conf *c, const char *path,
		     const struct pusher_limits *def, unsigned *line);
/* The experiment named name, or NULL. */
const struct pusher_conf_exp *pusher_conf_find(const struct pusher_conf *c, const char *name);
/* 1 when datatype dt is taken for e (its list, or any when it has none). */
int pusher_conf_takes(const struct pusher_conf_exp *e, const char *dt);

#endif
