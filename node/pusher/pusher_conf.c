/* pusher_conf: the experiment configuration parser (see pusher_conf.h).
 * Numbers through lib/num.h, names through lib/label.h; one line at a time,
 * then the rules across lines (defaults, age order). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/label.h"
#include "lib/num.h"
#include "node/pusher/pusher_bundle.h"
#include "node/pusher/pusher_conf.h"

/* keys, each with its bit in a scope's "seen" mask */
enum {
	PUSHER_CONF_K_SERVER, PUSHER_CONF_K_SIZE, PUSHER_CONF_K_AGE_MIN, PUSHER_CONF_K_AGE_MAX,
	PUSHER_CONF_K_MAX_FILES, PUSHER_CONF_K_MAX_BYTES, PUSHER_CONF_K_DATATYPES,
	PUSHER_CONF_K_EXPERIMENT, PUSHER_CONF_K_NKEYS
};

static const char *const pusher_conf_keys[PUSHER_CONF_K_NKEYS] = {
	"server", "size", "age-min", "age-max", "max-files", "max-bytes", "datatypes",
	"experiment",
};

struct pusher_conf_state {
	struct pusher_conf *c;
	struct pusher_conf_exp *e;          /* the block being read, NULL at the top */
	unsigned top_seen, exp_seen;        /* bits of the keys given per scope */
	unsigned exp_set[PUSHER_CONF_EXPS_MAX]; /* which limits each block set */
};

static int pusher_conf_tag(const char *v, size_t n)
{
	return n > 0 && n <= PUSHER_TAG_MAX && v[0] != '.' && label_check(LABEL_TAG, v, n) == 0;
}

static int pusher_conf_server(struct pusher_conf *c, const char *v, size_t n)
{
	const char *colon;
	size_t hn;
	uint64_t port = 443;

	if (n < 9 || strncmp(v, "https://", 8))
		return -EPX_E_PU_CONF_VALUE;
	v += 8;
	n -= 8;
	colon = memchr(v, ':', n);
	hn = colon ? (size_t)(colon - v) : n;
	if (hn == 0 || hn > PUSHER_CONF_NAME_MAX || label_check(LABEL_DNS, v, hn) < 0)
		return -EPX_E_PU_CONF_VALUE;
	if (colon && (num_parse_u64(colon + 1, n - hn - 1, 65535, &port) < 0 || port == 0))
		return -EPX_E_PU_CONF_VALUE;
	memcpy(c->server, v, hn);
	c->server[hn] = '\0';
	c->port = (uint16_t)port;
	return 0;
}

static int pusher_conf_datatypes(struct pusher_conf_exp *e, const char *v, size_t n)
{
	size_t i = 0, k, j;

	e->ndatatypes = 0;
	while (i <= n) {
		const char *comma = memchr(v + i, ',', n - i);

		k = comma ? (size_t)(comma - (v + i)) : n - i;
		if (!pusher_conf_tag(v + i, k) || e->ndatatypes == PUSHER_CONF_DATATYPES_MAX)
			return -EPX_E_PU_CONF_VALUE;
		memcpy(e->datatypes[e->ndatatypes], v + i, k);
		e->datatypes[e->ndatatypes][k] = '\0';
		for (j = 0; j < e->ndatatypes; j++)
			if (!strcmp(e->datatypes[j], e->datatypes[e->ndatatypes]))
				return -EPX_E_PU_CONF_DUP;
		e->ndatatypes++;
		i += k + 1;
		if (!comma)
			break;
	}
	return 0;
}

static int pusher_conf_limit(struct pusher_limits *l, int key, const char *v, size_t n)
{
	static const uint64_t max[] = {
		[PUSHER_CONF_K_SIZE] = PUSHER_CONF_BYTES_MAX,
		[PUSHER_CONF_K_AGE_MIN] = PUSHER_CONF_AGE_CAP,
		[PUSHER_CONF_K_AGE_MAX] = PUSHER_CONF_AGE_CAP,
		[PUSHER_CONF_K_MAX_FILES] = PUSHER_BUNDLE_FILES_MAX,
		[PUSHER_CONF_K_MAX_BYTES] = PUSHER_CONF_BYTES_MAX,
	};
	uint64_t *dst = key == PUSHER_CONF_K_SIZE ? &l->size : key == PUSHER_CONF_K_AGE_MIN ?
		&l->age_min : key == PUSHER_CONF_K_AGE_MAX ? &l->age_max :
		key == PUSHER_CONF_K_MAX_FILES ? &l->max_files : &l->max_bytes;
	uint64_t x;

	if (num_parse_u64(v, n, max[key], &x) < 0 || x == 0)
		return -EPX_E_PU_CONF_VALUE;
	*dst = x;
	return 0;
}

static int pusher_conf_new_exp(struct pusher_conf_state *st, const char *v, size_t n)
{
	struct pusher_conf *c = st->c;
	size_t i;

	if (!pusher_conf_tag(v, n))
		return -EPX_E_PU_CONF_VALUE;
	for (i = 0; i < c->nexp; i++)
		if (strlen(c->exp[i].name) == n && !memcmp(c->exp[i].name, v, n))
			return -EPX_E_PU_CONF_DUP;
	if (c->nexp == PUSHER_CONF_EXPS_MAX)
		return -EPX_E_PU_CONF_TOOBIG;
	st->e = &c->exp[c->nexp++];
	memcpy(st->e->name, v, n);
	st->e->name[n] = '\0';
	st->exp_seen = 0;
	return 0;
}

/* One "key value" line s[0..n) (no newline, not a comment, not blank). */
static int pusher_conf_line(struct pusher_conf_state *st, const char *s, size_t n)
{
	size_t kl = 0, vo;
	unsigned *seen;
	int k;

	for (vo = 0; vo < n; vo++)
		if ((unsigned char)s[vo] < 0x20 || (unsigned char)s[vo] > 0x7e)
			return -EPX_E_PU_CONF_SYNTAX;
	while (kl < n && s[kl] != ' ')
		kl++;
	vo = kl;
	while (vo < n && s[vo] == ' ')
		vo++;
	if (kl == 0 || vo == kl || vo == n || s[n - 1] == ' ')
		return -EPX_E_PU_CONF_SYNTAX;
	for (k = 0; k < PUSHER_CONF_K_NKEYS; k++)
		if (strlen(pusher_conf_keys[k]) == kl && !memcmp(pusher_conf_keys[k], s, kl))
			break;
	if (k == PUSHER_CONF_K_NKEYS)
		return -EPX_E_PU_CONF_KEY;
	if (k == PUSHER_CONF_K_EXPERIMENT)
		return pusher_conf_new_exp(st, s + vo, n - vo);
	/* server only at the top, datatypes only in a block */
	if ((k == PUSHER_CONF_K_SERVER && st->e) || (k == PUSHER_CONF_K_DATATYPES && !st->e))
		return -EPX_E_PU_CONF_KEY;
	seen = st->e ? &st->exp_seen : &st->top_seen;
	if (*seen & (1u << k))
		return -EPX_E_PU_CONF_DUP;
	*seen |= 1u << k;
	if (k == PUSHER_CONF_K_SERVER)
		return pusher_conf_server(st->c, s + vo, n - vo);
	if (k == PUSHER_CONF_K_DATATYPES)
		return pusher_conf_datatypes(st->e, s + vo, n - vo);
	if (st->e)
		st->exp_set[st->e - st->c->exp] |= 1u << k;
	return pusher_conf_limit(st->e ? &st->e->lim : &st->c->lim, k, s + vo, n - vo);
}

/* The defaults into the limits a block did not set. */
static void pusher_conf_defaults(struct pusher_limits *l, const struct pusher_limits *d,
				 unsigned set)
{
	if (!(set & 1u << PUSHER_CONF_K_SIZE))
		l->size = d->size;
	if (!(set & 1u << PUSHER_CONF_K_AGE_MIN))
		l->age_min = d->age_min;
	if (!(set & 1u << PUSHER_CONF_K_AGE_MAX))
		l->age_max = d->age_max;
	if (!(set & 1u << PUSHER_CONF_K_MAX_FILES))
		l->max_files = d->max_files;
	if (!(set & 1u << PUSHER_CONF_K_MAX_BYTES))
		l->max_bytes = d->max_bytes;
}

/* The rules across lines: defaults into blocks, ages. */
static int pusher_conf_finish(struct pusher_conf_state *st)
{
	struct pusher_conf *c = st->c;
	size_t i;

	if (!c->server[0] || c->nexp == 0)
		return -EPX_E_PU_CONF_MISSING;
	if (c->lim.age_min > c->lim.age_max)
		return -EPX_E_PU_CONF_VALUE;
	for (i = 0; i < c->nexp; i++) {
		struct pusher_conf_exp *e = &c->exp[i];

		pusher_conf_defaults(&e->lim, &c->lim, st->exp_set[i]);
		if (e->lim.age_min > e->lim.age_max)
			return -EPX_E_PU_CONF_VALUE;
	}
	return 0;
}

int pusher_conf_parse(struct pusher_conf *c, const char *buf, size_t len,
		      const struct pusher_limits *def, unsigned *line)
{
	struct pusher_conf_state *st;
	size_t pos = 0;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	*line = 0;
	if (len > PUSHER_CONF_FILE_MAX)
		return -EPX_E_PU_CONF_TOOBIG;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->c = c;
	c->lim = *def;
	while (rc == 0 && pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;

		(*line)++;
		if (n > PUSHER_CONF_LINE_MAX)
			rc = -EPX_E_PU_CONF_TOOBIG;
		else if (n && buf[pos] != '#')
			rc = pusher_conf_line(st, buf + pos, n);
		pos += n + 1;
	}
	if (rc == 0) {
		*line = 0;
		rc = pusher_conf_finish(st);
	}
	free(st);
	if (rc < 0)
		memset(c, 0, sizeof(*c));
	return rc;
}

int pusher_conf_load(struct pusher_conf *c, const char *path,
		     const struct pusher_limits *def, unsigned *line)
{
	char *buf = malloc(PUSHER_CONF_FILE_MAX + 1);
	long n;
	int rc;

	*line = 0;
	if (!buf)
		return -ENOMEM;
	n = file_read(path, buf, PUSHER_CONF_FILE_MAX + 1);
	if (n < 0)
		rc = -EPX_E_PU_CONF_FILE;
	else if (n > PUSHER_CONF_FILE_MAX)
		rc = -EPX_E_PU_CONF_TOOBIG;
	else
		rc = pusher_conf_parse(c, buf, (size_t)n, def, line);
	free(buf);
	return rc;
}

const struct pusher_conf_exp *pusher_conf_find(const struct pusher_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nexp; i++)
		if (!strcmp(c->exp[i].name, name))
			return &c->exp[i];
	return NULL;
}

int pusher_conf_takes(const struct pusher_conf_exp *e, const char *dt)
{
	size_t i;

	if (e->ndatatypes == 0)
		return 1;
	for (i = 0; i < e->ndatatypes; i++)
		if (!strcmp(e->datatypes[i], dt))
			return 1;
	return 0;
}
