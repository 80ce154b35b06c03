/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * flow.h - a conntrack entry as ctsweep sees it: plain data, no library types.
 *
 * Addresses and ports are kept in network byte order, exactly as they travel
 * in packets and netlink, so the rule evaluator can compare them with the
 * bytes the nat chains load from a packet without converting.
 */
#ifndef CTSWEEP_FLOW_H
#define CTSWEEP_FLOW_H

#include <stdint.h>
#include <stdbool.h>
#include <netinet/in.h>

union addr {
	uint32_t ip;		/* IPv4, network byte order */
	struct in6_addr ip6;
	uint8_t b[16];
};

struct tuple {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t l4proto;	/* IPPROTO_UDP, IPPROTO_TCP, ... */
	union addr src;
	union addr dst;
	uint16_t sport;		/* network byte order */
	uint16_t dport;		/* network byte order */
};

struct flow {
	struct tuple orig;	/* as the first packet arrived */
	struct tuple reply;	/* as replies are expected: NAT shows here */
	uint32_t id;		/* CTA_ID: deletes name it so a new entry survives */
	uint32_t status;	/* IPS_* bits */
	uint32_t mark;
	uint32_t timeout;	/* seconds left */
	uint16_t zone;
	uint8_t tcp_state;	/* TCP_CONNTRACK_*, 0 for other protocols */
};

/* The same flow seen from the other end: tuples swapped.  A mirror
 * (mirror.h) is the forward it mirrors, reversed, and the other way
 * round. */
static inline void flow_reversed(const struct flow *f, struct flow *out)
{
	*out = *f;
	out->orig = f->reply;
	out->reply = f->orig;
}

/* Does @proto carry 16-bit ports at offsets 0 and 2 (TCP, UDP, ...)? */
static inline bool proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

/* Bytes of an address of @family (anything but AF_INET6: 4). */
static inline int addr_len(uint8_t family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* memcmp() over @family's bytes of two addresses: the order of numbers. */
static inline int addr_cmp(uint8_t family, const union addr *a,
			   const union addr *b)
{
	return __builtin_memcmp(a->b, b->b, addr_len(family));
}

static inline bool addr_eq(uint8_t family, const union addr *a,
			   const union addr *b)
{
	return !addr_cmp(family, a, b);
}

#endif
