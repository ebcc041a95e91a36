/* hold: long polls parked outside the worker threads (hold.h). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <microhttpd.h>

#include "server/hold.h"
#include "server/sliverapi.h"

struct hold_ent {
	struct MHD_Connection *con;
	int64_t due_ms;                 /* resumed for good at this time */
	int64_t check_ms;               /* resumed to look again at this time */
};

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hold_ent *hold_tab;
static size_t hold_n;
static atomic_int hold_running, hold_closing;
static pthread_t hold_thread;

int64_t hold_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Resumes the entries due at now (all: every one); under hold_lock. */
static void hold_sweep(int64_t now, int all)
{
	size_t i = 0;

	while (i < hold_n) {
		if (all || now >= hold_tab[i].due_ms || now >= hold_tab[i].check_ms) {
			MHD_resume_connection(hold_tab[i].con);
			hold_tab[i] = hold_tab[--hold_n];
		} else {
			i++;
		}
	}
}

static void *hold_main(void *arg)
{
	uint64_t gen = 0;
	int kicked;

	(void)arg;
	while (!atomic_load(&hold_closing)) {
		kicked = sliverapi_kicked(&gen, 500);
		pthread_mutex_lock(&hold_lock);
		hold_sweep(hold_now_ms(), kicked);
		pthread_mutex_unlock(&hold_lock);
	}
	return NULL;
}

int hold_start(void)
{
	int rc;

	hold_tab = calloc(HOLD_MAX, sizeof(*hold_tab));
	if (!hold_tab)
		return -ENOMEM;
	rc = pthread_create(&hold_thread, NULL, hold_main, NULL);
	if (rc != 0) {
		free(hold_tab);
		hold_tab = NULL;
		return -rc;
	}
	atomic_store(&hold_running, 1);
	return 0;
}

void hold_stop(void)
{
	if (!atomic_load(&hold_running))
		return;
	atomic_store(&hold_closing, 1);
	sliverapi_kick();
	pthread_join(hold_thread, NULL);
	pthread_mutex_lock(&hold_lock);
	hold_sweep(0, 1);
	pthread_mutex_unlock(&hold_lock);
	atomic_store(&hold_running, 0);
}

int hold_open(void)
{
	return atomic_load(&hold_running) && !atomic_load(&hold_closing) && hold_count() < HOLD_MAX;
}

int hold_park(struct MHD_Connection *con, int64_t due_ms)
{
	int rc = -ENOSPC;

	pthread_mutex_lock(&hold_lock);
	if (atomic_load(&hold_running) && !atomic_load(&hold_closing) && hold_n < HOLD_MAX) {
		MHD_suspend_connection(con);
		hold_tab[hold_n].con = con;
		hold_tab[hold_n].due_ms = due_ms;
		hold_tab[hold_n].check_ms = hold_now_ms() + HOLD_CHECK_MS;
		hold_n++;
		rc = 0;
	}
	pthread_mutex_unlock(&hold_lock);
	return rc;
}

size_t hold_count(void)
{
	size_t n;

	pthread_mutex_lock(&hold_lock);
	n = hold_n;
	pthread_mutex_unlock(&hold_lock);
	return n;
}
