/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: a unix stream socket taking one command per
 * connection ("reload", "stats", "stats json", or a live-set command:
 * "add element ...", "delete element ...", "flush set ...", "list set ...",
 * "list sets", "load set ..." whose text runs to the end of what the client
 * sends) and answering with a status line "<exit code>\n" followed by text.
 * The client side is `nfqringd --reload` / `--stats` / `--control` /
 * `--load-set`.
 */
#ifndef NFQD_CONTROL_H
#define NFQD_CONTROL_H

#include <stddef.h>

enum nfqd_cmd { NFQD_CMD_BAD, NFQD_CMD_RELOAD, NFQD_CMD_STATS, NFQD_CMD_STATS_JSON,
		NFQD_CMD_SETS, NFQD_CMD_TOO_LONG };

/* A live-set command's text: the client's file may be large */
#define NFQD_CONTROL_MAX (64u << 20)

/* Bind and listen on path.  Refuses (-EADDRINUSE) when a daemon answers
 * there; removes a stale socket.  Returns the fd or a negative errno. */
int nfqd_control_listen(const char *path);
/* Accept one client and read its command (waits at most 1 s for each part
 * of it).  Returns the client fd (cmd set; *text, malloc'd and
 * NUL-terminated, holds the whole command) or -1. */
int nfqd_control_accept(int lfd, enum nfqd_cmd *cmd, char **text, size_t *len);
/* Send the answer and close the client. */
void nfqd_control_reply(int fd, int code, const char *text, size_t len);
/* Client: send cmd to the daemon at path, print its answer (stdout when it
 * succeeded, stderr else) and return its code, NFQD_EXIT_CONTROL when there
 * is no daemon to ask. */
int nfqd_control_client(const char *path, const char *cmd);
/* Same, with body (len bytes) after the command line. */
int nfqd_control_client_body(const char *path, const char *cmd, const char *body, size_t len);
/* --load-set NAME FILE: sends "load set NAME FILE" and FILE's contents
 * ("-": standard input). */
int nfqd_control_load_set(const char *path, const char *name, const char *file);
/* Parse one command line (unit tests). */
enum nfqd_cmd nfqd_control_parse(const char *line);

#endif
