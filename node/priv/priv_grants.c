/* priv_grants: the grants file and its lookups (see priv_grants.h).
 *
 * Guarantees: lines through lib/line.h, names through lib/label.h, uids
 * through lib/num.h, paths through priv_req_path; bounds checked in the
 * subtraction form; nothing allocated. */
#include <string.h>

#include "lib/err.h"
#include "lib/label.h"
#include "lib/line.h"
#include "lib/num.h"
#include "node/priv/priv_grants.h"

#define PRIV_GRANTS_FIELDS 4

struct priv_grants_f {
	const char *s[PRIV_GRANTS_FIELDS];
	size_t n[PRIV_GRANTS_FIELDS];
	unsigned cnt;
};

static int priv_grants_is(const struct priv_grants_f *f, unsigned i, const char *lit)
{
	return i < f->cnt && strlen(lit) == f->n[i] && memcmp(f->s[i], lit, f->n[i]) == 0;
}

/* s[0..n) split at single spaces into at most PRIV_GRANTS_FIELDS fields,
 * none empty */
static int priv_grants_split(const char *s, size_t n, struct priv_grants_f *f)
{
	size_t i = 0;

	f->cnt = 0;
	while (i <= n) {
		const char *sp = memchr(s + i, ' ', n - i);
		size_t j = sp ? (size_t)(sp - s) : n;

		if (j == i || f->cnt == PRIV_GRANTS_FIELDS)
			return -EPX_E_PRIV_GRANTS;
		f->s[f->cnt] = s + i;
		f->n[f->cnt++] = j - i;
		i = j + 1;
	}
	return 0;
}

static int priv_grants_find(const struct priv_grants *g, const char *name, size_t n)
{
	unsigned i;

	for (i = 0; i < g->nslices; i++)
		if (strlen(g->slices[i].name) == n && memcmp(g->slices[i].name, name, n) == 0)
			return (int)i;
	return -1;
}

int priv_grants_uid(const struct priv_grants *g, uint32_t uid)
{
	unsigned i;

	for (i = 0; i < g->nslices; i++)
		if (g->slices[i].uid == uid)
			return (int)i;
	return -1;
}

/* slice NAME uid UID */
static int priv_grants_slice(struct priv_grants *g, const struct priv_grants_f *f)
{
	struct priv_slice *s;
	uint32_t uid;

	if (f->cnt != 4 || !priv_grants_is(f, 2, "uid") ||
	    label_check(LABEL_TAG, f->s[1], f->n[1]) < 0 ||
	    num_parse_u32(f->s[3], f->n[3], PRIV_UID_MAX, &uid) < 0 || uid == 0 ||
	    g->nslices == PRIV_SLICES_MAX ||
	    priv_grants_find(g, f->s[1], f->n[1]) >= 0 || priv_grants_uid(g, uid) >= 0)
		return -EPX_E_PRIV_GRANTS;
	s = &g->slices[g->nslices++];
	memcpy(s->name, f->s[1], f->n[1]);
	s->name[f->n[1]] = '\0';
	s->uid = uid;
	return 0;
}

static int priv_grants_dup(const struct priv_grants *g, const struct priv_grant *n)
{
	unsigned i;

	for (i = 0; i < g->ngrants; i++)
		if (g->grants[i].slice == n->slice && g->grants[i].kind == n->kind &&
		    g->grants[i].path_len == n->path_len &&
		    memcmp(g->grants[i].path, n->path, n->path_len) == 0)
			return 1;
	return 0;
}

/* grant NAME sock_diag | grant NAME file PATH | grant NAME dir PATH */
static int priv_grants_grant(struct priv_grants *g, const struct priv_grants_f *f)
{
	struct priv_grant *n;
	int s;

	if (f->cnt < 3 || g->ngrants == PRIV_GRANTS_MAX)
		return -EPX_E_PRIV_GRANTS;
	s = priv_grants_find(g, f->s[1], f->n[1]);
	if (s < 0)
		return -EPX_E_PRIV_GRANTS;
	n = &g->grants[g->ngrants];
	memset(n, 0, sizeof(*n));
	n->slice = (unsigned)s;
	if (f->cnt == 3 && priv_grants_is(f, 2, "sock_diag")) {
		n->kind = PRIV_KIND_SOCK_DIAG;
	} else if (f->cnt == 4 && (priv_grants_is(f, 2, "file") || priv_grants_is(f, 2, "dir"))) {
		n->kind = priv_grants_is(f, 2, "dir") ? PRIV_KIND_DIR : PRIV_KIND_FILE;
		if (priv_req_path(f->s[3], f->n[3]) < 0 || grant_denied(f->s[3], f->n[3]))
			return -EPX_E_PRIV_GRANTS;
		memcpy(n->path, f->s[3], f->n[3]);
		n->path_len = f->n[3];
	} else {
		return -EPX_E_PRIV_GRANTS;
	}
	if (priv_grants_dup(g, n))
		return -EPX_E_PRIV_GRANTS;
	g->ngrants++;
	return 0;
}

int priv_grants_parse(struct priv_grants *g, const char *t, size_t len, unsigned *line)
{
	struct priv_grants_f f;
	size_t pos = 0;
	unsigned ln = 0;
	int rc = -EPX_E_PRIV_GRANTS;

	g->nslices = g->ngrants = 0;
	*line = 0;
	if (len > PRIV_GRANTS_FILE_MAX)
		return rc;
	while (pos < len) {
		const char *v;
		long n = line_take(t, len, &pos, "", &v);

		*line = ++ln;
		if (n < 0)
			return -EPX_E_PRIV_GRANTS;
		if (n == 0 || v[0] == '#')
			continue;
		rc = priv_grants_split(v, (size_t)n, &f);
		if (rc == 0 && priv_grants_is(&f, 0, "slice"))
			rc = priv_grants_slice(g, &f);
		else if (rc == 0 && priv_grants_is(&f, 0, "grant"))
			rc = priv_grants_grant(g, &f);
		else
			rc = -EPX_E_PRIV_GRANTS;
		if (rc < 0)
			return rc;
	}
	*line = 0;
	return 0;
}

int priv_grants_allow(const struct priv_grants *g, unsigned slice,
		      const struct priv_req *req, const struct priv_grant **out)
{
	unsigned i;

	for (i = 0; i < g->ngrants; i++) {
		const struct priv_grant *n = &g->grants[i];

		if (n->slice != slice)
			continue;
		if ((req->op == PRIV_OP_SOCK_DIAG && n->kind == PRIV_KIND_SOCK_DIAG) ||
		    (req->op == PRIV_OP_OPEN && n->kind == PRIV_KIND_FILE &&
		     n->path_len == req->path_len &&
		     memcmp(n->path, req->path, req->path_len) == 0) ||
		    (req->op == PRIV_OP_OPEN && n->kind == PRIV_KIND_DIR &&
		     grant_beneath(n->path, n->path_len, req->path, req->path_len))) {
			*out = n;
			return 0;
		}
	}
	return -EPX_E_PRIV_NOGRANT;
}
