/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * From parsed rules to the structures evaluated per packet: interface-name
 * classes, the classifier, the multi-pattern content matcher and the copy
 * range the daemon must ask the kernel for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "parser.h"
#include "ruleset.h"

static bool is_prefix_of(const char *p, const char *s)
{
	return strncmp(p, s, strlen(p)) == 0;
}

static int add_unique(char ***v, uint32_t *n, const char *s, size_t len)
{
	char **nv;

	for (uint32_t i = 0; i < *n; i++)
		if (strlen((*v)[i]) == len && memcmp((*v)[i], s, len) == 0)
			return 0;
	nv = realloc(*v, (*n + 1) * sizeof(char *));
	if (!nv)
		return -1;
	*v = nv;
	nv[*n] = strndup(s, len);
	if (!nv[*n])
		return -1;
	(*n)++;
	return 0;
}

/* Does one rule name ("eth0" or "veth*") match interface class c? */
static bool name_matches_class(const struct nfqr_ifnames *ifn, const char *name, uint32_t c)
{
	size_t len = strlen(name);
	bool wild = len && name[len - 1] == '*';
	char pat[17];

	if (c == 0)
		return false;
	memcpy(pat, name, len + 1);
	if (wild)
		pat[len - 1] = 0;
	if (c <= ifn->n_exact) {
		const char *e = ifn->exact[c - 1];

		return wild ? is_prefix_of(pat, e) : strcmp(pat, e) == 0;
	}
	/* a name not listed exactly, whose longest matching wildcard is P */
	return wild && is_prefix_of(pat, ifn->prefix[c - 1 - ifn->n_exact]);
}

static int build_ifnames(struct nfqr_ruleset *rs)
{
	struct nfqr_ifnames *ifn = NULL;
	uint32_t r, i, j, c;

	for (r = 0; r < rs->n_rules; r++)
		for (i = 0; i < rs->rules[r].n_preds; i++) {
			struct nfqr_pred *p = &rs->rules[r].preds[i];

			for (j = 0; j < p->n_names; j++) {
				size_t len = strlen(p->names[j]);
				bool wild = len && p->names[j][len - 1] == '*';

				if (!ifn && !(ifn = calloc(1, sizeof(*ifn))))
					return -1;
				if (wild ? add_unique(&ifn->prefix, &ifn->n_prefix, p->names[j], len - 1)
					 : add_unique(&ifn->exact, &ifn->n_exact, p->names[j], len))
					goto fail;
			}
		}
	if (!ifn)
		return 0;
	rs->ifn = ifn;
	ifn->n_classes = 1 + ifn->n_exact + ifn->n_prefix;
	ifn->exact_class = calloc(ifn->n_exact + 1, sizeof(uint32_t));
	ifn->prefix_class = calloc(ifn->n_prefix + 1, sizeof(uint32_t));
	if (!ifn->exact_class || !ifn->prefix_class)
		return -1;
	for (i = 0; i < ifn->n_exact; i++)
		ifn->exact_class[i] = 1 + i;
	for (i = 0; i < ifn->n_prefix; i++)
		ifn->prefix_class[i] = 1 + ifn->n_exact + i;
	/* names -> ranges of class numbers */
	for (r = 0; r < rs->n_rules; r++)
		for (i = 0; i < rs->rules[r].n_preds; i++) {
			struct nfqr_pred *p = &rs->rules[r].preds[i];

			if (p->field != NFQR_F_IIFNAME && p->field != NFQR_F_OIFNAME)
				continue;
			p->ranges = calloc(ifn->n_classes, sizeof(*p->ranges));
			if (!p->ranges)
				return -1;
			for (c = 0; c < ifn->n_classes; c++) {
				bool m = false;

				for (j = 0; j < p->n_names && !m; j++)
					m = name_matches_class(ifn, p->names[j], c);
				if (m)
					p->ranges[p->n_ranges++] = (struct nfqr_range){
						nfqr_key_u32(c), nfqr_key_u32(c) };
			}
		}
	return 0;
fail:
	if (!rs->ifn) {
		for (i = 0; i < ifn->n_exact; i++) free(ifn->exact[i]);
		for (i = 0; i < ifn->n_prefix; i++) free(ifn->prefix[i]);
		free(ifn->exact); free(ifn->prefix); free(ifn);
	}
	return -1;
}

/* `content ... stream`: a matcher of those patterns alone (for the join
 * windows) and the size of the per-worker flow table. */
static int build_stream(struct nfqr_ruleset *rs, const struct nfqr_load_opts *opts,
			char *err, size_t errlen)
{
	struct nfqr_cm_pattern *sp;
	uint32_t i, n = 0, slots;

	for (i = 0; i < rs->n_patterns; i++)
		n += rs->patterns[i].stream;
	if (!n)
		return 0;
	rs->stream_pat = calloc(n, sizeof(uint32_t));
	sp = calloc(n, sizeof(*sp));
	if (!rs->stream_pat || !sp) {
		free(sp);
		return -1;
	}
	for (i = 0; i < rs->n_patterns; i++) {
		if (!rs->patterns[i].stream)
			continue;
		if (rs->patterns[i].len > rs->stream_maxlen)
			rs->stream_maxlen = rs->patterns[i].len;
		rs->stream_pat[rs->n_stream] = i;
		sp[rs->n_stream++] = rs->patterns[i];
	}
	rs->stream_cm = nfqr_cm_build(sp, n, opts ? opts->backend : NFQR_CM_AUTO, err, errlen);
	free(sp);
	if (!rs->stream_cm)
		return -1;
	slots = opts && opts->stream_slots ? opts->stream_slots : NFQR_STREAM_SLOTS_DEFAULT;
	if (slots > NFQR_STREAM_SLOTS_MAX)
		slots = NFQR_STREAM_SLOTS_MAX;
	if (slots < NFQR_STREAM_WAYS)
		slots = NFQR_STREAM_WAYS;
	while (slots & (slots - 1))        /* a power of two: buckets by mask */
		slots &= slots - 1;
	rs->stream_slots = slots;
	return 0;
}

static int build_content(struct nfqr_ruleset *rs, const struct nfqr_load_opts *opts,
			 char *err, size_t errlen)
{
	uint32_t r, i;

	if (rs->n_patterns == 0)
		return 0;
	rs->pattern_rules = calloc(rs->n_patterns, sizeof(uint32_t *));
	rs->pattern_n_rules = calloc(rs->n_patterns, sizeof(uint32_t));
	if (!rs->pattern_rules || !rs->pattern_n_rules)
		return -1;
	for (r = 0; r < rs->n_rules; r++)
		for (i = 0; i < rs->rules[r].n_content; i++)
			rs->pattern_n_rules[rs->rules[r].content[i]]++;
	for (i = 0; i < rs->n_patterns; i++) {
		rs->pattern_rules[i] = calloc(rs->pattern_n_rules[i] + 1, sizeof(uint32_t));
		if (!rs->pattern_rules[i])
			return -1;
		rs->pattern_n_rules[i] = 0;
	}
	for (r = 0; r < rs->n_rules; r++)
		for (i = 0; i < rs->rules[r].n_content; i++) {
			uint32_t p = rs->rules[r].content[i];

			rs->pattern_rules[p][rs->pattern_n_rules[p]++] = r;
		}
	rs->cm = nfqr_cm_build(rs->patterns, rs->n_patterns,
			       opts ? opts->backend : NFQR_CM_AUTO, err, errlen);
	if (!rs->cm)
		return -1;
	return build_stream(rs, opts, err, errlen);
}

/* What rule r reads past the headers (struct nfqr_need); false: nothing.
 * With ports, `th dport` counts too (the first 4 bytes of a transport
 * header: within the copy range's allowance for headers, but not within a
 * capture that ends inside a long header chain). */
static bool rule_need(const struct nfqr_ruleset *rs, const struct nfqr_rule *rule,
		      struct nfqr_need *n, bool ports)
{
	memset(n, 0, sizeof(*n));
	for (uint32_t i = 0; i < rule->n_content; i++) {
		const struct nfqr_cm_pattern *p = &rs->patterns[rule->content[i]];
		uint64_t end = (uint64_t)p->offset + p->depth;

		if (p->depth == 0 || end > NFQR_CAPTURE_MAX)
			n->pl = NFQR_NEED_ALL;
		else if (end > n->pl)
			n->pl = (uint32_t)end;
	}
	for (uint32_t i = 0; i < rule->n_preds; i++) {
		const struct nfqr_pred *p = &rule->preds[i];
		uint32_t end = (nfqr_raw_off(p->arg) + nfqr_raw_len(p->arg) + 7) / 8;

		if (p->field == NFQR_F_SPORT || p->field == NFQR_F_DPORT)   /* see fields.c */
			end = !ports ? 0 : p->field == NFQR_F_SPORT ? 2 : 4;
		if ((p->field == NFQR_F_RAW_TH || p->field == NFQR_F_SPORT ||
		     p->field == NFQR_F_DPORT) && end > n->th)
			n->th = end;
		if (p->field == NFQR_F_RAW_NH && end > n->nh)
			n->nh = end;
	}
	return n->nh || n->th || n->pl;
}

static void need_merge(struct nfqr_need *to, const struct nfqr_need *n)
{
	if (n->nh > to->nh)
		to->nh = n->nh;
	if (n->th > to->th)
		to->th = n->th;
	if (n->pl > to->pl)
		to->pl = n->pl;
}

/*
 * rs->need: per (nfproto, l4proto) slot, what the rules that may apply to
 * such a packet read, by their `meta nfproto` and `meta l4proto` matches
 * (and those that `tcp dport` and the like imply).  A packet whose capture
 * ends before that goes to `policy truncated`, whatever the other matches.
 */
static int build_need(struct nfqr_ruleset *rs)
{
	struct nfqr_need n;

	for (uint32_t r = 0; r < rs->n_rules; r++) {
		const struct nfqr_rule *rule = &rs->rules[r];
		bool some = false;

		if (!rule_need(rs, rule, &n, true))
			continue;
		if (!rs->need && !(rs->need = calloc(NFQR_NEED_SLOTS, sizeof(*rs->need))))
			return -1;
		for (uint32_t i = 0; i < rule->n_preds && !some; i++)
			some = rule->preds[i].field == NFQR_F_NFPROTO ||
			       rule->preds[i].field == NFQR_F_L4PROTO;
		for (uint32_t slot = 0; slot < NFQR_NEED_SLOTS; slot++)
			if (!some || nfqr_rule_allows_slot(rule, slot))
				need_merge(&rs->need[slot], &n);
	}
	return 0;
}

/* The copy range: the headers and, past them, the deepest content window or
 * raw field; the whole packet for rewrites and content without a depth. */
static uint32_t copy_range(const struct nfqr_ruleset *rs)
{
	struct nfqr_need all = { 0 }, n;
	uint64_t need;

	for (uint32_t r = 0; r < rs->n_rules; r++) {
		for (uint32_t i = 0; i < rs->rules[r].n_stmts; i++)
			if (rs->rules[r].stmts[i].kind == NFQR_S_PAYLOAD_FILL ||
			    rs->rules[r].stmts[i].kind == NFQR_S_PAYLOAD_REPLACE)
				return NFQR_COPY_ALL;   /* checksums need the whole packet */
		if (rule_need(rs, &rs->rules[r], &n, false))
			need_merge(&all, &n);
	}
	if (all.pl == NFQR_NEED_ALL)
		return NFQR_COPY_ALL;
	/* @th counts from the transport header, which the allowance covers the
	 * way to, as for the payload; @nh from the first byte */
	need = (uint64_t)(all.pl > all.th ? all.pl : all.th) + NFQR_HDR_ALLOWANCE;
	if (all.nh > need)
		need = all.nh;
	return need > NFQR_COPY_ALL ? NFQR_COPY_ALL : (uint32_t)need;
}

/*
 * Live sets: bound to the caller's store, whose elements come into force
 * when the caller activates the ruleset; without one, to a store of the
 * ruleset's own, in force at once.
 */
static int bind_sets(struct nfqr_ruleset *rs, const struct nfqr_load_opts *opts)
{
	struct timespec ts;

	if (opts && opts->sets)
		return nfqr_ruleset_bind_sets(rs, opts->sets);
	if (!rs->n_lsets)
		return 0;
	rs->own_sets = nfqr_sets_new(0);
	if (!rs->own_sets || nfqr_ruleset_bind_sets(rs, rs->own_sets))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return nfqr_ruleset_activate_sets(rs, (uint64_t)ts.tv_sec * 1000000000ull +
					  (uint64_t)ts.tv_nsec);
}

struct nfqr_ruleset *nfqr_ruleset_parse(const char *name, const char *text, size_t len,
					const struct nfqr_load_opts *opts,
					struct nfqr_diag *diag)
{
	struct nfqr_ruleset *rs = calloc(1, sizeof(*rs));
	char err[256] = "out of memory";

	if (!rs)
		return NULL;
	if (nfqr_parse_rules(name, text, len, opts, rs, diag)) {
		nfqr_ruleset_free(rs);
		return NULL;
	}
	if (build_ifnames(rs))
		goto fail;
	rs->cls = nfqr_classifier_build(rs->rules, rs->n_rules);
	if (!rs->cls)
		goto fail;
	if (build_content(rs, opts, err, sizeof(err)))
		goto fail;
	rs->copy_range = copy_range(rs);
	if (build_need(rs))
		goto fail;
	rs->detect_only = opts && opts->detect_only;
	if (bind_sets(rs, opts))
		goto fail;
	rs->log_rate = 10;
	rs->log_burst = 20;
	return rs;
fail:
	nfqr_diag_add(diag, name, 1, 1, "expected a compiled ruleset, got error: %s", err);
	nfqr_ruleset_free(rs);
	return NULL;
}

/* What a file that is not a regular file is, for the message. */
static const char *file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m) ? "a character device (not a regular file)" :
	       S_ISBLK(m) ? "a block device (not a regular file)" : "not a regular file";
}

/*
 * The whole file or nothing: a directory, a device, a read error or a file
 * over NFQR_RULES_MAX_BYTES is an error, never an empty or cut ruleset (the
 * daemon's start and its reloads share this reader: an empty ruleset would
 * accept everything).
 */
static char *read_whole(const char *path, size_t *lenp, struct nfqr_diag *diag)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	size_t len = 0, cap;
	struct stat st;
	char *buf;

	if (fd < 0) {
		nfqr_diag_add(diag, path, 0, 0, "expected a readable rule file, got %s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st)) {
		nfqr_diag_add(diag, path, 0, 0, "expected a readable rule file, got %s", strerror(errno));
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		nfqr_diag_add(diag, path, 0, 0, "expected a regular rule file, got %s (give the "
			      "file itself, e.g. -c /etc/nfqring/rules.nft)", file_kind(st.st_mode));
		close(fd);
		return NULL;
	}
	if (st.st_size > (off_t)NFQR_RULES_MAX_BYTES)
		goto too_big;
	cap = (size_t)st.st_size + 1;      /* +1: the read that sees the end */
	buf = malloc(cap);
	if (!buf) {
		nfqr_diag_add(diag, path, 0, 0, "expected memory for %zu bytes of rules, got none",
			      cap);
		close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {          /* it grew while being read */
			char *nb = cap > NFQR_RULES_MAX_BYTES ? NULL : realloc(buf, cap * 2);

			if (!nb) {
				free(buf);
				if (cap > NFQR_RULES_MAX_BYTES)
					goto too_big;
				nfqr_diag_add(diag, path, 0, 0, "expected memory for the rules, got none");
				close(fd);
				return NULL;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			nfqr_diag_add(diag, path, 0, 0, "expected to read the rule file whole, got %s "
				      "after %zu bytes", strerror(errno), len);
			free(buf);
			close(fd);
			return NULL;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > NFQR_RULES_MAX_BYTES) {
		free(buf);
		goto too_big_closed;
	}
	*lenp = len;
	return buf;
too_big:
	close(fd);
too_big_closed:
	nfqr_diag_add(diag, path, 0, 0, "expected a rule file of at most %u MiB, got %lld bytes "
		      "(split it, or move large address lists into sets loaded with --load-set)",
		      NFQR_RULES_MAX_BYTES >> 20, (long long)st.st_size);
	return NULL;
}

struct nfqr_ruleset *nfqr_ruleset_load(const char *path, const struct nfqr_load_opts *opts,
				       struct nfqr_diag *diag)
{
	size_t len = 0;
	char *buf = read_whole(path, &len, diag);
	struct nfqr_ruleset *rs;

	if (!buf)
		return NULL;
	rs = nfqr_ruleset_parse(path, buf, len, opts, diag);
	free(buf);
	return rs;
}
