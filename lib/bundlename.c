/* bundlename: a bundle's name in the archive (see bundlename.h). */
#include <stdio.h>
#include <string.h>

#include "lib/bundlename.h"
#include "lib/err.h"
#include "lib/label.h"

#define BUNDLENAME_YEAR_MIN 2000
#define BUNDLENAME_YEAR_MAX 2199

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's
 * days_from_civil), no time zone involved. */
static int64_t bundlename_days(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned bundlename_mdays(unsigned y, unsigned m)
{
	static const unsigned char md[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

/* n decimal digits at s into *v; -1 unless all are digits */
static int bundlename_num(const char *s, size_t n, unsigned *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return 0;
}

/* The next '/'-segment of s[*at..len) into seg (n bytes); -1 when none. */
static int bundlename_seg(const char *s, size_t len, size_t *at, const char **seg, size_t *n)
{
	const char *p = s + *at, *slash = memchr(p, '/', len - *at);

	if (!slash)
		return -1;
	*seg = p;
	*n = (size_t)(slash - p);
	*at += *n + 1;
	return *n ? 0 : -1;
}

static int bundlename_tag(const char *p, size_t n, char out[LABEL_TAG_MAX + 1])
{
	if (n == 0 || n > LABEL_TAG_MAX || p[0] == '.' || label_check(LABEL_TAG, p, n) < 0)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* "YYYYMMDDTHHMMSS.ffffffZ" into sec/usec and its date */
static int bundlename_time(const char *t, unsigned date[3], int64_t *sec, uint32_t *usec)
{
	unsigned y, mo, d, h, mi, se, us;

	if (bundlename_num(t, 4, &y) || bundlename_num(t + 4, 2, &mo) ||
	    bundlename_num(t + 6, 2, &d) || t[8] != 'T' || bundlename_num(t + 9, 2, &h) ||
	    bundlename_num(t + 11, 2, &mi) || bundlename_num(t + 13, 2, &se) || t[15] != '.' ||
	    bundlename_num(t + 16, 6, &us) || t[22] != 'Z')
		return -1;
	if (y < BUNDLENAME_YEAR_MIN || y > BUNDLENAME_YEAR_MAX || mo < 1 || mo > 12 || d < 1 ||
	    d > bundlename_mdays(y, mo) || h > 23 || mi > 59 || se > 59)
		return -1;
	date[0] = y;
	date[1] = mo;
	date[2] = d;
	*sec = bundlename_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	*usec = us;
	return 0;
}

int bundlename_parse(const char *s, size_t len, struct bundlename *out)
{
	const char *seg, *f, *tail;
	size_t at = 0, n, fn, want;
	unsigned date[3], dir[3];
	int i;

	memset(out, 0, sizeof(*out));
	if (len > BUNDLENAME_MAX || memchr(s, '\0', len))
		goto bad;
	if (bundlename_seg(s, len, &at, &seg, &n) || bundlename_tag(seg, n, out->exp) ||
	    bundlename_seg(s, len, &at, &seg, &n) || bundlename_tag(seg, n, out->dt))
		goto bad;
	for (i = 0; i < 3; i++)
		if (bundlename_seg(s, len, &at, &seg, &n) || n != (i ? 2u : 4u) ||
		    bundlename_num(seg, n, &dir[i]))
			goto bad;
	f = s + at;
	fn = len - at;
	/* <time>-<dt>-<node>-<exp>.tgz */
	if (fn < BUNDLENAME_TIME_LEN + 1 || memchr(f, '/', fn) ||
	    bundlename_time(f, date, &out->sec, &out->usec) || f[BUNDLENAME_TIME_LEN] != '-' ||
	    memcmp(date, dir, sizeof(date)))
		goto bad;
	tail = f + BUNDLENAME_TIME_LEN + 1;
	n = fn - BUNDLENAME_TIME_LEN - 1;
	want = strlen(out->dt);
	if (n < want + 1 || memcmp(tail, out->dt, want) || tail[want] != '-')
		goto bad;
	tail += want + 1;
	n -= want + 1;
	want = strlen(out->exp) + 5;    /* "-<exp>.tgz" */
	if (n <= want || tail[n - want] != '-' ||
	    memcmp(tail + n - want + 1, out->exp, want - 5) || memcmp(tail + n - 4, ".tgz", 4))
		goto bad;
	n -= want;
	if (n == 0 || n > LABEL_HOST_MAX || label_check(LABEL_HOST, tail, n) < 0)
		goto bad;
	memcpy(out->node, tail, n);
	out->node[n] = '\0';
	return 0;
bad:
	memset(out, 0, sizeof(*out));
	return -EPX_E_ARC_BUNDLENAME;
}

int bundlename_make(char *out, size_t cap, const char *exp, const char *dt, const char *node,
		    int64_t sec, uint32_t usec)
{
	struct bundlename chk;
	int64_t days = sec >= 0 ? sec / 86400 : -1, rem = sec % 86400;
	int64_t z = days + 719468, era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
	int n;

	if (sec < 0 || usec > 999999 || y < BUNDLENAME_YEAR_MIN || y > BUNDLENAME_YEAR_MAX)
		return -EPX_E_ARC_BUNDLENAME;
	n = snprintf(out, cap, "%s/%s/%04u/%02u/%02u/%04u%02u%02uT%02u%02u%02u.%06uZ-%s-%s-%s.tgz",
		     exp, dt, (unsigned)y, m, d, (unsigned)y, m, d, (unsigned)(rem / 3600),
		     (unsigned)(rem / 60 % 60), (unsigned)(rem % 60), usec, dt, node, exp);
	if (n < 0 || (size_t)n >= cap || bundlename_parse(out, (size_t)n, &chk) < 0 ||
	    strcmp(chk.node, node)) {
		if (cap)
			out[0] = '\0';
		return -EPX_E_ARC_BUNDLENAME;
	}
	return 0;
}
