/* pusher_files: what epoxy-pusher knows of the files under its data
 * directory: a table fed by recursive inotify (IN_CLOSE_WRITE, IN_MOVED_TO,
 * IN_MODIFY, new directories) and by full scans.
 *
 * Layout: <root>/<experiment>/<datatype>/[any subdirectories/]<file>;
 * experiment and datatype are LABEL_TAG names not starting with '.';
 * a file or directory whose name starts with '.' is never taken (writers'
 * temporary names), nor anything that is not a regular file.
 *
 * Guarantees:
 *  - a file is "closed" only after an IN_CLOSE_WRITE or IN_MOVED_TO for
 *    it with no IN_MODIFY since: a file that was only opened and written
 *    (its writer still holds it) is never closed;
 *  - a file found only by a scan (an event missed, a queue overflow, a
 *    restart) is "unknown" and ready only once unchanged for the scan age;
 *  - every new directory is watched and scanned at once (files made
 *    before its watch are found, "missed": treated as a close-write that
 *    came before the watch, yet taken only when pusher_files_writer says
 *    no one holds them open for writing); IN_Q_OVERFLOW asks for a full
 *    scan;
 *  - at most max files are tracked (the rest wait for a later scan,
 *    counted in dropped); every path is at most PUSHER_REL_MAX bytes. */
#ifndef EPOXY_PUSHER_FILES_H
#define EPOXY_PUSHER_FILES_H

#include <stddef.h>
#include <stdint.h>

#define PUSHER_REL_MAX 1024
#define PUSHER_TAG_MAX 64

struct pusher_file {
	char *rel;                      /* "<exp>/<datatype>/.../<name>" */
	uint64_t size;
	int64_t mtime;                  /* seconds */
	unsigned closed : 1;            /* close-write or moved-to, then no modify */
	unsigned dirty : 1;             /* modified after its last close */
	unsigned claimed : 1;           /* in a bundle of the spool */
	unsigned seen : 1;              /* found by the scan in progress */
	unsigned missed : 1;            /* found in a directory just made: its
					 * close-write came before the watch */
};

struct pusher_files {
	char *root;
	int ifd;                        /* inotify */
	char **wd_rel;                  /* watch descriptor -> directory, "" root */
	size_t nwd;
	struct pusher_file *v;
	size_t n, cap, max;
	uint32_t *idx;                  /* open addressing: index + 1, 0 empty */
	size_t nidx;
	int rescan;                     /* overflow seen: scan everything */
	uint64_t dropped, overflows, events;
};

int pusher_files_init(struct pusher_files *f, const char *root, size_t max);
void pusher_files_free(struct pusher_files *f);
/* Reads the pending inotify events (non-blocking). */
int pusher_files_events(struct pusher_files *f);
/* Walks root, watching every directory, adding unknown files and
 * forgetting the ones that are gone (claimed ones are kept). */
int pusher_files_scan(struct pusher_files *f);
struct pusher_file *pusher_files_get(struct pusher_files *f, const char *rel);
/* Adds rel (claimed, from the spool's journal) if it is not there. */
struct pusher_file *pusher_files_add(struct pusher_files *f, const char *rel);
/* Forgets rel (after its bundle was acknowledged and it was deleted). */
void pusher_files_forget(struct pusher_files *f, const char *rel);
/* Whether a process holds rel open for writing: 1 yes, 0 no, -1 cannot
 * tell (no lease: not the owner without CAP_LEASE, a file system without
 * leases, gone).  Probes with a read lease, released at once. */
int pusher_files_writer(const struct pusher_files *f, const char *rel);
/* The experiment and datatype of rel into exp and dt; 0 or -1. */
int pusher_files_group(const char *rel, char exp[PUSHER_TAG_MAX + 1],
		       char dt[PUSHER_TAG_MAX + 1]);

#endif
