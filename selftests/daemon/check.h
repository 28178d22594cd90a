/* SPDX-License-Identifier: GPL-2.0 */
/* Soft checks for the suites' drivers (e2e, daq_drive): a check that fails
 * prints "# FAIL: ..." and counts in check_failures, and the run goes on so
 * that one run shows every difference; the driver's exit status reports
 * them. */
#ifndef NFQR_E2E_CHECK_H
#define NFQR_E2E_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int check_failures;

__attribute__((format(printf, 2, 3), unused))
static void check(int cond, const char *fmt, ...)
{
	va_list ap;

	if (cond)
		return;
	check_failures++;
	printf("# FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#endif
