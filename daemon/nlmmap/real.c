/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libc functions behind the interposed ones, found with
 * dlsym(RTLD_NEXT) once, by a constructor, before main() runs. */
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>

#include "nlmmap.h"

struct nlm_real nlm_real;

static void *next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		/* Without the real function nothing can work: say so, stop. */
		nlm_say("libnfqring-nlmmap: a libc function is missing (dlsym RTLD_NEXT failed)");
		abort();
	}
	return p;
}

/*
 * Each pointer is stored whole (an aligned pointer store), so a thread that
 * races the constructor sees either NULL, and resolves it itself, or the
 * same value.
 */
#define RESOLVE(f) do { if (!nlm_real.f) *(void **)&nlm_real.f = next(#f); } while (0)

void nlm_real_init(void)
{
	RESOLVE(close);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(fcntl);
	RESOLVE(ioctl);
	RESOLVE(read);
	RESOLVE(write);
	RESOLVE(readv);
	RESOLVE(writev);
	RESOLVE(send);
	RESOLVE(sendto);
	RESOLVE(sendmsg);
	RESOLVE(recv);
	RESOLVE(recvfrom);
	RESOLVE(recvmsg);
	RESOLVE(setsockopt);
	RESOLVE(getsockopt);
	RESOLVE(bind);
	RESOLVE(connect);
	RESOLVE(getsockname);
	RESOLVE(getpeername);
	RESOLVE(shutdown);
	RESOLVE(mmap);
	RESOLVE(munmap);
	RESOLVE(poll);
	RESOLVE(sendmmsg);
	RESOLVE(recvmmsg);
	RESOLVE(__read_chk);
	RESOLVE(__recv_chk);
	RESOLVE(__recvfrom_chk);
}

__attribute__((constructor))
static void nlm_real_ctor(void)
{
	nlm_real_init();
}

void nlm_say(const char *msg)
{
	char buf[512];
	size_t n = 0;

	while (msg[n] && n < sizeof(buf) - 1) {
		buf[n] = msg[n];
		n++;
	}
	buf[n++] = '\n';
	/* Best effort: stderr may be closed. */
	if (REAL(write)(2, buf, n) < 0)
		return;
}
