/* nmsync: the node manager's sliver set, cache and plan (nmsync.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/keyset.h"
#include "node/nm/nmsync.h"

int nmsync_init(struct nmsync *s, const char *dir, const char *node, const char *keyset)
{
	struct keyset *ks = NULL;
	char *buf = NULL;
	long len;
	int rc = -EPX_E_NM_USAGE;

	memset(s, 0, sizeof(*s));
	if (strlen(dir) > NMSYNC_DIR_MAX || strlen(node) > LABEL_HOST_MAX)
		return rc;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(s->node, sizeof(s->node), "%s", node);
	rc = -ENOMEM;
	buf = malloc(NMSYNC_KEYSET_MAX);
	ks = calloc(1, sizeof(*ks));
	if (!buf || !ks)
		goto out;
	rc = -EPX_E_NM_KEYSET;
	len = file_read(keyset, buf, NMSYNC_KEYSET_MAX);
	if (len <= 0 || len >= NMSYNC_KEYSET_MAX)
		goto out;
	if (keyset_load_root(ks, buf, (size_t)len) < 0)
		goto out;
	s->online = ks->online;
	rc = 0;
out:
	free(buf);
	free(ks);
	return rc;
}

void nmsync_free(struct nmsync *s)
{
	free(s->cur);
	s->cur = NULL;
}

static int nmsync_path(const struct nmsync *s, const char *suffix, char *out, size_t cap)
{
	int n = snprintf(out, cap, "%s/%s%s", s->dir, NMSYNC_CACHE_NAME, suffix);

	return n > 0 && (size_t)n < cap ? 0 : -EPX_E_NM_USAGE;
}

/* Verifies buf with floor serial; on success *out holds the new set. */
static int nmsync_check(const struct nmsync *s, const char *buf, size_t len, uint64_t floor,
			struct sliverset **out)
{
	struct sliverset *ss = malloc(sizeof(*ss));
	int rc;

	if (!ss)
		return -ENOMEM;
	rc = sliverset_verify(ss, buf, len, &s->online, s->node, floor);
	if (rc < 0) {
		free(ss);
		return rc;
	}
	*out = ss;
	return 0;
}

int nmsync_load(struct nmsync *s)
{
	char path[NMSYNC_DIR_MAX + 32];
	struct sliverset *ss = NULL;
	char *buf;
	long len;
	int rc = nmsync_path(s, "", path, sizeof(path));

	if (rc < 0)
		return rc;
	buf = malloc(SLIVERSET_MAX_BYTES + 1);
	if (!buf)
		return -ENOMEM;
	len = file_read(path, buf, SLIVERSET_MAX_BYTES + 1);
	if (len == -ENOENT) {
		rc = 1;
		goto out;
	}
	rc = len < 0 ? -EPX_E_NM_CACHE : len > SLIVERSET_MAX_BYTES ? -EPX_E_SLV_TOOBIG : 0;
	if (rc == 0)
		rc = nmsync_check(s, buf, (size_t)len, 0, &ss);
	if (rc == 0) {
		free(s->cur);
		s->cur = ss;
		s->serial = ss->serial;
	}
out:
	free(buf);
	return rc;
}

/* Writes len bytes of buf to path, whole, then fsync. */
static int nmsync_write(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	size_t done = 0;
	ssize_t w;
	int rc = 0;

	if (fd < 0)
		return -EPX_E_NM_CACHE;
	while (rc == 0 && done < len) {
		w = write(fd, buf + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = -EPX_E_NM_CACHE;
		else
			done += (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -EPX_E_NM_CACHE;
	if (close(fd) < 0 && rc == 0)
		rc = -EPX_E_NM_CACHE;
	return rc;
}

int nmsync_save(const char *dir, const char *name, const char *buf, size_t len)
{
	char tmp[NMSYNC_DIR_MAX + 40], path[NMSYNC_DIR_MAX + 40];
	int rc, dfd, n, m;

	n = snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	m = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(tmp) || m < 0 || (size_t)m >= sizeof(path))
		return -EPX_E_NM_USAGE;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -EPX_E_NM_CACHE;
	rc = nmsync_write(tmp, buf, len);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -EPX_E_NM_CACHE;
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -EPX_E_NM_CACHE;
	if (fsync(dfd) < 0)
		rc = -EPX_E_NM_CACHE;
	close(dfd);
	return rc;
}

static int nmsync_store(const struct nmsync *s, const char *buf, size_t len)
{
	return nmsync_save(s->dir, NMSYNC_CACHE_NAME, buf, len);
}

int nmsync_accept(struct nmsync *s, const char *buf, size_t len)
{
	struct sliverset *ss = NULL;
	int rc = nmsync_check(s, buf, len, s->serial, &ss);

	if (rc == 0)
		rc = nmsync_store(s, buf, len);
	if (rc < 0) {
		free(ss);
		return rc;
	}
	free(s->cur);
	s->cur = ss;
	s->serial = ss->serial;
	return 0;
}

/* The sliver of ss named name, or NULL. */
static const struct sliver *nmsync_find(const struct sliverset *ss, const char *name)
{
	size_t i;

	for (i = 0; ss && i < ss->n; i++)
		if (!strcmp(ss->sl[i].name, name))
			return &ss->sl[i];
	return NULL;
}

static int nmsync_live(const struct sliver *sl, int64_t now)
{
	return sl && sl->expires > now;
}

static int nmsync_add(struct nmsync_act *acts, size_t cap, size_t *n, enum nmsync_op op,
		      const char *name)
{
	if (*n >= cap)
		return -ENOSPC;
	acts[*n].op = op;
	snprintf(acts[*n].name, sizeof(acts[*n].name), "%s", name);
	(*n)++;
	return 0;
}

int nmsync_plan(const struct sliverset *want, const struct sliverset *have, int64_t now,
		struct nmsync_act *acts, size_t cap, size_t *n)
{
	const struct sliver *w, *h;
	size_t i;
	int rc = 0;

	*n = 0;
	/* destroys first: a re-created sliver frees its name and its limits'
	 * share before the new one asks for them */
	for (i = 0; rc == 0 && have && i < have->n; i++) {
		h = &have->sl[i];
		w = nmsync_find(want, h->name);
		if (!nmsync_live(w, now) ||
		    memcmp(w->image, h->image, sizeof(w->image)) || w->image_bytes != h->image_bytes ||
		    strcmp(w->entry, h->entry))
			rc = nmsync_add(acts, cap, n, NMSYNC_DESTROY, h->name);
	}
	for (i = 0; rc == 0 && want && i < want->n; i++) {
		w = &want->sl[i];
		if (!nmsync_live(w, now))
			continue;
		h = nmsync_find(have, w->name);
		if (!h || memcmp(w->image, h->image, sizeof(w->image)) ||
		    w->image_bytes != h->image_bytes || strcmp(w->entry, h->entry))
			rc = nmsync_add(acts, cap, n, NMSYNC_CREATE, w->name);
		else if (memcmp(w->attr, h->attr, sizeof(w->attr)))
			rc = nmsync_add(acts, cap, n, NMSYNC_UPDATE, w->name);
	}
	return rc;
}

const char *nmsync_op_name(enum nmsync_op op)
{
	return op == NMSYNC_CREATE ? "create" : op == NMSYNC_UPDATE ? "update" :
		op == NMSYNC_DESTROY ? "destroy" : "?";
}
