/* pusher_files: the file table, inotify and scans (see pusher_files.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/label.h"
#include "node/pusher/pusher_files.h"

#define PUSHER_FILES_DEPTH 8
#define PUSHER_FILES_MASK (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_CREATE | IN_ONLYDIR)

static uint32_t pusher_files_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static int pusher_files_reindex(struct pusher_files *f)
{
	size_t want = 64, i;

	while (want < 2 * f->n + 2)
		want *= 2;
	if (want != f->nidx) {
		uint32_t *p = calloc(want, sizeof(*p));

		if (!p)
			return -ENOMEM;
		free(f->idx);
		f->idx = p;
		f->nidx = want;
	} else {
		memset(f->idx, 0, want * sizeof(*f->idx));
	}
	for (i = 0; i < f->n; i++) {
		size_t s = pusher_files_hash(f->v[i].rel) & (f->nidx - 1);

		while (f->idx[s])
			s = (s + 1) & (f->nidx - 1);
		f->idx[s] = (uint32_t)i + 1;
	}
	return 0;
}

struct pusher_file *pusher_files_get(struct pusher_files *f, const char *rel)
{
	size_t s;

	if (!f->nidx)
		return NULL;
	s = pusher_files_hash(rel) & (f->nidx - 1);
	while (f->idx[s]) {
		struct pusher_file *p = &f->v[f->idx[s] - 1];

		if (!strcmp(p->rel, rel))
			return p;
		s = (s + 1) & (f->nidx - 1);
	}
	return NULL;
}

int pusher_files_group(const char *rel, char exp[PUSHER_TAG_MAX + 1],
		       char dt[PUSHER_TAG_MAX + 1])
{
	const char *a = strchr(rel, '/'), *b;

	if (!a || a == rel || (size_t)(a - rel) > PUSHER_TAG_MAX || rel[0] == '.')
		return -1;
	b = strchr(a + 1, '/');
	if (!b || b == a + 1 || (size_t)(b - a - 1) > PUSHER_TAG_MAX || a[1] == '.' ||
	    !b[1])
		return -1;
	if (label_check(LABEL_TAG, rel, (size_t)(a - rel)) < 0 ||
	    label_check(LABEL_TAG, a + 1, (size_t)(b - a - 1)) < 0)
		return -1;
	memcpy(exp, rel, (size_t)(a - rel));
	exp[a - rel] = '\0';
	memcpy(dt, a + 1, (size_t)(b - a - 1));
	dt[b - a - 1] = '\0';
	return 0;
}

struct pusher_file *pusher_files_add(struct pusher_files *f, const char *rel)
{
	struct pusher_file *p = pusher_files_get(f, rel);
	char exp[PUSHER_TAG_MAX + 1], dt[PUSHER_TAG_MAX + 1];

	if (p)
		return p;
	if (strlen(rel) > PUSHER_REL_MAX || pusher_files_group(rel, exp, dt) < 0)
		return NULL;
	if (f->n >= f->max) {
		f->dropped++;
		return NULL;
	}
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 256;
		struct pusher_file *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		f->v = v;
		f->cap = cap;
	}
	p = &f->v[f->n];
	memset(p, 0, sizeof(*p));
	p->rel = strdup(rel);
	if (!p->rel)
		return NULL;
	f->n++;
	if (2 * f->n + 2 > f->nidx) {
		if (pusher_files_reindex(f) < 0) {
			free(p->rel);
			f->n--;
			return NULL;
		}
	} else {
		size_t s = pusher_files_hash(rel) & (f->nidx - 1);

		while (f->idx[s])
			s = (s + 1) & (f->nidx - 1);
		f->idx[s] = (uint32_t)f->n;
	}
	return p;
}

static void pusher_files_drop(struct pusher_files *f, size_t i)
{
	free(f->v[i].rel);
	f->v[i] = f->v[--f->n];
}

void pusher_files_forget(struct pusher_files *f, const char *rel)
{
	struct pusher_file *p = pusher_files_get(f, rel);

	if (!p)
		return;
	pusher_files_drop(f, (size_t)(p - f->v));
	pusher_files_reindex(f);
}

/* Joins dir and name into out; -1 when too long. */
static int pusher_files_join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = dir[0] ? snprintf(out, cap, "%s/%s", dir, name) : snprintf(out, cap, "%s", name);

	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int pusher_files_watch(struct pusher_files *f, const char *rel)
{
	char path[PATH_MAX];
	int wd;

	if (snprintf(path, sizeof(path), "%s%s%s", f->root, rel[0] ? "/" : "", rel) >=
	    (int)sizeof(path))
		return -EPX_E_PU_WATCH;
	wd = inotify_add_watch(f->ifd, path, PUSHER_FILES_MASK);
	if (wd < 0)
		return -EPX_E_PU_WATCH;
	if ((size_t)wd >= f->nwd) {
		size_t n = (size_t)wd * 2 + 16;
		char **p = realloc(f->wd_rel, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		memset(p + f->nwd, 0, (n - f->nwd) * sizeof(*p));
		f->wd_rel = p;
		f->nwd = n;
	}
	free(f->wd_rel[wd]);
	f->wd_rel[wd] = strdup(rel);
	return f->wd_rel[wd] ? 0 : -ENOMEM;
}

/* The depth of the directory rel below root: "a" 1, "a/b" 2. */
static int pusher_files_depth(const char *rel)
{
	int d = 1;

	while (*rel)
		d += *rel++ == '/';
	return d;
}

static void pusher_files_stat(struct pusher_file *p, const struct stat *st)
{
	p->size = (uint64_t)st->st_size;
	p->mtime = st->st_mtim.tv_sec;
}

/* Watches and walks the directory rel (depth below root); fresh: rel was
 * just made (an inotify event), so what is in it was written before its
 * watch and its close-writes were missed. */
static int pusher_files_walk(struct pusher_files *f, const char *rel, int depth, int fresh)
{
	char path[PATH_MAX], sub[PUSHER_REL_MAX + 1];
	struct dirent *e;
	DIR *d;
	int rc = pusher_files_watch(f, rel);

	if (rc < 0)
		return rc;
	if (snprintf(path, sizeof(path), "%s%s%s", f->root, rel[0] ? "/" : "", rel) >=
	    (int)sizeof(path))
		return 0;
	d = opendir(path);
	if (!d)
		return 0;          /* gone meanwhile */
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		struct pusher_file *p;

		if (e->d_name[0] == '.' || pusher_files_join(sub, sizeof(sub), rel, e->d_name) < 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (depth < PUSHER_FILES_DEPTH)
				rc = pusher_files_walk(f, sub, depth + 1, fresh);
			if (rc < 0)
				break;
			continue;
		}
		if (!S_ISREG(st.st_mode) || depth < 2)
			continue;
		p = pusher_files_get(f, sub);
		if (!p) {
			p = pusher_files_add(f, sub);
			if (!p)
				continue;
			pusher_files_stat(p, &st);
			p->missed = fresh;
		} else if (!p->claimed && ((uint64_t)st.st_size != p->size ||
					   st.st_mtim.tv_sec != p->mtime)) {
			/* changed with no event of ours: unknown again */
			pusher_files_stat(p, &st);
			p->closed = 0;
		}
		p->seen = 1;
	}
	closedir(d);
	return rc;
}

int pusher_files_scan(struct pusher_files *f)
{
	size_t i;
	int rc;

	for (i = 0; i < f->n; i++)
		f->v[i].seen = 0;
	f->rescan = 0;
	rc = pusher_files_walk(f, "", 0, 0);
	if (rc < 0)
		return rc;
	for (i = 0; i < f->n;) {
		if (!f->v[i].seen && !f->v[i].claimed)
			pusher_files_drop(f, i);
		else
			i++;
	}
	return pusher_files_reindex(f);
}

static void pusher_files_event(struct pusher_files *f, const struct inotify_event *ev)
{
	char rel[PUSHER_REL_MAX + 1], path[PATH_MAX];
	const char *dir;
	struct pusher_file *p;
	struct stat st;

	f->events++;
	if (ev->mask & IN_Q_OVERFLOW) {
		f->overflows++;
		f->rescan = 1;
		return;
	}
	if (ev->wd < 0 || (size_t)ev->wd >= f->nwd || !f->wd_rel[ev->wd] || !ev->len ||
	    ev->name[0] == '.')
		return;
	dir = f->wd_rel[ev->wd];
	if (pusher_files_join(rel, sizeof(rel), dir, ev->name) < 0)
		return;
	if (ev->mask & IN_ISDIR) {
		/* a new directory: watch it, and find what was made in it
		 * before the watch */
		if ((ev->mask & (IN_CREATE | IN_MOVED_TO)) &&
		    pusher_files_walk(f, rel, pusher_files_depth(rel), 1) < 0)
			f->rescan = 1;
		return;
	}
	p = pusher_files_get(f, rel);
	if (ev->mask & IN_MODIFY) {
		if (p && !p->claimed) {
			p->dirty = 1;
			p->closed = 0;
		}
		return;
	}
	if (!(ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)))
		return;
	if (snprintf(path, sizeof(path), "%s/%s", f->root, rel) >= (int)sizeof(path) ||
	    lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	if (!p)
		p = pusher_files_add(f, rel);
	if (!p || p->claimed)
		return;
	pusher_files_stat(p, &st);
	p->closed = 1;
	p->dirty = 0;
	p->missed = 0;
}

int pusher_files_writer(const struct pusher_files *f, const char *rel)
{
	char path[PATH_MAX];
	int fd, rc = -1;

	if (snprintf(path, sizeof(path), "%s/%s", f->root, rel) >= (int)sizeof(path))
		return -1;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	/* a read lease is refused (EAGAIN) while anyone holds the file open
	 * for writing (fcntl(2), F_SETLEASE); it is dropped at once */
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
		rc = 0;
		(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	} else if (errno == EAGAIN) {
		rc = 1;
	}
	close(fd);
	return rc;
}

int pusher_files_events(struct pusher_files *f)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		ssize_t n = read(f->ifd, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		while (off + sizeof(struct inotify_event) <= (size_t)n) {
			const struct inotify_event *ev = (const void *)(buf + off);

			if (off + sizeof(*ev) + ev->len > (size_t)n)
				break;
			pusher_files_event(f, ev);
			off += sizeof(*ev) + ev->len;
		}
	}
}

int pusher_files_init(struct pusher_files *f, const char *root, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->max = max;
	f->root = strdup(root);
	if (!f->root)
		return -ENOMEM;
	f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ifd < 0)
		return -EPX_E_PU_WATCH;
	return pusher_files_reindex(f);
}

void pusher_files_free(struct pusher_files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->v[i].rel);
	for (i = 0; i < f->nwd; i++)
		free(f->wd_rel[i]);
	free(f->wd_rel);
	free(f->v);
	free(f->idx);
	free(f->root);
	if (f->ifd >= 0)
		close(f->ifd);
	memset(f, 0, sizeof(*f));
	f->ifd = -1;
}
