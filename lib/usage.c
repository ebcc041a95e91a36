/* usage: the sensor snapshot's one line (see usage.h).  The parser walks
 * the line token by token (split at single spaces), each token with the
 * exact prefix the format fixes at that point; numbers through num.h,
 * names through sliverset_name_ok: no second number or name parser. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"
#include "lib/num.h"
#include "lib/usage.h"

const char *const usage_names[USAGE_N] = {
	"cpu_us", "mem_bytes", "tasks", "disk_bytes", "tx_bytes", "rx_bytes",
};

/* The next token of buf[*pos..len): up to a space or the end; an empty
 * token (two spaces, a leading or trailing one) is refused. */
static int usage_token(const char *buf, size_t len, size_t *pos, const char **t, size_t *n)
{
	const char *sp;

	if (*pos >= len)
		return -EPX_E_USG_SYNTAX;
	*t = buf + *pos;
	sp = memchr(*t, ' ', len - *pos);
	*n = sp ? (size_t)(sp - *t) : len - *pos;
	if (*n == 0 || (sp && (size_t)(sp - buf) + 1 == len))
		return -EPX_E_USG_SYNTAX;
	*pos += *n + (sp ? 1 : 0);
	return 0;
}

/* "key=" + rest: *v, *vn the rest */
static int usage_key(const char *t, size_t n, const char *key, const char **v, size_t *vn)
{
	size_t k = strlen(key);

	if (n < k + 1 || memcmp(t, key, k) || t[k] != '=')
		return -EPX_E_USG_SYNTAX;
	*v = t + k + 1;
	*vn = n - k - 1;
	return 0;
}

/* "CPU,MEM,TASKS,DISK,TX,RX", each a decimal or "-" */
static int usage_values(const char *v, size_t n, struct usage_sliver *s)
{
	size_t i, k;
	const char *comma;

	for (i = 0; i < USAGE_N; i++) {
		comma = memchr(v, ',', n);
		if ((i + 1 < USAGE_N) != (comma != NULL))
			return -EPX_E_USG_SYNTAX;
		k = comma ? (size_t)(comma - v) : n;
		if (k == 1 && v[0] == '-')
			s->v[i] = 0;
		else if (num_parse_u64(v, k, USAGE_VALUE_MAX, &s->v[i]) < 0)
			return -EPX_E_USG_SYNTAX;
		else
			s->have |= 1u << i;
		v += k + (comma ? 1 : 0);
		n -= k + (comma ? 1 : 0);
	}
	return 0;
}

static int usage_sliver(struct usage *u, const char *t, size_t n)
{
	const char *eq = memchr(t, '=', n);
	struct usage_sliver *s;
	size_t k = eq ? (size_t)(eq - t) : 0;

	if (!eq || !sliverset_name_ok(t, k) || u->n >= USAGE_SLIVERS_MAX)
		return -EPX_E_USG_SYNTAX;
	s = &u->sl[u->n];
	memcpy(s->name, t, k);
	s->name[k] = '\0';
	if (u->n > 0 && strcmp(u->sl[u->n - 1].name, s->name) >= 0)
		return -EPX_E_USG_SYNTAX;       /* strictly ascending: no duplicate */
	u->n++;
	return usage_values(eq + 1, n - k - 1, s);
}

static int usage_head(struct usage *u, const char *buf, size_t len, size_t *pos)
{
	size_t m = strlen(USAGE_MAGIC), n, vn;
	const char *t, *v;
	int rc;

	if (len < m + 1 || memcmp(buf, USAGE_MAGIC, m) || buf[m] != ' ')
		return -EPX_E_USG_SYNTAX;
	*pos = m + 1;
	rc = usage_token(buf, len, pos, &t, &n);
	if (rc == 0)
		rc = usage_key(t, n, "at", &v, &vn);
	if (rc == 0 && num_parse_i64(v, vn, 0, USAGE_AT_MAX, &u->at) < 0)
		rc = -EPX_E_USG_SYNTAX;
	if (rc == 0)
		rc = usage_token(buf, len, pos, &t, &n);
	if (rc == 0)
		rc = usage_key(t, n, "net", &v, &vn);
	if (rc == 0 && vn == 2 && !memcmp(v, "on", 2))
		u->net = 1;
	else if (rc == 0 && !(vn == 3 && !memcmp(v, "off", 3)))
		rc = -EPX_E_USG_SYNTAX;
	return rc;
}

int usage_parse(struct usage *out, const char *buf, size_t len)
{
	size_t pos = 0, n;
	const char *t;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > USAGE_BYTES_MAX)
		return -EPX_E_USG_TOOBIG;
	rc = usage_head(out, buf, len, &pos);
	while (rc == 0 && pos < len) {
		rc = usage_token(buf, len, &pos, &t, &n);
		if (rc == 0)
			rc = usage_sliver(out, t, n);
	}
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* One sliver's " NAME=v,v,v,v,v,v" */
static int usage_put1(const struct usage_sliver *s, char *out, size_t cap, size_t *len)
{
	size_t i;
	int n;

	n = snprintf(out + *len, cap - *len, " %s=", s->name);
	for (i = 0; n >= 0 && (size_t)n < cap - *len && i < USAGE_N; i++) {
		if (s->v[i] > USAGE_VALUE_MAX)
			return -EPX_E_USG_SYNTAX;
		n += s->have & (1u << i) ?
			snprintf(out + *len + n, cap - *len - (size_t)n, "%s%" PRIu64,
				 i ? "," : "", s->v[i]) :
			snprintf(out + *len + n, cap - *len - (size_t)n, "%s-", i ? "," : "");
	}
	if (n < 0 || (size_t)n >= cap - *len)
		return -EPX_E_CODEC_SPACE;
	*len += (size_t)n;
	return 0;
}

int usage_format(const struct usage *u, char *out, size_t cap, size_t *len)
{
	size_t i;
	int n, rc = 0;

	*len = 0;
	if (u->at < 0 || u->at > USAGE_AT_MAX || u->n > USAGE_SLIVERS_MAX)
		return -EPX_E_USG_SYNTAX;
	n = snprintf(out, cap, "%s at=%" PRId64 " net=%s", USAGE_MAGIC, u->at,
		     u->net ? "on" : "off");
	if (n < 0 || (size_t)n >= cap)
		return -EPX_E_CODEC_SPACE;
	*len = (size_t)n;
	for (i = 0; rc == 0 && i < u->n; i++) {
		const char *name = u->sl[i].name;

		if (!sliverset_name_ok(name, strnlen(name, SLIVERSET_NAME_MAX + 1)) ||
		    (i > 0 && strcmp(u->sl[i - 1].name, name) >= 0))
			return -EPX_E_USG_SYNTAX;
		rc = usage_put1(&u->sl[i], out, cap, len);
	}
	return rc;
}

const struct usage_sliver *usage_find(const struct usage *u, const char *name)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (!strcmp(u->sl[i].name, name))
			return &u->sl[i];
	return NULL;
}
