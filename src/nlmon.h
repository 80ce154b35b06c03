/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nlmon.h - the notification sockets watch listens on: nftables ruleset
 * changes (NFNLGRP_NFTABLES) and rtnetlink route, address and link
 * changes.  Only message types are looked at; what changed is learnt by
 * reading the rules and routes again.  Returns 0 or -errno, never logs.
 */
#ifndef CTSWEEP_NLMON_H
#define CTSWEEP_NLMON_H

#include <stdbool.h>
#include <stdint.h>

enum nlmon_kind { NLMON_NFT, NLMON_ROUTE };

struct nlmon;

/* What one drain of a socket saw. */
struct nlmon_seen {
	unsigned int msgs;	/* notifications read */
	bool newgen;		/* nftables: a transaction ended (NEWGEN) */
	unsigned int rules, elems, other;	/* nftables: what kind */
	bool lost;		/* ENOBUFS: the kernel dropped notifications */
};

/* A socket subscribed to @kind's groups into *@m; @rcvbuf: receive
 * buffer in bytes, 0 for the default (large).  0, or -errno with *@m
 * untouched. */
int nlmon_open(struct nlmon **m, enum nlmon_kind kind, int rcvbuf);
/* Close and free @m; NULL is fine. */
void nlmon_close(struct nlmon *m);
/* The socket, for poll(). */
int nlmon_fd(const struct nlmon *m);
/* Read everything queued now, without blocking; adds to @seen (a loss
 * sets seen->lost and is not an error).  0 or -errno. */
int nlmon_drain(struct nlmon *m, struct nlmon_seen *seen);

#endif
