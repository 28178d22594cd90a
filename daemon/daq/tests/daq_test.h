/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers of daq_nfqring's host tests: DAQ configurations by hand. */
#ifndef DAQ_TEST_H
#define DAQ_TEST_H

#include <daq_api.h>
#include <string.h>

#define DT_MAX_VARS 24

struct dt_config {
	DAQ_Config_t c;
	DAQ_Dict vars[DT_MAX_VARS];
	unsigned int n;
};

/* An inline configuration without variables, snaplen 1518, timeout ms. */
static inline void dt_init(struct dt_config *t, unsigned int timeout_ms)
{
	memset(t, 0, sizeof(*t));
	t->c.snaplen = 1518;
	t->c.timeout = timeout_ms;
	t->c.mode = DAQ_MODE_INLINE;
}

/* --daq-var key=value (value NULL: the variable without one) */
static inline void dt_var(struct dt_config *t, const char *key, const char *value)
{
	DAQ_Dict *e = &t->vars[t->n++];

	e->key = (char *)key;
	e->value = (char *)value;
	e->next = t->c.values;
	t->c.values = e;
}

#endif
