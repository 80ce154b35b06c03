/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ct.h - conntrack I/O over ctnetlink (libmnl; libnetfilter_conntrack where
 * it helps).  Knows nothing of rules.  Returns 0 or -errno, never logs.
 */
#ifndef CTSWEEP_CT_H
#define CTSWEEP_CT_H

#include <stddef.h>
#include "flow.h"

struct ct_handle;

/* A kernel-side dump filter. Unset fields match anything.  The same filter
 * is applied again in userspace, so a kernel that ignores a part of it (too
 * old for CTA_FILTER or CTA_STATUS_MASK) still yields exactly these flows. */
struct ct_filter {
	uint8_t family;		/* AF_INET, AF_INET6, 0 = both */
	uint8_t l4proto;	/* 0 = any */
	uint32_t status, status_mask;	/* (status & mask) == status */
	bool has_orig_dport;
	uint16_t orig_dport;	/* network byte order */
	bool has_orig_dst;
	union addr orig_dst;
	bool has_reply_src;
	union addr reply_src;
	uint16_t zone;
};

/* Userspace half of the filter (ct_parse.c, no I/O): true if @f passes
 * @flt.  ct_dump applies it to every flow the kernel returns; exported for
 * tests and for callers that hold flows from elsewhere (events).  An
 * address filter compares addr_len(flow family) bytes. */
bool ct_filter_match(const struct ct_filter *flt, const struct flow *f);

/* Called for each flow; return 0 to go on, <0 to stop the dump with it. */
typedef int (*ct_flow_cb)(const struct flow *f, void *data);

/* A ctnetlink socket of the current namespace, with the kernel's filter
 * features probed.  0 or -errno. */
int ct_open(struct ct_handle **h);
void ct_close(struct ct_handle *h);
/* Every flow passing @flt (kernel filter, then the same in userspace) to
 * @cb.  0, -EAGAIN when the table changed under the dump (redo it), the
 * first <0 from @cb, or another -errno. */
int ct_dump(struct ct_handle *h, const struct ct_filter *flt, ct_flow_cb cb,
	    void *data);
/* A dump read a little at a time, for watch's index refill, so that the
 * poll loop goes on between steps.  @flt->family must be set (one family
 * per dump).  ct_dump_step reads at most @max datagrams, never blocking:
 * 1 when more is to come (poll ct_fd), 0 when done, -EAGAIN when the
 * table changed under the dump (NLM_F_DUMP_INTR: some flows may be
 * missing), or another <0. */
int ct_dump_start(struct ct_handle *h, const struct ct_filter *flt);
int ct_dump_step(struct ct_handle *h, unsigned int max, ct_flow_cb cb,
		 void *data);
void ct_dump_abort(struct ct_handle *h);
/* The socket to poll during a stepped dump. */
int ct_fd(const struct ct_handle *h);

/* Delete these flows, many per sendmsg.  Each delete names the entry's id,
 * so an entry re-created meanwhile survives; an entry already gone counts
 * as done.  @deleted gets how many the kernel removed.  Returns the first
 * error other than ENOENT (the rest are still tried, batch by batch);
 * on -ENOBUFS error acks were lost and @deleted covers earlier batches
 * only. */
int ct_delete(struct ct_handle *h, const struct flow *flows, size_t n,
	      size_t *deleted);
/* The same for flows that are not in one array: @next hands them out one
 * at a time, NULL when there are no more.  A sweep of 100k stale flows
 * would otherwise copy 10 MB of them first.  @gone (NULL: not wanted) is
 * called with each flow known to have left the table (deleted, or gone
 * already), so that a caller whose deletes failed part way knows which
 * went; the flows @next handed out must stay put until it returns. */
typedef const struct flow *(*ct_next_fn)(void *data);
typedef void (*ct_gone_fn)(void *data, const struct flow *f);
int ct_delete_each(struct ct_handle *h, ct_next_fn next, ct_gone_fn gone,
		   void *data, size_t *deleted);

/* Look entries up by original tuple (and zone), many requests per
 * datagram; the kernel hashes the tuple, so the table's size does not
 * matter.  Each gets err 0 (and @f) or -ENOENT; returns 0, or the first
 * other error. */
struct ct_lookup {
	struct tuple orig;
	uint16_t zone;
	int err;
	struct flow f;
};
int ct_get_many(struct ct_handle *h, struct ct_lookup *q, size_t n);

/* Parse one ctnetlink message (IPCTNL_MSG_CT_NEW) into @f: the pure part
 * (ct_parse.c), also used by the fuzzer. 0, or -EBADMSG/-EPROTO on a malformed message.
 * Both tuples must be present.  For ICMP/ICMPv6, sport holds the echo id
 * and dport the bytes {type, code}, the way the kernel lays out its tuple;
 * ct_delete sends them back that way. -EPROTO: a family other than
 * AF_INET/AF_INET6, or a message that is not a conntrack message. */
struct nlmsghdr;
int ct_parse_msg(const struct nlmsghdr *nlh, struct flow *f);

/* Delete, inside the kernel, every entry that matches @flt (CTA_FILTER on
 * IPCTNL_MSG_CT_DELETE, kernel >= 6.12).  5.8 to 6.11 refuse it, older
 * kernels ignore the filter and flush everything, so this first proves
 * support once per handle by
 * flushing synthetic entries in a throwaway network namespace (needs
 * CAP_SYS_ADMIN).  -EOPNOTSUPP when unproven or when @flt has parts the
 * kernel cannot apply exactly (zone, IPv6 addresses, ports without
 * l4proto); -EINVAL for a filter that would match everything. */
int ct_flush_filtered(struct ct_handle *h, const struct ct_filter *flt);

/* What ct_flush_filtered's probe found on this kernel, for the message
 * that says why a sweep deleted one by one: the verdict, the step it
 * stopped at and that step's -errno (0 when the step has none). */
enum ct_flush_probe {
	CT_FLUSH_UNPROBED,	/* not asked yet */
	CT_FLUSH_EXACT,		/* flushes by the whole filter */
	CT_FLUSH_REFUSED,	/* rejects it (5.8 to 6.11) */
	CT_FLUSH_WIDER,		/* took entries the filter did not match */
	CT_FLUSH_NO_PROBE,	/* the probe could not run: see the step */
};
enum ct_probe_step {
	CT_PROBE_DONE,		/* ran to its end */
	CT_PROBE_DUMP_FILTER,	/* not run: dumps' filters were refused */
	CT_PROBE_START,		/* fork() or its shared page (mmap) */
	CT_PROBE_WAIT,		/* waitpid() */
	CT_PROBE_CHILD,		/* the child ended without a word; err is
				 * the signal that killed it, or 0 */
	CT_PROBE_NETNS,		/* unshare(CLONE_NEWNET): CAP_SYS_ADMIN */
	CT_PROBE_OPEN,		/* a ctnetlink socket in the new namespace */
	CT_PROBE_CREATE,	/* its four entries */
	CT_PROBE_DUMP,		/* reading them back; err 0: not all there */
	CT_PROBE_FLUSH,		/* the filtered flush (CT_FLUSH_REFUSED) */
};
struct ct_probe {
	enum ct_flush_probe result;
	enum ct_probe_step step;
	int err;
};
const struct ct_probe *ct_flush_probe_result(const struct ct_handle *h);

/* Conntrack events, for watch.  @groups is a mask of CT_EV_*. */
#define CT_EV_NEW	1u
#define CT_EV_UPDATE	2u
#define CT_EV_DESTROY	4u
typedef int (*ct_event_cb)(unsigned int event, const struct flow *f,
			   void *data);
/* A socket for the @groups events only (a BPF filter drops protocols no
 * one judges).  0 or -errno. */
int ct_events_open(struct ct_handle **h, unsigned int groups);
/* Pollable descriptor; non-blocking. */
int ct_events_fd(const struct ct_handle *h);
/* Read every event queued now; returns how many were passed to @cb (0 when
 * none), -ENOBUFS when the kernel dropped events (the caller resyncs with a
 * dump), or the first <0 from @cb.  Messages that do not parse are skipped. */
int ct_events_read(struct ct_handle *h, ct_event_cb cb, void *data);

#endif
