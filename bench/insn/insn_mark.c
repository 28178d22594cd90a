// SPDX-License-Identifier: GPL-2.0
/*
 * insn_mark: opens and closes insn_count's counting window from inside the
 * guest, by executing the marks of insn_mark.h.
 *
 *   insn_mark start|stop   one mark, then exit
 *   insn_mark loop N       a window around N turns of a two-instruction
 *                          loop (2N user instructions): bench/test-insn.sh
 *   insn_mark syscalls N   a window around N getppid() system calls
 *   insn_mark              a line "ready", then one answer per line read:
 *                          "start" or "stop": that mark, then "started" or
 *                          "stopped" once it has executed; "write FILE TEXT":
 *                          TEXT and a newline written to FILE in one write()
 *                          (pktgen's pgctrl: "start" returns when pktgen is
 *                          done), then "written" or "error: WHY"
 *
 * The last form is for a script that must not start a process inside the
 * window (an exec costs millions of instructions): it starts insn_mark
 * before, as a coprocess (in the namespace whose files it writes), and
 * talks to it with shell builtins.  Without the plugin the marks are NOPs
 * and nothing happens.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "insn_mark.h"

#define STR(...) #__VA_ARGS__
#define XSTR(...) STR(__VA_ARGS__)
/* the prefix bytes, then the displacement as an immediate (%c: no '$') */
#define MARK(disp) __asm__ volatile(".byte " XSTR(INSN_MARK_PREFIX) "\n\t.long %c0" \
				    : : "i"(disp) : "memory")

static int mark(const char *what)
{
	if (!strcmp(what, "start"))
		MARK(INSN_MARK_START);
	else if (!strcmp(what, "stop"))
		MARK(INSN_MARK_STOP);
	else
		return -1;
	return 0;
}

/* "FILE TEXT": TEXT and a newline to FILE, in one write(); the answer. */
static void write_file(char *arg)
{
	char *text = strchr(arg, ' ');
	ssize_t n;
	size_t len;
	int fd;

	if (!text) {
		printf("error: write FILE TEXT\n");
		return;
	}
	*text++ = 0;
	len = strlen(text);
	text[len++] = '\n';	/* over the terminating NUL: fgets left room */
	fd = open(arg, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("error: %s: %s\n", arg, strerror(errno));
		return;
	}
	n = write(fd, text, len);
	if (n != (ssize_t)len)
		printf("error: writing %s: %s\n", arg, n < 0 ? strerror(errno) : "short write");
	else
		printf("written\n");
	close(fd);
}

/* Known work in a window: the plugin's test. */
static int known(const char *what, const char *count)
{
	char *end;
	unsigned long n = strtoul(count, &end, 10);

	if (!n || *end)
		return -1;
	if (!strcmp(what, "loop")) {
		MARK(INSN_MARK_START);
		__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n));
		MARK(INSN_MARK_STOP);
	} else if (!strcmp(what, "syscalls")) {
		MARK(INSN_MARK_START);
		while (n--)
			syscall(SYS_getppid);
		MARK(INSN_MARK_STOP);
	} else {
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char usage[] = "usage: insn_mark [start|stop|loop N|syscalls N]\n";
	char line[4096];

	if (argc == 2 || argc == 3) {
		if (argc == 2 ? mark(argv[1]) : known(argv[1], argv[2])) {
			fputs(usage, stderr);
			return 2;
		}
		return 0;
	}
	if (argc != 1) {
		fputs(usage, stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ready\n");
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "write ", 6)) {
			write_file(line + 6);
		} else if (!mark(line)) {
			printf("%s\n", strcmp(line, "start") ? "stopped" : "started");
		} else {
			fprintf(stderr, "insn_mark: '%s': start, stop or write FILE TEXT\n", line);
			return 2;
		}
	}
	return 0;
}
