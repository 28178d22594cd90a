// SPDX-License-Identifier: GPL-2.0
/*
 * insn_mark: opens and closes insn_count's counting window from inside the
 * guest, by executing the marks of insn_mark.h.
 *
 *   insn_mark start|stop   one mark, then exit
 *   insn_mark loop N       a window around N turns of a two-instruction
 *                          loop (2N user instructions): bench/test-insn.sh
 *   insn_mark spin N       a window around N turns of a three-instruction
 *                          loop with a PAUSE: a wait loop, spinning from
 *                          its second turn
 *   insn_mark syscalls N   a window around N getppid() system calls
 *   insn_mark              a line "ready", then for each line read, "start"
 *                          or "stop", that mark and a line "started" or
 *                          "stopped" once it has executed
 *
 * The last form is for a script that must not start a process inside the
 * window (an exec costs millions of instructions): it starts insn_mark
 * before, as a coprocess, and talks to it with shell builtins.  Without
 * the plugin the marks are NOPs and nothing happens.  (The benchmark's
 * instruction pass marks its windows with insn_send instead.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "insn_mark.h"


static int mark(const char *what)
{
	if (!strcmp(what, "start"))
		insn_mark_start();
	else if (!strcmp(what, "stop"))
		insn_mark_stop();
	else
		return -1;
	return 0;
}

/* Known work in a window: the plugin's test. */
static int known(const char *what, const char *count)
{
	char *end;
	unsigned long n = strtoul(count, &end, 10);

	if (!n || *end)
		return -1;
	if (!strcmp(what, "loop")) {
		insn_mark_start();
		__asm__ volatile("1: dec %0\n\tjnz 1b" : "+r"(n));
		insn_mark_stop();
	} else if (!strcmp(what, "spin")) {
		insn_mark_start();
		__asm__ volatile("1: pause\n\tdec %0\n\tjnz 1b" : "+r"(n));
		insn_mark_stop();
	} else if (!strcmp(what, "syscalls")) {
		insn_mark_start();
		while (n--)
			syscall(SYS_getppid);
		insn_mark_stop();
	} else {
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char usage[] = "usage: insn_mark [start|stop|loop N|spin N|syscalls N]\n";
	char line[64];

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
		if (mark(line)) {
			fprintf(stderr, "insn_mark: '%s': start or stop\n", line);
			return 2;
		}
		printf("%s\n", strcmp(line, "start") ? "stopped" : "started");
	}
	return 0;
}
