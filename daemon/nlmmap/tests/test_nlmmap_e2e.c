/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The old-API client of the VM test (selftests/nlmmap/old_nfq_mmap.c, its
 * main() renamed) end to end through the library, against the fake device
 * in kernel mode: a thread publishes UDP packets into the RX ring as the
 * module does (COPY and the backlog when a message does not fit the frame),
 * the fake judges the verdicts the client sends from its TX frames.  Each
 * scenario runs in a child process; the books must balance: every packet
 * judged once, odd numbers dropped, even ones accepted.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#include "nlm_test.h"

int old_client_main(int argc, char **argv);

struct scenario {
	const char *name;
	unsigned int count, nq;
	bool mixed, want_copy;
	const char *args[16];
};

static const struct scenario *cur;

static bool all_bound(void)
{
	unsigned int q;
	bool b = true;

	/* read without the fake's lock: the flags only ever go up here */
	for (q = 0; q < cur->nq; q++)
		b &= __atomic_load_n(&fake.bound[q], __ATOMIC_ACQUIRE);
	return b;
}

static void *publisher(void *arg)
{
	unsigned int i, waited;

	(void)arg;
	for (waited = 0; !all_bound() && waited < 5000; waited++)
		usleep(1000);
	for (i = 0; i < cur->count; i++) {
		uint16_t q = cur->nq == 2 && (i & 2) ? 1 : 0;
		size_t len = cur->mixed && i % 3 == 2 ? 3000 : 100;

		for (waited = 0; !fake_publish(q, i, len) && waited < 20000; waited++)
			usleep(500);	/* the ring is full: the client catches up */
	}
	return NULL;
}

/* In the child: the client, then the fake's books.  The exit status. */
static int child(const struct scenario *sc)
{
	char *argv[16];
	pthread_t t;
	int argc = 0, rc, i, bad = 0;

	for (argc = 0; sc->args[argc]; argc++)
		argv[argc] = (char *)sc->args[argc];
	argv[argc] = NULL;
	cur = sc;
	fake_reset();
	fake.kernel = true;
	pthread_create(&t, NULL, publisher, NULL);
	rc = old_client_main(argc, argv);
	fflush(stdout);
	pthread_join(t, NULL);
	for (i = 0; i < fake.npkts; i++) {
		int want = fake.pkts[i].seq & 1 ? 0 : 1;

		if (fake.pkts[i].verdict != want)
			bad++;
	}
	printf("books: %d published, %d verdicts, %d wrong or missing\n", fake.npkts, fake.verdicts, bad);
	fflush(stdout);
	if (rc)
		return rc;
	return fake.npkts == (int)sc->count && fake.verdicts == fake.npkts && !bad ? 0 : 10;
}

static void run(const struct scenario *sc)
{
	char line[512];
	unsigned long judged = 0, acc = 0, drp = 0, cpy = 0, bat = 0, errs = 0;
	int p[2], status = -1;
	bool summary = false;
	FILE *f;
	pid_t pid;

	if (pipe(p))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		_exit(child(sc));
	}
	close(p[1]);
	f = fdopen(p[0], "r");
	while (fgets(line, sizeof(line), f)) {
		printf("#   %s", line);
		if (sscanf(line, "judged %lu accepted %lu dropped %lu copy %lu batches %lu errors %lu",
			   &judged, &acc, &drp, &cpy, &bat, &errs) == 6)
			summary = true;
	}
	fclose(f);
	waitpid(pid, &status, 0);
	if (!strcmp(sc->args[1], "-E")) {	/* TAP of its own: its status says */
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", sc->name);
		return;
	}
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s: the client ran, every packet judged as it decided",
	   sc->name);
	ok(summary && judged == sc->count && acc == (sc->count + 1) / 2 && drp == sc->count / 2 && !errs,
	   "%s: the client's counts (%lu judged, %lu accepted, %lu dropped, %lu errors)", sc->name,
	   judged, acc, drp, errs);
	if (sc->want_copy)
		ok(cpy > 0, "%s: COPY frames read through recv() (%lu)", sc->name, cpy);
}

int main(void)
{
	static const struct scenario sc[] = {
		{ "single verdicts", 200, 1, false, false,
		  { "old_nfq_mmap", "-c", "200", "-t", "20", NULL } },
		{ "COPY fallback, frames of 2048", 150, 1, true, true,
		  { "old_nfq_mmap", "-c", "150", "-f", "2048", "-t", "20", NULL } },
		{ "verdict batches", 300, 1, false, false,
		  { "old_nfq_mmap", "-c", "300", "-b", "-n", "64", "-t", "20", NULL } },
		{ "two queues, batches, COPY", 200, 2, true, true,
		  { "old_nfq_mmap", "-c", "200", "-q", "0", "-q", "1", "-b", "-f", "2048", "-t", "20", NULL } },
		{ "the transport's errors as 4.5 (old_nfq_mmap -E)", 0, 0, false, false,
		  { "old_nfq_mmap", "-E", NULL } },
	};
	unsigned int i;

	setenv("NFQRING_NLMMAP_QUIET", "1", 1);
	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
		run(&sc[i]);
	return tap_done();
}
