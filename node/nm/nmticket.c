/* nmticket: ticket redemption, its journal of nonces, and the plan of
 * set and ticket slivers (see nmticket.h).  Parsing is line_take
 * (lib/line.h) with hex.h and num.h for values: no second parser. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "lib/line.h"
#include "lib/num.h"
#include "lib/record.h"
#include "lib/ticket.h"
#include "node/nm/nmrun.h"
#include "node/nm/nmticket.h"

#define NMTICKET_MAGIC "epoxy-nm-tickets 1"

/* "<64 hex> <expires>" -> e */
static int nmticket_entry(const char *v, size_t n, struct nmticket_seen *e)
{
	if (n < 66 || v[64] != ' ' || hex_decode(v, 64, e->nonce, 32) < 0)
		return -EPX_E_NM_TK_JOURNAL;
	if (num_parse_i64(v + 65, n - 65, 1, INT64_MAX, &e->expires) < 0)
		return -EPX_E_NM_TK_JOURNAL;
	return 0;
}

int nmticket_journal_parse(struct nmticket *t, const char *buf, size_t len, int64_t now)
{
	struct nmticket_seen e;
	size_t pos = 0, k = 0;
	const char *v;
	long n;
	int rc = -EPX_E_NM_TK_JOURNAL;

	t->nseen = 0;
	if (len > NMTICKET_JOURNAL_MAX || line_take(buf, len, &pos, NMTICKET_MAGIC, &v) != 0)
		return rc;
	while (pos < len) {
		n = line_take(buf, len, &pos, "nonce ", &v);
		if (n < 0 || k == NMTICKET_MAX || nmticket_entry(v, (size_t)n, &e) < 0)
			goto fail;
		k++;
		if (e.expires > now)
			t->seen[t->nseen++] = e;
	}
	return 0;
fail:
	t->nseen = 0;
	return rc;
}

size_t nmticket_journal_format(const struct nmticket *t, char *out, size_t cap)
{
	size_t len, i;
	int n;

	n = snprintf(out, cap, "%s\n", NMTICKET_MAGIC);
	len = n > 0 ? (size_t)n : 0;
	for (i = 0; i < t->nseen && len + NMTICKET_LINE_MAX < cap; i++) {
		memcpy(out + len, "nonce ", 6);
		hex_encode(t->seen[i].nonce, 32, out + len + 6);
		n = snprintf(out + len + 70, cap - len - 70, " %lld\n",
			     (long long)t->seen[i].expires);
		len += 70 + (n > 0 ? (size_t)n : 0);
	}
	return len;
}

int nmticket_init(struct nmticket *t, const char *dir, int64_t now)
{
	char path[NMSYNC_DIR_MAX + 32], *buf;
	long len;
	int rc;

	memset(t, 0, sizeof(*t));
	if (strlen(dir) > NMSYNC_DIR_MAX)
		return -EPX_E_NM_USAGE;
	snprintf(t->dir, sizeof(t->dir), "%s", dir);
	snprintf(path, sizeof(path), "%s/%s", dir, NMTICKET_FILE);
	buf = malloc(NMTICKET_JOURNAL_MAX + 1);
	if (!buf)
		return -ENOMEM;
	len = file_read(path, buf, NMTICKET_JOURNAL_MAX + 1);
	if (len == -ENOENT)
		rc = 0;
	else if (len < 0)
		rc = -EPX_E_NM_TK_JOURNAL;
	else
		rc = nmticket_journal_parse(t, buf, (size_t)len, now);
	free(buf);
	t->broken = rc < 0;
	return rc;
}

/* Drops the entries expired at now. */
static void nmticket_prune(struct nmticket *t, int64_t now)
{
	size_t i, k = 0;

	for (i = 0; i < t->nseen; i++)
		if (t->seen[i].expires > now)
			t->seen[k++] = t->seen[i];
	t->nseen = k;
}

/* The journal with one more nonce, written before anything else moves. */
static int nmticket_remember(struct nmticket *t, const struct sliverset *tk, int64_t now)
{
	char *buf;
	size_t len;
	int rc;

	nmticket_prune(t, now);
	if (t->nseen == NMTICKET_MAX)
		return -EPX_E_NM_TK_FULL;
	buf = malloc(NMTICKET_JOURNAL_MAX);
	if (!buf)
		return -ENOMEM;
	memcpy(t->seen[t->nseen].nonce, tk->nonce, 32);
	t->seen[t->nseen].expires = tk->expires;
	t->nseen++;
	len = nmticket_journal_format(t, buf, NMTICKET_JOURNAL_MAX);
	rc = nmsync_save(t->dir, NMTICKET_FILE, buf, len) < 0 ? -EPX_E_NM_TK_JOURNAL : 0;
	if (rc < 0)
		t->nseen--;
	free(buf);
	return rc;
}

static int nmticket_has(const struct sliver *sl, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(sl[i].name, name))
			return 1;
	return 0;
}

/* The checks after the signature: nonce, record, name, room. */
static int nmticket_admit(const struct nmticket *t, const struct nmsync *s,
			  const struct sliverset *tk)
{
	const struct sliver *sl = &tk->sl[0];
	size_t i, planned = t->n + (s->cur ? s->cur->n : 0);
	int rc;

	for (i = 0; i < t->nseen; i++)
		if (!memcmp(t->seen[i].nonce, tk->nonce, 32))
			return -EPX_E_NM_TK_REPLAY;
	rc = nmrun_check(sl);
	if (rc < 0)
		return rc;
	if (nmticket_has(t->sl, t->n, sl->name) ||
	    (s->cur && nmticket_has(s->cur->sl, s->cur->n, sl->name)))
		return -EPX_E_NM_TK_NAME;
	return planned >= SLIVERSET_MAX_SLIVERS ? -EPX_E_NM_TK_FULL : 0;
}

int nmticket_redeem(struct nmticket *t, const struct nmsync *s, const char *buf, size_t len,
		    int64_t now, char name[SLIVERSET_NAME_MAX + 1])
{
	struct sliverset *tk = NULL;
	int rc = -EPX_E_NM_TK_JOURNAL;

	name[0] = '\0';
	if (t->broken)
		goto out;
	rc = -EPX_E_NM_TK_NOSET;
	if (!s->node[0] || !t->dir[0])
		goto out;
	rc = -EPX_E_SLV_TOOBIG;
	if (len > NMTICKET_BYTES_MAX)
		goto out;
	rc = -ENOMEM;
	tk = malloc(sizeof(*tk));
	if (!tk)
		goto out;
	rc = ticket_verify(tk, buf, len, &s->online, s->node, now);
	if (rc == 0)
		rc = nmticket_admit(t, s, tk);
	if (rc == 0)
		rc = nmticket_remember(t, tk, now);
	if (rc == 0) {
		memcpy(t->doc[t->n], buf, len);
		t->doc_len[t->n] = len;
		t->sl[t->n++] = tk->sl[0];
		snprintf(name, SLIVERSET_NAME_MAX + 1, "%s", tk->sl[0].name);
	}
out:
	free(tk);
	return rc;
}

static int nmticket_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sliver *)a)->name, ((const struct sliver *)b)->name);
}

void nmticket_want(const struct nmticket *t, const struct sliverset *set, const char *node,
		   struct sliverset *out)
{
	size_t i;

	if (set)
		*out = *set;
	else {
		memset(out, 0, sizeof(*out));
		snprintf(out->node, sizeof(out->node), "%s", node);
	}
	for (i = 0; i < t->n && out->n < SLIVERSET_MAX_SLIVERS; i++)
		if (!nmticket_has(out->sl, out->n, t->sl[i].name))
			out->sl[out->n++] = t->sl[i];
	qsort(out->sl, out->n, sizeof(out->sl[0]), nmticket_cmp);
}

size_t nmticket_confirm(struct nmticket *t)
{
	size_t n = t->n;

	t->n = 0;
	return n;
}

const char *nmticket_doc(const struct nmticket *t, const struct sliverset *set,
			 const char *name, size_t *len)
{
	size_t i;

	if (set && nmticket_has(set->sl, set->n, name))
		return NULL;
	for (i = 0; t && i < t->n; i++)
		if (!strcmp(t->sl[i].name, name) && t->doc_len[i]) {
			*len = t->doc_len[i];
			return t->doc[i];
		}
	return NULL;
}

static void nmticket_json_one(const struct sliver *sl, const char *source, FILE *f)
{
	char hex[65];
	size_t k;

	fputs("{\"name\": ", f);
	record_json_str(f, sl->name);
	hex_encode(sl->image, 32, hex);
	fprintf(f, ", \"source\": \"%s\", \"expires\": %lld, \"image\": \"sha256:%s\", "
		"\"entry\": ", source, (long long)sl->expires, hex);
	record_json_str(f, sl->entry);
	for (k = 0; k < SLIVERSET_NATTR; k++)
		fprintf(f, ", \"%s\": %llu", sliverset_attr_names[k],
			(unsigned long long)sl->attr[k]);
	fputc('}', f);
}

void nmticket_json(const struct nmticket *t, const struct sliverset *set, const char *node,
		   FILE *f)
{
	size_t i;

	fputs("{\"node\": ", f);
	record_json_str(f, node);
	fprintf(f, ", \"serial\": %llu, \"slivers\": [",
		set ? (unsigned long long)set->serial : 0ULL);
	for (i = 0; set && i < set->n; i++) {
		fputs(i ? ", " : "", f);
		nmticket_json_one(&set->sl[i], "set", f);
	}
	for (i = 0; i < t->n; i++) {
		fputs(i || (set && set->n) ? ", " : "", f);
		nmticket_json_one(&t->sl[i], "ticket", f);
	}
	fputs("]}\n", f);
}
