/* grant: the grants' spelling and path rules (see grant.h).
 *
 * Guarantees: bounds checked in the subtraction form; every path
 * component through lib/label.h, never a parser of its own; nothing is
 * allocated (the edit sorts on the caller's stack). */
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/grant.h"
#include "lib/label.h"

/* whole-component prefixes that no grant ever reaches */
static const char *const grant_deny[] = {
	"/run/epoxy", "/etc/epoxy", "/var/lib/epoxy-nm", "/var/lib/epoxy", "/dev", "/boot",
	"/root", "/sys/firmware", "/etc/ssh", "/etc/shadow", "/etc/gshadow",
	"/proc/kcore", "/proc/kmsg", "/proc/self", "/proc/thread-self",
};

static int grant_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

int grant_path_ok(const char *p, size_t n)
{
	size_t i = 1, j;

	if (!p || n < 2 || n > GRANT_PATH_MAX || p[0] != '/')
		return 0;
	while (i <= n) {
		const char *slash = memchr(p + i, '/', n - i);

		j = slash ? (size_t)(slash - p) : n;
		if (label_check(LABEL_TAG, p + i, j - i) < 0 ||
		    grant_eq(p + i, j - i, ".") || grant_eq(p + i, j - i, ".."))
			return 0;
		i = j + 1;
	}
	return 1;
}

int grant_beneath(const char *dir, size_t dn, const char *p, size_t n)
{
	return dn > 0 && n > dn + 1 && memcmp(dir, p, dn) == 0 && p[dn] == '/';
}

static int grant_under(const char *p, size_t n, const char *dir)
{
	size_t dn = strlen(dir);

	return grant_eq(p, n, dir) || grant_beneath(dir, dn, p, n);
}

/* one component: ends in ".key", or holds "private" or "secret" */
static int grant_secret_name(const char *c, size_t n)
{
	static const char *const words[] = { "private", "secret" };
	size_t w, k;

	if (n >= 4 && memcmp(c + n - 4, ".key", 4) == 0)
		return 1;
	for (w = 0; w < sizeof(words) / sizeof(words[0]); w++) {
		size_t wl = strlen(words[w]);

		for (k = 0; n >= wl && k <= n - wl; k++)
			if (memcmp(c + k, words[w], wl) == 0)
				return 1;
	}
	return 0;
}

/* /proc/<digits>: a process's own files (environ, mem, fd/ ...) */
static int grant_proc_pid(const char *p, size_t n)
{
	size_t i = 6;

	if (n < 7 || memcmp(p, "/proc/", 6) != 0)
		return 0;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return i > 6 && (i == n || p[i] == '/');
}

int grant_denied(const char *p, size_t n)
{
	size_t i, j;

	for (i = 0; i < sizeof(grant_deny) / sizeof(grant_deny[0]); i++)
		if (grant_under(p, n, grant_deny[i]))
			return 1;
	if (grant_proc_pid(p, n))
		return 1;
	for (i = 1; i < n; i = j + 1) {
		const char *slash = memchr(p + i, '/', n - i);

		j = slash ? (size_t)(slash - p) : n;
		if (grant_secret_name(p + i, j - i))
			return 1;
	}
	return 0;
}

/* every kind's spelling: a bare name, or a prefix followed by a path */
static const struct {
	const char *name;
	enum grant_kind kind;
	int path;
} grant_kinds[] = {
	{ "sock_diag", GRANT_SOCK_DIAG, 0 },
	{ "file:", GRANT_FILE, 1 },
	{ "dir:", GRANT_DIR, 1 },
	{ "archive", GRANT_ARCHIVE, 0 },
};

#define GRANT_KINDS (sizeof(grant_kinds) / sizeof(grant_kinds[0]))

int grant_parse(const char *s, size_t n, struct grant *g)
{
	size_t k, pre;

	memset(g, 0, sizeof(*g));
	for (k = 0; k < GRANT_KINDS; k++) {
		pre = strlen(grant_kinds[k].name);
		if (!grant_kinds[k].path && grant_eq(s, n, grant_kinds[k].name)) {
			g->kind = grant_kinds[k].kind;
			return 0;
		}
		if (grant_kinds[k].path && n >= pre && memcmp(s, grant_kinds[k].name, pre) == 0)
			break;
	}
	if (k == GRANT_KINDS || !grant_path_ok(s + pre, n - pre))
		return -EPX_E_SLICE_GRANT;
	if (grant_denied(s + pre, n - pre))
		return -EPX_E_SLICE_SECRET;
	g->kind = grant_kinds[k].kind;
	g->path_len = n - pre;
	memcpy(g->path, s + pre, g->path_len);
	g->path[g->path_len] = '\0';
	return 0;
}

void grant_format(const struct grant *g, char *out, size_t cap)
{
	const char *k = "";
	size_t i, kl, pl = 0;

	for (i = 0; i < GRANT_KINDS; i++)
		if (grant_kinds[i].kind == g->kind) {
			k = grant_kinds[i].name;
			pl = grant_kinds[i].path ? g->path_len : 0;
		}
	kl = strlen(k);
	if (cap == 0)
		return;
	if (kl + pl >= cap) {
		out[0] = '\0';
		return;
	}
	memcpy(out, k, kl);
	memcpy(out + kl, g->path, pl);
	out[kl + pl] = '\0';
}

int grant_list_parse(const char *s, size_t n, struct grant out[GRANT_MAX], size_t *count)
{
	size_t i = 0, j, prev = 0, prev_len = 0;
	int rc;

	*count = 0;
	if (n == 0)
		return 0;
	if (n > GRANT_LIST_MAX)
		return -EPX_E_SLICE_GRANT;
	while (i <= n) {
		const char *sp = memchr(s + i, ' ', n - i);
		size_t cl;

		j = sp ? (size_t)(sp - s) : n;
		cl = j - i;
		if (*count >= GRANT_MAX)
			return -EPX_E_SLICE_GRANT;
		rc = grant_parse(s + i, cl, &out[*count]);
		if (rc < 0)
			return rc;
		/* strictly ascending by bytes: one spelling, no grant twice */
		if (*count && (memcmp(s + prev, s + i, prev_len < cl ? prev_len : cl) > 0 ||
			       (memcmp(s + prev, s + i, prev_len < cl ? prev_len : cl) == 0 &&
				prev_len >= cl)))
			return -EPX_E_SLICE_GRANT;
		prev = i;
		prev_len = cl;
		(*count)++;
		i = j + 1;
	}
	return 0;
}

static int grant_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* the grants of list (',' or ' ' separated) into specs[*n..] */
static int grant_edit_split(const char *list, char specs[][GRANT_SPEC_MAX + 1], size_t max,
			    size_t *n)
{
	struct grant g;
	size_t i = 0, len = list ? strlen(list) : 0, j;
	int rc;

	if (len > GRANT_EDIT_MAX)
		return -EPX_E_SLICE_GRANT;
	while (i < len) {
		for (j = i; j < len && list[j] != ',' && list[j] != ' '; j++)
			;
		if (j == i || *n >= max)
			return j == i ? -EPX_E_SLICE_GRANT : -EPX_E_SLICE_GRANTS;
		rc = grant_parse(list + i, j - i, &g);
		if (rc < 0)
			return rc;
		grant_format(&g, specs[(*n)++], GRANT_SPEC_MAX + 1);
		i = j + 1;
		if (j + 1 == len)
			return -EPX_E_SLICE_GRANT;   /* a trailing separator */
	}
	return 0;
}

int grant_list_edit(const char *cur, const char *add, const char *del, char *out, size_t cap)
{
	char specs[3 * GRANT_MAX + 2][GRANT_SPEC_MAX + 1], (*dl)[GRANT_SPEC_MAX + 1];
	struct grant g[GRANT_MAX];
	size_t n = 0, nd = 0, i, k, o = 0, cnt;
	int rc = grant_list_parse(cur, cur ? strlen(cur) : 0, g, &cnt);

	for (i = 0; rc == 0 && i < cnt; i++)
		grant_format(&g[i], specs[n++], GRANT_SPEC_MAX + 1);
	if (rc == 0)
		rc = grant_edit_split(add, specs, 2 * GRANT_MAX + 1, &n);
	dl = specs + n;
	if (rc == 0)
		rc = grant_edit_split(del, dl, GRANT_MAX + 1, &nd);
	if (rc < 0)
		return rc;
	for (k = 0; k < nd; k++) {
		int hit = 0;

		for (i = 0; i < n; i++)
			if (specs[i][0] && !strcmp(specs[i], dl[k])) {
				specs[i][0] = '\0';
				hit = 1;
			}
		if (!hit)
			return -EPX_E_SLICE_NOGRANT;
	}
	qsort(specs, n, sizeof(specs[0]), grant_cmp);
	for (i = 0, cnt = 0; i < n; i++) {
		size_t l = strlen(specs[i]);

		if (!l || (i && !strcmp(specs[i], specs[i - 1])))
			continue;
		if (++cnt > GRANT_MAX)
			return -EPX_E_SLICE_GRANTS;
		if (l + 2 > cap - o)
			return -EPX_E_SLICE_GRANTS;
		if (o)
			out[o++] = ' ';
		memcpy(out + o, specs[i], l);
		o += l;
	}
	if (cap == 0)
		return -EPX_E_SLICE_GRANTS;
	out[o] = '\0';
	return 0;
}
