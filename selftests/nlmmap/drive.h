/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The world both old-API client drivers (nlm_drive, indep_drive) build
 * around a client: a new network namespace whose output hook queues UDP
 * on loopback to port DRIVE_PORT0 to queue 0 and DRIVE_PORT1 to queue 1,
 * a receiver per port, a sender, and the client command started with its
 * output on a pipe.  What the drivers send and how they judge the books
 * is their own.
 */
#ifndef NLM_DRIVE_H
#define NLM_DRIVE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define DRIVE_PORT0	9999
#define DRIVE_PORT1	9998

struct drive {
	const char *prog;	/* the driver's name, for messages */
	int rcv[2];		/* receivers of ports 0 and 1 (-1: none) */
	int snd;		/* the sender */
	FILE *from_client;	/* the client's output */
	pid_t pid;
};

/* Says "PROG: what" on stderr; returns 1 (the exit status). */
int drive_fail(const struct drive *d, const char *what);

/* Loopback at @port. */
struct sockaddr_in drive_addr(int port);

/* The namespace, the rules, the receivers (port 1's with @two) and the
 * sender; 0, or 1 after saying what failed. */
int drive_setup(struct drive *d, const char *prog, bool two);

/* Starts argv[0] with its stdout (and, with @with_stderr, its stderr) on
 * d->from_client, then echoes its lines as "client: ..." until one holds
 * @ready.  0, or the exit status to return when the client ended before. */
int drive_start(struct drive *d, char **argv, bool with_stderr, const char *ready);

/* Sends @len bytes of @buf to the port of queue @q (0 or 1). */
void drive_send(const struct drive *d, int q, const void *buf, size_t len);

/* Reads the receivers until @quiet_ms pass without a datagram; @seen is
 * called for each datagram with its bytes. */
void drive_count(const struct drive *d, int quiet_ms,
		 void (*seen)(void *ctx, const unsigned char *buf, size_t len), void *ctx);

/* Echoes the client's remaining lines, passing each to @line (may be NULL),
 * and reaps it: its wait status. */
int drive_finish(struct drive *d, void (*line)(void *ctx, const char *s), void *ctx);

#endif
