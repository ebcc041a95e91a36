/* store_bench: durable token redemptions per second through the store.
 *
 *   store-bench [--tokens N] [--threads T] [--procs P] [--race] URI
 *
 * Issues N tokens for one session, then P processes x T threads (each with
 * its own connection) redeem them.  Default: the tokens are split between
 * the workers, each redeemed once (throughput of durable redemptions:
 * SQLite commits with synchronous=FULL, PostgreSQL with
 * synchronous_commit=on).  --race: every worker redeems every token, in the
 * same order, and the run fails unless each token was accepted exactly once
 * across all processes.  Prints one line of key=value results; exits 1 on a
 * double spend, a lost redemption or any store error.
 *
 *   store-bench --crash ROUNDS URI
 *
 * Crash test: a child issues and redeems tokens in a loop, acknowledging
 * each step in shared memory only after the store returned; the parent
 * kills it with SIGKILL at a random moment, ROUNDS times.  Afterwards every
 * acknowledged token must exist (not lost), every acknowledged redemption
 * must still be spent (replay refused as used), and the audit chain must
 * verify.  With EPOXY_CRASH_CMD set, that shell command runs at the random
 * moment instead (e.g. crash and restart the PostgreSQL server), then the
 * child is killed; the child may also have died of the lost connection. */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/hex.h"
#include "store/store.h"

#define BENCH_TOKENS_MAX 1000000
#define BENCH_WORKERS_MAX 64

struct shared {
	atomic_int ready, go, errors;
	atomic_long refused;
	char sid[STORE_SESSION_HEX + 1];
};

static struct shared *sh;
static char (*tok)[STORE_TOKEN_HEX + 1];
static atomic_int *wins;
static const char *uri;
static size_t n_tokens = 2000;
static int n_threads = 2, n_procs = 1, race, crash_rounds;

static void *shmem(size_t len);

/* ------------------------------------------------------------ crash test */
#define CRASH_MAX 200000
#define CRASH_CAP 4000    /* tokens acknowledged at most: bounds the check's time */
#define CRASH_ROUNDS_MAX 100	/* so that each round has a budget of 40 tokens */
struct crash_slot { atomic_int state; char hex[STORE_TOKEN_HEX + 1]; };
enum { SLOT_EMPTY, SLOT_ISSUED, SLOT_REDEEMED };

/*
 * The child issues until *limit, then waits for the kill.  The parent
 * gives each round CRASH_CAP / rounds tokens: half before the crash
 * command, the other half after it, so a fast machine cannot spend the
 * whole cap before the last crash and leave nothing to show that the
 * connection came back (a global cap did that in round 4 of 5).
 */
static void crash_child(struct crash_slot *slots, atomic_long *next, atomic_long *limit)
{
	struct store *s = NULL;
	char hex[STORE_TOKEN_HEX + 1];
	int errors = 0, rc;
	long i;

	while (store_open(&s, uri) < 0)   /* the server may be restarting */
		if (++errors > 3000)
			_exit(3);
		else
			usleep(20000);
	errors = 0;
	/* like epoxyd: a failed call fails that request, the next one retries */
	for (; errors < 3000; ) {	/* about a minute of failures */
		i = atomic_load(next);
		if (i >= atomic_load(limit)) {	/* this round's budget spent */
			usleep(10000);
			continue;
		}
		if ((rc = store_token_issue(s, "bench1", sh->sid, "kernel", 3600, hex)) < 0) {
			if (errors < 3)
				fprintf(stderr, "store-bench: crash child: issue: %s\n",
					epx_strerror(rc));
			errors++;
			usleep(20000);
			continue;
		}
		memcpy(slots[i].hex, hex, sizeof(hex));
		atomic_store(&slots[i].state, SLOT_ISSUED);   /* acknowledged */
		atomic_store(next, i + 1);
		if (i % 2 == 0) {
			rc = store_token_redeem(s, hex, "kernel", "bench1", sh->sid, NULL);
			if (rc < 0) {
				if (errors < 3)
					fprintf(stderr, "store-bench: crash child: redeem: %s\n",
						epx_strerror(rc));
				errors++;
				usleep(20000);
				continue;
			}
			atomic_store(&slots[i].state, SLOT_REDEEMED);
		}
	}
	_exit(4);
}

/* SQLite: count acknowledged tokens (hex or raw) found in path; -1 if unreadable */
static long scan_file(const char *path, struct crash_slot *slots, long n)
{
	uint8_t raw[STORE_TOKEN_BYTES];
	char *buf = NULL;
	long hits = 0, i;
	size_t len = 0;
	FILE *f = fopen(path, "rb");

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > 0) {
		len = (size_t)ftell(f);
		buf = malloc(len);
		rewind(f);
		if (!buf || fread(buf, 1, len, f) != len)
			hits = -1;
	}
	fclose(f);
	for (i = 0; buf && hits >= 0 && i < n; i++) {
		if (!slots[i].hex[0])
			continue;
		if (memmem(buf, len, slots[i].hex, STORE_TOKEN_HEX))
			hits++;
		if (hex_decode(slots[i].hex, STORE_TOKEN_HEX, raw, sizeof(raw)) == 0 &&
		    memmem(buf, len, raw, sizeof(raw)))
			hits++;
	}
	free(buf);
	return hits;
}

static long scan_sqlite(struct crash_slot *slots, long n)
{
	char path[4200];
	long a, b;

	if (strncmp(uri, "sqlite:", 7))
		return 0;
	snprintf(path, sizeof(path), "%s", uri + 7);
	a = scan_file(path, slots, n);
	snprintf(path, sizeof(path), "%s-wal", uri + 7);
	b = scan_file(path, slots, n);
	return a < 0 ? -1 : a + (b < 0 ? 0 : b);
}

static int crash_check(struct crash_slot *slots, long n)
{
	long i, lost = 0, resurrected = 0, redeemed_late = 0, hits;
	int64_t bad = 0;
	struct store *s = NULL;
	int rc = store_open(&s, uri), st;

	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++) {
		st = atomic_load(&slots[i].state);
		if (st == SLOT_EMPTY)
			continue;
		rc = store_token_redeem(s, slots[i].hex, "kernel", "bench1", sh->sid, NULL);
		if (rc == -EPX_E_TOK_UNKNOWN)
			lost++;
		else if (rc == 0 && st == SLOT_REDEEMED)
			resurrected++;
		else if (rc == 0)
			redeemed_late++;
		else if (rc != -EPX_E_TOK_USED)
			lost++;
	}
	rc = store_audit_verify(s, &bad);
	hits = scan_sqlite(slots, n);   /* while open: the -wal still exists */
	printf("acknowledged=%ld lost=%ld resurrected=%ld unspent_redeemed_now=%ld audit=%s"
	       " secrets_in_db=%ld\n", n, lost, resurrected, redeemed_late,
	       rc == 0 ? "ok" : "BROKEN", hits);
	store_close(s);
	explicit_bzero(slots, sizeof(*slots) * (size_t)n);
	return lost || resurrected || rc || hits ? 1 : 0;
}

static int crash_main(void)
{
	struct crash_slot *slots = shmem(sizeof(*slots) * CRASH_MAX);
	atomic_long *next = shmem(sizeof(*next)), *limit = shmem(sizeof(*limit));
	long budget = CRASH_CAP / crash_rounds;
	const char *cmd = getenv("EPOXY_CRASH_CMD");
	struct timespec ts;
	int r, st, reconnected = 0, w;
	long before;
	pid_t pid;

	srand((unsigned)getpid());
	for (r = 0; r < crash_rounds; r++) {
		atomic_store(limit, atomic_load(next) + (cmd ? budget / 2 : budget));
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			crash_child(slots, next, limit);
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(50 + rand() % 350) * 1000000L;  /* 50-400 ms */
		nanosleep(&ts, NULL);
		if (cmd && system(cmd) != 0) {
			fprintf(stderr, "store-bench: EPOXY_CRASH_CMD failed\n");
			return 1;
		}
		if (cmd) {	/* did the child's connection come back by itself? */
			before = atomic_load(next);
			atomic_store(limit, before + budget / 2);
			for (w = 0; w < 100 && atomic_load(next) == before; w++)
				usleep(50000);
			if (atomic_load(next) > before && waitpid(pid, &st, WNOHANG) == 0)
				reconnected++;
			else
				fprintf(stderr, "store-bench: round %d: no progress after the"
					" crash command (%ld tokens before)\n", r, before);
		}
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		if (WIFEXITED(st) && !cmd) {
			fprintf(stderr, "store-bench: crash child exited %d before the kill\n",
				WEXITSTATUS(st));
			return 1;
		}
	}
	printf("rounds=%d ", crash_rounds);
	if (cmd)
		printf("reconnected=%d ", reconnected);
	return crash_check(slots, atomic_load(next));
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *shmem(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("store-bench: mmap");
		exit(1);
	}
	return p;
}

struct worker { int index; };

static void *worker_main(void *arg)
{
	int w = ((struct worker *)arg)->index, workers = n_procs * n_threads, rc;
	size_t from = 0, to = n_tokens, i;
	struct store *s = NULL;

	if (!race) {
		from = n_tokens * (size_t)w / (size_t)workers;
		to = n_tokens * (size_t)(w + 1) / (size_t)workers;
	}
	rc = store_open(&s, uri);
	atomic_fetch_add(&sh->ready, 1);
	if (rc < 0) {
		atomic_fetch_add(&sh->errors, 1);
		return NULL;
	}
	while (!atomic_load(&sh->go))
		usleep(100);
	for (i = from; i < to; i++) {
		rc = store_token_redeem(s, tok[i], "kernel", "bench1", sh->sid, NULL);
		if (rc == 0)
			atomic_fetch_add(&wins[i], 1);
		else if (rc == -EPX_E_TOK_USED)
			atomic_fetch_add(&sh->refused, 1);
		else
			atomic_fetch_add(&sh->errors, 1);
	}
	store_close(s);
	return NULL;
}

static void proc_main(int p)
{
	pthread_t th[BENCH_WORKERS_MAX];
	struct worker w[BENCH_WORKERS_MAX];
	int t;

	for (t = 0; t < n_threads; t++) {
		w[t].index = p * n_threads + t;
		pthread_create(&th[t], NULL, worker_main, &w[t]);
	}
	for (t = 0; t < n_threads; t++)
		pthread_join(th[t], NULL);
}

static int setup(void)
{
	static const char nonce[] =
		"0000000000000000000000000000000000000000000000000000000000000001";
	struct store_host h;
	struct store *s = NULL;
	double t0;
	size_t i;
	int rc = store_open(&s, uri);

	if (rc < 0)
		goto out;
	memset(&h, 0, sizeof(h));
	snprintf(h.name, sizeof(h.name), "bench1");
	snprintf(h.hwclass, sizeof(h.hwclass), "bench");
	rc = store_host_add(s, &h);
	if (rc == -EPX_E_DB_EXISTS)
		rc = 0;
	if (rc == 0)
		rc = store_session_open(s, "bench1", nonce, 1, "bench", sh->sid);
	t0 = now_s();
	for (i = 0; rc == 0 && i < n_tokens; i++)
		rc = store_token_issue(s, "bench1", sh->sid, "kernel", 3600, tok[i]);
	if (rc == 0)
		printf("issue_per_s=%.0f ", (double)n_tokens / (now_s() - t0));
out:
	if (rc < 0)
		fprintf(stderr, "store-bench: setup on %s: %s\n",
			strncmp(uri, "sqlite:", 7) ? "postgres" : "sqlite", epx_strerror(rc));
	store_close(s);
	return rc;
}

static void usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: store-bench [--tokens N] [--threads T] [--procs P] [--race] URI\n"
		"       store-bench --crash ROUNDS URI\n"
		"  URI: sqlite:/path/file.db or postgres:<conninfo>\n"
		"  --race: every worker redeems every token; fail unless each is\n"
		"          accepted exactly once\n"
		"  --crash: kill -9 an issuing/redeeming child ROUNDS (1-100) times, then\n"
		"          check that no acknowledged token or redemption was lost; with\n"
		"          EPOXY_CRASH_CMD, that command crashes the server in each round\n"
		"          and the child must make progress again after it\n");
	exit(status);
}

static void parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tokens", 1, NULL, 'n' }, { "threads", 1, NULL, 't' },
		{ "procs", 1, NULL, 'p' }, { "race", 0, NULL, 'r' },
		{ "crash", 1, NULL, 'c' },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "n:t:p:rc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': n_tokens = strtoul(optarg, NULL, 10); break;
		case 't': n_threads = atoi(optarg); break;
		case 'p': n_procs = atoi(optarg); break;
		case 'r': race = 1; break;
		case 'c': crash_rounds = atoi(optarg); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc - 1 || n_tokens < 1 || n_tokens > BENCH_TOKENS_MAX ||
	    n_threads < 1 || n_procs < 1 || n_threads > BENCH_WORKERS_MAX ||
	    n_procs * n_threads > BENCH_WORKERS_MAX || crash_rounds < 0 ||
	    crash_rounds > CRASH_ROUNDS_MAX)
		usage(2);
	uri = argv[optind];
}

int main(int argc, char **argv)
{
	size_t i, bad = 0;
	long want_refused;
	pid_t pids[BENCH_WORKERS_MAX];
	int p, workers, st, fail = 0;
	double t0, dt;

	parse(argc, argv);
	workers = n_procs * n_threads;
	sh = shmem(sizeof(*sh));
	tok = shmem(n_tokens * sizeof(*tok));
	wins = shmem(n_tokens * sizeof(*wins));
	if (crash_rounds > 0)
		n_tokens = 1;
	printf("backend=%s tokens=%zu procs=%d threads=%d mode=%s ",
	       strncmp(uri, "sqlite:", 7) ? "postgres" : "sqlite", n_tokens, n_procs,
	       n_threads, crash_rounds ? "crash" : race ? "race" : "split");
	fflush(stdout);
	if (setup() < 0)
		return 1;
	fflush(stdout);
	if (crash_rounds > 0)
		return crash_main();
	for (p = 0; p < n_procs; p++) {
		pids[p] = fork();
		if (pids[p] < 0) {
			perror("store-bench: fork");
			return 1;
		}
		if (pids[p] == 0) {
			proc_main(p);
			_exit(0);
		}
	}
	while (atomic_load(&sh->ready) < workers)
		usleep(1000);
	t0 = now_s();
	atomic_store(&sh->go, 1);
	for (p = 0; p < n_procs; p++)
		if (waitpid(pids[p], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			fail = 1;
	dt = now_s() - t0;
	for (i = 0; i < n_tokens; i++)
		if (atomic_load(&wins[i]) != 1)
			bad++;
	want_refused = race ? (long)n_tokens * (workers - 1) : 0;
	printf("seconds=%.2f redemptions_per_s=%.0f attempts_per_s=%.0f not_exactly_once=%zu"
	       " refused_used=%ld errors=%d\n", dt, (double)n_tokens / dt,
	       (double)n_tokens * (race ? workers : 1) / dt, bad, atomic_load(&sh->refused),
	       atomic_load(&sh->errors));
	explicit_bzero(tok, n_tokens * sizeof(*tok));
	if (fail || bad || atomic_load(&sh->errors) || atomic_load(&sh->refused) != want_refused) {
		fprintf(stderr, "store-bench: FAILED: %zu tokens not accepted exactly once,"
			" %d errors\n", bad, atomic_load(&sh->errors));
		return 1;
	}
	return 0;
}
