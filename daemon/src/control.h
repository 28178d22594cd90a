/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: a unix stream socket taking one command line per
 * connection ("reload", "stats", "stats json") and answering with a status
 * line "<exit code>\n" followed by text.  The client side is
 * `nfqringd --reload` / `--stats`.
 */
#ifndef NFQD_CONTROL_H
#define NFQD_CONTROL_H

#include <stddef.h>

enum nfqd_cmd { NFQD_CMD_BAD, NFQD_CMD_RELOAD, NFQD_CMD_STATS, NFQD_CMD_STATS_JSON };

/* Bind and listen on path.  Refuses (-EADDRINUSE) when a daemon answers
 * there; removes a stale socket.  Returns the fd or a negative errno. */
int nfqd_control_listen(const char *path);
/* Accept one client and read its command (waits at most 1 s for it).
 * Returns the client fd (cmd set) or -1. */
int nfqd_control_accept(int lfd, enum nfqd_cmd *cmd);
/* Send the answer and close the client. */
void nfqd_control_reply(int fd, int code, const char *text, size_t len);
/* Client: send cmd to the daemon at path, print its answer (stdout when it
 * succeeded, stderr else) and return its code, NFQD_EXIT_CONTROL when there
 * is no daemon to ask. */
int nfqd_control_client(const char *path, const char *cmd);
/* Parse one command line (unit tests). */
enum nfqd_cmd nfqd_control_parse(const char *line);

#endif
