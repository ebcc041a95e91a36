/* fetch: artifact download with resume, caps and hash-while-streaming,
 * over the net/ client (net/https, net/retry). */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/hex.h"
#include "stage2/con.h"
#include "stage2/fetch.h"
#include "stage2/hash.h"

#define FETCH_HASH_BATCH (256 * 1024)  /* bytes that wake the hasher */

struct fetch_state {
	int fd;
	uint64_t want, done;
	struct hash sha;
	/* the hasher thread hashes [hashed, avail) of the memfd while the
	 * main thread receives the next bytes */
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t hashed, avail;
	int stop, hash_err, waiting;
	int64_t tail_ms;
	/* CPU time of each thread on this artifact, in microseconds (both
	 * -1 once the clock cannot be read: the line then omits them) */
	int64_t recv_cpu_us, hash_cpu_us;
	uint8_t next[32];
	int have_next;
	int restarted;
};

static int fetch_reset(struct fetch_state *s)
{
	if (ftruncate(s->fd, 0) < 0)
		return -EPX_E_DL_MEMFD;
	hash_free(&s->sha);
	hash_init(&s->sha, -1);
	s->done = 0;
	return 0;
}

static int fetch_on_head(void *ctx, const struct httpc_head *h)
{
	struct fetch_state *s = ctx;
	uint8_t tmp[32];

	if (h->next_token[0] && hex_decode(h->next_token, 64, tmp, 32) == 0) {
		memcpy(s->next, tmp, 32);
		s->have_next = 1;
	}
	explicit_bzero(tmp, sizeof(tmp));
	if (h->status == 206) {
		if (h->range_first < 0 || (uint64_t)h->range_first != s->done ||
		    (uint64_t)h->range_total != s->want)
			return -EPX_E_HTTP_RANGE;
		return 0;
	}
	if (h->status != 200)
		return -EPX_E_HTTP_CODE;
	/* a server that ignores Range answers 200: start over from byte 0 */
	return s->done ? -EPX_E_HTTP_RANGE : 0;
}

/* The calling thread's CPU time in microseconds, or -1. */
static int64_t fetch_thread_cpu_us(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) < 0)
		return -1;
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

/* Adds the CPU time since t0 (fetch_thread_cpu_us) to *sum; an unreadable
 * clock makes the sum -1 for good. */
static void fetch_cpu_add(int64_t *sum, int64_t t0)
{
	int64_t t1 = fetch_thread_cpu_us();

	if (*sum < 0 || t0 < 0 || t1 < t0)
		*sum = -1;
	else
		*sum += t1 - t0;
}

/* Hashes what the memfd holds, never what the network sent: the bytes
 * kexec will read are the bytes that were hashed. */
static void *fetch_hasher(void *arg)
{
	static uint8_t buf[FETCH_HASH_BATCH];
	struct fetch_state *s = arg;
	uint64_t upto;
	int64_t cpu0 = fetch_thread_cpu_us();

	/* the memfd's pages for the rest of the artifact, allocated here
	 * rather than by the receiving thread's pwrite() (a third of its
	 * kernel time, bench/README.md); the file's size is unchanged, and a
	 * failure only leaves the allocation to pwrite() */
	if (s->want > s->done)
		(void)fallocate(s->fd, FALLOC_FL_KEEP_SIZE, (off_t)s->done,
				(off_t)(s->want - s->done));
	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->hashed == s->avail && !s->stop) {
			s->waiting = 1;
			pthread_cond_wait(&s->cv, &s->mu);
			s->waiting = 0;
		}
		if (s->hashed == s->avail)
			break;
		upto = s->avail;
		pthread_mutex_unlock(&s->mu);
		while (s->hashed < upto) {
			size_t n = upto - s->hashed < sizeof(buf) ?
				(size_t)(upto - s->hashed) : sizeof(buf);
			ssize_t r = pread(s->fd, buf, n, (off_t)s->hashed);

			if (r <= 0) {
				s->hash_err = 1;
				upto = s->hashed;
				break;
			}
			hash_update(&s->sha, buf, (size_t)r);
			s->hashed += (uint64_t)r;
		}
		pthread_mutex_lock(&s->mu);
		if (s->hash_err)
			break;
	}
	pthread_mutex_unlock(&s->mu);
	/* read by the receiving thread after pthread_join() */
	fetch_cpu_add(&s->hash_cpu_us, cpu0);
	return NULL;
}

static int fetch_hasher_start(struct fetch_state *s)
{
	s->hashed = s->avail = s->done;
	s->stop = 0;
	return pthread_create(&s->th, NULL, fetch_hasher, s) == 0 ? 0 : -EPX_E_DL_MEMFD;
}

/* Waits for the hasher to catch up with everything received. */
static int fetch_hasher_stop(struct fetch_state *s)
{
	int64_t t0 = tls_now_ms();

	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	s->tail_ms += tls_now_ms() - t0;
	return s->hash_err || s->hashed != s->done ? -EPX_E_DL_MEMFD : 0;
}

static int fetch_on_data(void *ctx, const uint8_t *p, size_t n)
{
	struct fetch_state *s = ctx;

	if (n > s->want - s->done)
		return -EPX_E_DL_TOOLONG;
	if (file_pwrite_all(s->fd, p, n, s->done, &s->done) < 0)
		return -EPX_E_DL_MEMFD;
	/* the hasher is woken once a batch is waiting (and at the end, by
	 * fetch_hasher_stop), not for every record: a wake-up per 16 KiB
	 * record was most of the download's system calls */
	pthread_mutex_lock(&s->mu);
	s->avail = s->done;
	if (s->waiting && s->avail - s->hashed >= FETCH_HASH_BATCH)
		pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

static int fetch_attempt(struct https *h, enum manifest_role role,
			 struct fetch_state *s, const uint8_t token[32],
			 const struct retry_opts *o, struct https_resp *resp)
{
	struct https_req r;
	char path[64];
	int rc, hrc;
	int64_t cpu0;

	memset(&r, 0, sizeof(r));
	snprintf(path, sizeof(path), "/v1/artifact/%s", manifest_role_name(role));
	r.method = "GET";
	r.path = path;
	r.bearer = token;
	r.range_from = s->done;
	r.body_max = s->want - s->done;
	r.deadline = tls_now_ms() + o->phase_ms;
	r.min_rate = o->min_rate;
	r.progress = manifest_role_name(role);
	r.progress_base = s->done;
	r.progress_total = s->want;
	r.on_progress = con_progress;
	r.on_head = fetch_on_head;
	r.on_data = fetch_on_data;
	r.ctx = s;
	rc = fetch_hasher_start(s);
	if (rc < 0)
		return rc;
	cpu0 = fetch_thread_cpu_us();
	rc = https_do(h, &r, resp);
	fetch_cpu_add(&s->recv_cpu_us, cpu0);
	hrc = fetch_hasher_stop(s);
	return rc < 0 ? rc : hrc;
}

/* Failures that say the bytes so far cannot be trusted to resume from. */
static int fetch_content_error(int rc)
{
	return rc == -EPX_E_ART_HASH || rc == -EPX_E_DL_TOOLONG ||
	       rc == -EPX_E_HTTP_LENGTH || rc == -EPX_E_HTTP_CHUNK ||
	       rc == -EPX_E_HTTP_HEADER || rc == -EPX_E_HTTP_BODYBIG ||
	       rc == -EPX_E_HTTP_RANGE || rc == -EPX_E_HTTP_STATUS;
}

static int fetch_check(struct fetch_state *s, const struct manifest_artifact *a)
{
	uint8_t got[32];
	int rc = -EPX_E_ART_HASH;

	if (s->done != s->want)
		return -EPX_E_DL_SHORT;
	hash_finish(&s->sha, got);
	if (memcmp(got, a->sha256, 32) == 0)
		rc = 0;
	return rc;
}

static int fetch_loop(struct https *h, enum manifest_role role,
		      const struct manifest_artifact *a, struct fetch_state *s,
		      uint8_t tok[32], const struct retry_opts *o)
{
	const char *name = manifest_role_name(role);
	struct https_resp resp;
	unsigned attempt, used = 0;
	int rc = -EPX_E_HTTP_RETRIES, retry_after = -1, usable = 1;

	for (attempt = 0; attempt < o->retries; attempt++) {
		if (attempt)
			retry_backoff(o->backoff_ms, attempt - 1, retry_after);
		if (++used > FETCH_TOKENS_MAX)
			return con_fail(-EPX_E_DL_NOTOKEN, "%s: %u tokens used",
					name, FETCH_TOKENS_MAX);
		s->have_next = 0;
		rc = fetch_attempt(h, role, s, tok, o, &resp);
		usable = s->have_next || !resp.sent;
		if (s->have_next)
			memcpy(tok, s->next, 32);
		explicit_bzero(s->next, sizeof(s->next));
		httpc_head_wipe(&resp.head);
		if (rc == 0 && (rc = fetch_check(s, a)) == 0)
			return 0;
		con_fail(rc, "%s: attempt %u of %u stopped at byte %llu of %llu%s%s",
			 name, attempt + 1, o->retries,
			 (unsigned long long)s->done, (unsigned long long)s->want,
			 resp.reason[0] ? "; server: " : "", resp.reason);
		if ((fetch_content_error(rc) || rc == -EPX_E_DL_SHORT) &&
		    fetch_reset(s) < 0)
			return -EPX_E_DL_MEMFD;
		if (rc == -EPX_E_HTTP_AUTH || !usable)
			return con_fail(-EPX_E_DL_NOTOKEN,
					"%s: no unspent token to resume with", name);
		retry_after = rc == -EPX_E_HTTP_BUSY ? resp.head.retry_after : -1;
	}
	return con_fail(-EPX_E_HTTP_RETRIES, "%s: %u attempts", name, o->retries);
}

int fetch_artifact(struct https *h, enum manifest_role role,
		   const struct manifest_artifact *a, uint8_t token[32],
		   const struct retry_opts *o, int *fd)
{
	struct fetch_state s;
	uint8_t tok[32];
	char cpu[96] = "";     /* "; CPU N ms receiving, N ms hashing" */
	int rc = -EPX_E_DL_MEMFD, seals;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	memcpy(tok, token, 32);
	explicit_bzero(token, 32);
	s.want = a->length;
	s.fd = memfd_create(manifest_role_name(role), MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (s.fd < 0)
		goto out;
	hash_init(&s.sha, -1);
	rc = fetch_loop(h, role, a, &s, tok, o);
	hash_free(&s.sha);
	if (rc < 0)
		goto out;
	/* the initramfs still grows by the handover archive */
	seals = F_SEAL_SHRINK;
	if (role != MANIFEST_INITRAMFS)
		seals |= F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL;
	rc = -EPX_E_DL_MEMFD;
	if (fcntl(s.fd, F_ADD_SEALS, seals) < 0)
		goto out;
	if (s.recv_cpu_us >= 0 && s.hash_cpu_us >= 0)
		snprintf(cpu, sizeof(cpu), "; CPU %lld ms receiving, %lld ms hashing",
			 (long long)(s.recv_cpu_us / 1000), (long long)(s.hash_cpu_us / 1000));
	con_stage("verify", "%s %llu bytes sha256 ok (hash tail %lld ms after the last byte%s)",
		  manifest_role_name(role), (unsigned long long)a->length,
		  (long long)s.tail_ms, cpu);
	*fd = s.fd;
	s.fd = -1;
	rc = 0;
out:
	if (s.fd >= 0)
		close(s.fd);
	pthread_cond_destroy(&s.cv);
	pthread_mutex_destroy(&s.mu);
	explicit_bzero(tok, sizeof(tok));
	return rc;
}

int fetch_seal_final(int fd)
{
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
		  F_SEAL_SEAL) < 0)
		return -EPX_E_DL_MEMFD;
	return 0;
}

int fetch_read_all(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -EPX_E_DL_MEMFD;
		done += (size_t)r;
	}
	return 0;
}
