/* SPDX-License-Identifier: GPL-2.0-only */
#include "nft.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char nft[64];

const char *nft_path(void)
{
	return nft;
}

const char *nft_find(void)
{
	static const char *const paths[] = { "/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft" };
	const char *why = NULL;
	char *msgs = NULL;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], X_OK)) {
			snprintf(nft, sizeof(nft), "%s", paths[i]);
			break;
		}
	if (!nft[0])
		why = "nft not installed";
	else if (geteuid() != 0)
		why = "not root";
	else if (nft_check("table inet nfqr_probe {\n}\n", &msgs) != 0)
		why = "nf_tables unusable here";	/* no kernel support at all */
	free(msgs);
	return why;
}

int nft_check(const char *text, char **msgs)
{
	char path[] = "/tmp/nfqr-nft-XXXXXX", cmd[160];
	int fd = mkstemp(path), rc = -1;
	size_t len = 0, n;
	FILE *p;

	*msgs = calloc(1, 65536);
	if (fd < 0 || !*msgs || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		if (fd >= 0)
			close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd), "%s -c -f %s 2>&1", nft, path);
	p = popen(cmd, "r");
	if (p) {
		while (len < 65535 && (n = fread(*msgs + len, 1, 65535 - len, p)) > 0)
			len += n;
		rc = pclose(p);
		rc = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
	}
	unlink(path);
	return rc;
}

bool nft_only_queue_missing(const char *msgs)
{
	const char *l = msgs;
	int errors = 0;

	/* each error, then the rule it is about on the next line */
	while ((l = strstr(l, "Error: "))) {
		const char *next = strchr(l, '\n'), *end;

		if (strncmp(l, "Error: Could not process rule: No such file or directory", 56) || !next)
			return false;
		end = strchr(next + 1, '\n');
		if (!end)
			end = next + 1 + strlen(next + 1);
		if (!memmem(next + 1, (size_t)(end - next - 1), "queue ", 6))
			return false;
		errors++;
		l = next;
	}
	return errors > 0;
}
