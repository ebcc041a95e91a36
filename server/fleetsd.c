/* fleetsd: the file_sd document of the joined nodes (see fleetsd.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/record.h"
#include "server/fleet.h"
#include "server/fleetsd.h"

struct fleetsd_out {
	FILE *f;
	unsigned port;
	size_t n;
};

void fleetsd_group(FILE *f, const char *host, const char *site,
		   uint32_t release, unsigned port)
{
	char target[STORE_NAME_MAX + 16];
	char rel[16];

	snprintf(target, sizeof(target), "%s:%u", host, port);
	fputs("{\"targets\": [", f);
	record_json_str(f, target);
	fputs("], \"labels\": {\"site\": ", f);
	record_json_str(f, site);
	fputs(", \"host\": ", f);
	record_json_str(f, host);
	if (release) {
		snprintf(rel, sizeof(rel), "%u", (unsigned)release);
		fputs(", \"release\": ", f);
		record_json_str(f, rel);
	}
	fputs("}}", f);
}

static int fleetsd_cb(const struct fleet_row *r, void *arg)
{
	struct fleetsd_out *o = arg;

	fputs(o->n++ ? ",\n  " : "\n  ", o->f);
	fleetsd_group(o->f, r->name, r->site, r->release, o->port);
	return ferror(o->f) ? -ENOMEM : 0;
}

int fleetsd_render(struct store *s, unsigned port, char **out, size_t *len)
{
	struct fleet_filter f;
	struct fleetsd_out o = { .port = port };
	char *buf = NULL;
	size_t n = 0;
	int more = 0, rc = -ENOMEM;

	*out = NULL;
	*len = 0;
	memset(&f, 0, sizeof(f));
	snprintf(f.state, sizeof(f.state), "joined");
	f.limit = FLEET_HOSTS_MAX;
	o.f = open_memstream(&buf, &n);
	if (!o.f)
		return rc;
	fputc('[', o.f);
	rc = fleet_list(s, &f, fleetsd_cb, &o, &more);
	if (rc == 0 && more)
		rc = -EPX_E_SD_TOOMANY;
	fputs(o.n ? "\n]\n" : "]\n", o.f);
	if (fclose(o.f) && rc == 0)
		rc = -ENOMEM;
	if (rc == 0 && n > FLEETSD_MAX)
		rc = -EPX_E_SD_TOOMANY;
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf;
	*len = n;
	return 0;
}
