/* bundlename: the name of a measurement bundle in the archive, M-Lab's
 * layout (issue 15 point 2; docs/protocol.md, "Archive"), so the tools
 * that walk M-Lab's buckets find epoxy's bundles:
 *
 *   <experiment>/<datatype>/<YYYY>/<MM>/<DD>/<time>-<datatype>-<node>-<experiment>.tgz
 *
 * <time> is the bundle's UTC time to the microsecond,
 * YYYYMMDDTHHMMSS.ffffffZ; the date directories are its date.  The node's
 * epoxy-pusher chooses the name when it builds the bundle (and keeps it
 * in its journal, so every retry sends the same); epoxyd checks it
 * (server/archive.c): the node part must be the host of the node's
 * certificate, the experiment the one of the request.
 *
 * Guarantees of bundlename_parse:
 *  - reads exactly s[0..len), at most BUNDLENAME_MAX bytes;
 *  - experiment and datatype are LABEL_TAG names not starting with '.',
 *    the node a LABEL_HOST (lib/label.h); the datatype and experiment in
 *    the file name are the directories' byte for byte;
 *  - the time is a real UTC time (each field in its range, the day in its
 *    month, years 2000..2199), the date directories its own date;
 *  - anything else, ".." and empty segments included, is
 *    -EPX_E_ARC_BUNDLENAME and *out is zeroed.
 * bundlename_make writes the name of its parts (checked by the same rule)
 * or returns -EPX_E_ARC_BUNDLENAME. */
#ifndef EPOXY_BUNDLENAME_H
#define EPOXY_BUNDLENAME_H

#include <stddef.h>
#include <stdint.h>

#include "lib/label.h"

#define BUNDLENAME_MAX 400      /* 64+1+64+1+10+1+23+1+64+1+63+1+64+4 = 362 */
#define BUNDLENAME_TIME_LEN 23  /* YYYYMMDDTHHMMSS.ffffffZ */

struct bundlename {
	char exp[LABEL_TAG_MAX + 1];
	char dt[LABEL_TAG_MAX + 1];
	char node[LABEL_HOST_MAX + 1];
	int64_t sec;            /* Unix time */
	uint32_t usec;
};

int bundlename_parse(const char *s, size_t len, struct bundlename *out);
int bundlename_make(char *out, size_t cap, const char *exp, const char *dt, const char *node,
		    int64_t sec, uint32_t usec);

#endif
