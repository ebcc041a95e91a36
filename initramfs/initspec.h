/* initspec: the initramfs spec language, parsed into a sorted entry list.
 *
 * A spec is text, one entry per line (fields separated by spaces or tabs,
 * '#' starts a comment line, blank lines are ignored):
 *
 *   dir   <path> <mode>
 *   file  <path> <source> <mode>
 *   slink <path> <target> <mode>
 *   nod   <path> <mode> <c|b> <major> <minor>
 *   hlink <path> <target>
 *
 * An hlink is a hard link to the file entry <target> (a spec path, not a
 * source): the archive holds the file's bytes once, and the kernel's
 * unpacker makes one inode with both names (mode: the file's).
 * Modes are octal permission bits (at most 07777).  Paths are relative
 * ("bin/busybox", no leading '/'), made of components of [A-Za-z0-9._+@-]
 * that are neither "." nor "..".  Owners are always 0:0 and times are set
 * by the writer, so a spec cannot make two builds differ.
 *
 * initspec_parse() guarantees, on success: every line was well formed and
 * within the caps below, every path is valid and unique, and every entry's
 * parent directory is itself declared as a dir (so the kernel can unpack the
 * archive in order); every hlink names a file entry (not a dir, link or
 * node: -EPX_E_IS_LINK); entries are sorted bytewise by path, which puts
 * every directory before its contents.  On failure nothing is kept and the error
 * names the line.  The parser only reads memory: sources are opened by the
 * writer (mkinitramfs.c). */
#ifndef EPOXY_INITSPEC_H
#define EPOXY_INITSPEC_H

#include <stddef.h>

#define INITSPEC_MAX_BYTES   (1024 * 1024)	/* whole spec */
#define INITSPEC_MAX_LINE    4096		/* one line, without '\n' */
#define INITSPEC_MAX_ENTRIES 4096
#define INITSPEC_MAX_PATH    1024		/* path, source or link target */
#define INITSPEC_MAX_COMPONENT 255		/* one path component */
#define INITSPEC_MAX_DEPTH   32			/* components in one path */
#define INITSPEC_MAX_DEVNUM  4095		/* major and minor */

enum initspec_type {
	INITSPEC_DIR = 1,
	INITSPEC_FILE,
	INITSPEC_SLINK,
	INITSPEC_NOD,
	INITSPEC_HLINK,
};

struct initspec_entry {
	enum initspec_type type;
	char *path;		/* relative, validated */
	char *source;		/* FILE: source file; SLINK: link target;
				 * HLINK: the file entry's path */
	unsigned int mode;	/* permission bits only, <= 07777; HLINK:
				 * the file's */
	size_t file;		/* HLINK: index of its file entry, after
				 * sorting */
	char devtype;		/* NOD: 'c' or 'b' */
	unsigned int major, minor;
	unsigned int line;	/* line of the spec, for messages */
};

struct initspec {
	struct initspec_entry *entries;
	size_t n;
};

/* Parses len bytes of text (need not be NUL-terminated) into spec, which
 * the caller owns and frees with initspec_free() (also after a failure).
 * Returns 0, or -EPX_E_IS_* with *errline set to the offending line (0 when
 * the failure is about the whole spec). */
int initspec_parse(const char *text, size_t len, struct initspec *spec,
		   unsigned int *errline);
void initspec_free(struct initspec *spec);

/* 0 if path is a valid spec path (see above), else -EPX_E_IS_PATH. */
int initspec_check_path(const char *path);

#endif
