/* SPDX-License-Identifier: GPL-2.0-only */
#include "symbols.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

bool nfqr_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	unsigned base = 10;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return false;
	for (; i < len; i++) {
		int d;
		char c = s[i];

		if (c >= '0' && c <= '9') d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f') d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F') d = c - 'A' + 10;
		else return false;
		if (v > (max - (uint64_t)d) / base)
			return false;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return true;
}

static bool copy_z(const char *s, size_t len, char *buf, size_t cap)
{
	if (len >= cap)
		return false;
	memcpy(buf, s, len);
	buf[len] = 0;
	return true;
}

bool nfqr_parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
	char b[INET_ADDRSTRLEN];

	return copy_z(s, len, b, sizeof(b)) && inet_pton(AF_INET, b, out) == 1;
}

bool nfqr_parse_ipv6(const char *s, size_t len, uint8_t out[16])
{
	char b[INET6_ADDRSTRLEN];

	return copy_z(s, len, b, sizeof(b)) && strchr(b, ':') && inet_pton(AF_INET6, b, out) == 1;
}

struct sym { const char *name; int value; };

static int lookup(const struct sym *t, const char *s, size_t len)
{
	for (; t->name; t++)
		if (strlen(t->name) == len && memcmp(t->name, s, len) == 0)
			return t->value;
	return -1;
}

int nfqr_service_port(const char *s, size_t len)
{
	static const struct sym t[] = {
		{ "ftp-data", 20 }, { "ftp", 21 }, { "ssh", 22 }, { "telnet", 23 },
		{ "smtp", 25 }, { "domain", 53 }, { "bootps", 67 }, { "bootpc", 68 },
		{ "tftp", 69 }, { "http", 80 }, { "pop3", 110 }, { "ntp", 123 },
		{ "imap", 143 }, { "snmp", 161 }, { "bgp", 179 }, { "ldap", 389 },
		{ "https", 443 }, { "submission", 587 }, { "imaps", 993 },
		{ "pop3s", 995 }, { "openvpn", 1194 }, { "mysql", 3306 },
		{ "postgresql", 5432 }, { NULL, 0 },
	};
	return lookup(t, s, len);
}

int nfqr_proto_number(const char *s, size_t len)
{
	static const struct sym t[] = {
		{ "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 },
		{ "ipv6", 41 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 },
		{ "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "dccp", 33 },
		{ "sctp", 132 }, { "udplite", 136 }, { NULL, 0 },
	};
	return lookup(t, s, len);
}

int nfqr_icmp_type(const char *s, size_t len)
{
	static const struct sym t[] = {
		{ "echo-reply", 0 }, { "destination-unreachable", 3 },
		{ "source-quench", 4 }, { "redirect", 5 }, { "echo-request", 8 },
		{ "router-advertisement", 9 }, { "router-solicitation", 10 },
		{ "time-exceeded", 11 }, { "parameter-problem", 12 },
		{ "timestamp-request", 13 }, { "timestamp-reply", 14 },
		{ "info-request", 15 }, { "info-reply", 16 },
		{ "address-mask-request", 17 }, { "address-mask-reply", 18 },
		{ NULL, 0 },
	};
	return lookup(t, s, len);
}

int nfqr_icmpv6_type(const char *s, size_t len)
{
	static const struct sym t[] = {
		{ "destination-unreachable", 1 }, { "packet-too-big", 2 },
		{ "time-exceeded", 3 }, { "parameter-problem", 4 },
		{ "echo-request", 128 }, { "echo-reply", 129 },
		{ "mld-listener-query", 130 }, { "mld-listener-report", 131 },
		{ "mld-listener-done", 132 }, { "mld-listener-reduction", 132 },
		{ "nd-router-solicit", 133 }, { "nd-router-advert", 134 },
		{ "nd-neighbor-solicit", 135 }, { "nd-neighbor-advert", 136 },
		{ "nd-redirect", 137 }, { "router-renumbering", 138 },
		{ "ind-neighbor-solicit", 141 }, { "ind-neighbor-advert", 142 },
		{ "mld2-listener-report", 143 }, { NULL, 0 },
	};
	return lookup(t, s, len);
}

int nfqr_tcp_flag(const char *s, size_t len)
{
	static const struct sym t[] = {
		{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 }, { "psh", 0x08 },
		{ "ack", 0x10 }, { "urg", 0x20 }, { "ecn", 0x40 }, { "cwr", 0x80 },
		{ NULL, 0 },
	};
	return lookup(t, s, len);
}

int nfqr_ct_state(const char *s, size_t len)
{
	static const struct sym t[] = {
		{ "invalid", NF_CT_STATE_INVALID_BIT },
		{ "established", NF_CT_STATE_BIT(IP_CT_ESTABLISHED) },
		{ "related", NF_CT_STATE_BIT(IP_CT_RELATED) },
		{ "new", NF_CT_STATE_BIT(IP_CT_NEW) },
		{ "untracked", NF_CT_STATE_UNTRACKED_BIT },
		{ NULL, 0 },
	};
	return lookup(t, s, len);
}

int nfqr_ct_direction(const char *s, size_t len)
{
	static const struct sym t[] = { { "original", 0 }, { "reply", 1 }, { NULL, 0 } };

	return lookup(t, s, len);
}

/* getpwnam_r / getgrnam_r with a buffer grown until the entry fits */
static bool name_to_id(const char *s, size_t len, bool group, uint32_t *id)
{
	char name[256], *buf = NULL;
	size_t cap = 1024;
	bool found = false;

	if (!copy_z(s, len, name, sizeof(name)) || strlen(name) != len)
		return false;
	for (;;) {
		char *nb = realloc(buf, cap);
		int rc;

		if (!nb)
			break;
		buf = nb;
		if (group) {
			struct group g, *res = NULL;

			rc = getgrnam_r(name, &g, buf, cap, &res);
			if (rc == 0 && res) {
				*id = (uint32_t)res->gr_gid;
				found = true;
			}
		} else {
			struct passwd pw, *res = NULL;

			rc = getpwnam_r(name, &pw, buf, cap, &res);
			if (rc == 0 && res) {
				*id = (uint32_t)res->pw_uid;
				found = true;
			}
		}
		if (rc != ERANGE || cap >= (1u << 20))
			break;
		cap *= 2;
	}
	free(buf);
	return found;
}

bool nfqr_user_id(const char *s, size_t len, uint32_t *uid)
{
	return name_to_id(s, len, false, uid);
}

bool nfqr_group_id(const char *s, size_t len, uint32_t *gid)
{
	return name_to_id(s, len, true, gid);
}
