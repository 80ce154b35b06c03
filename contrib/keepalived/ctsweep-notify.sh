#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# ctsweep-notify.sh - keepalived notify script for a router pair that keeps
# its conntrack tables in step with conntrackd (FTFW) and its conntrack
# entries in step with its NAT rules with ctsweep.
#
#   ctsweep-notify.sh [-e ENVFILE] [-C CONNTRACKD_CONF] [-l LOGFILE] [-s]
#                     primary|backup|fault
#
# In keepalived.conf (see keepalived.conf beside this script):
#
#   vrrp_sync_group ROUTER {
#       ...
#       notify_master "/usr/local/sbin/ctsweep-notify.sh primary"
#       notify_backup "/usr/local/sbin/ctsweep-notify.sh backup"
#       notify_fault  "/usr/local/sbin/ctsweep-notify.sh fault"
#   }
#
# primary: the conntrackd sequence of its primary-backup.sh: commit the
#   replica (the external cache) into the kernel table, flush both caches,
#   resync the internal cache from the kernel, send a bulk update to the
#   other router.  The commit writes the other router's entries as they
#   were when it last heard of them: a forward changed or removed since
#   (while the sync link was down, or on this router alone) comes back
#   with the old backend, and conntrackd replaces an entry that live
#   traffic had already made under the current rules with it.  When
#   "ctsweep watch" runs here (CTSWEEP_DAEMON=1, the default) it judges
#   every entry as it appears and deletes such a stale one at once; with
#   CTSWEEP_DAEMON=0 this script runs "ctsweep sweep" after the commit.
# backup: the replica will be needed again; have conntrackd age this
#   router's own entries out (-t: flush them in PurgeTimeout seconds) and
#   ask the other router for a full resync (-n).
# fault: as backup, without the resync request.
#
# Options (and the variables an ENVFILE may set, shell syntax):
#   -e FILE   read FILE first (default /etc/default/ctsweep-notify if it
#             exists); keepalived does not pass its own environment on
#   -C FILE   conntrackd configuration      CONNTRACKD_CONF
#             (default /etc/conntrackd/conntrackd.conf)
#   -l FILE   append the log here instead of syslog    NOTIFY_LOG
#   -s        sweep after the commit (no daemon)       CTSWEEP_DAEMON=0
#             CONNTRACKD, CTSWEEP: the binaries (default from PATH)
#             CTSWEEP_SWEEP_OPTS: more options for "ctsweep sweep"
#             RUNTIME_DIRECTORY: where ctsweep keeps its small state
#             (default /run/ctsweep)
#
# Every step is logged with its exit status; a failed step does not stop
# the next ones (as in primary-backup.sh).  Exit 0, or 1 if a step failed,
# 2 on bad usage.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

envfile=/etc/default/ctsweep-notify
envfile_given=0
opt_conf=
opt_log=
opt_sweep=0

usage()
{
	echo "usage: ctsweep-notify.sh [-e ENVFILE] [-C CONNTRACKD_CONF]" \
		"[-l LOGFILE] [-s] primary|backup|fault" >&2
	exit 2
}

while getopts e:C:l:s opt; do
	case $opt in
	e) envfile=$OPTARG; envfile_given=1 ;;
	C) opt_conf=$OPTARG ;;
	l) opt_log=$OPTARG ;;
	s) opt_sweep=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || usage
state=$1

if [ -r "$envfile" ]; then
	# shellcheck disable=SC1090
	. "$envfile"
elif [ "$envfile_given" = 1 ]; then
	echo "ctsweep-notify.sh: cannot read $envfile" >&2
	exit 2
fi
[ -n "$opt_conf" ] && CONNTRACKD_CONF=$opt_conf
[ -n "$opt_log" ] && NOTIFY_LOG=$opt_log
[ "$opt_sweep" = 1 ] && CTSWEEP_DAEMON=0
CONNTRACKD=${CONNTRACKD:-conntrackd}
CONNTRACKD_CONF=${CONNTRACKD_CONF:-/etc/conntrackd/conntrackd.conf}
CTSWEEP=${CTSWEEP:-ctsweep}
CTSWEEP_DAEMON=${CTSWEEP_DAEMON:-1}
NOTIFY_LOG=${NOTIFY_LOG:-}
[ -n "${RUNTIME_DIRECTORY:-}" ] && export RUNTIME_DIRECTORY

failed=0

log()
{
	if [ -n "$NOTIFY_LOG" ]; then
		printf '%s %s: %s\n' "$(date +%s.%N)" "$state" "$*" \
			>>"$NOTIFY_LOG"
	else
		logger -t ctsweep-notify -p daemon.notice -- "$state: $*" \
			2>/dev/null || echo "ctsweep-notify: $state: $*" >&2
	fi
}

# step WHAT CMD...: run CMD, log its exit status and the last lines of its
# output, if any.
step()
{
	what=$1
	shift
	out=$("$@" 2>&1)
	rc=$?
	[ $rc = 0 ] || failed=1
	out=$(printf '%s\n' "$out" | tail -n 3 | tr -s '\n' ' ' | cut -c1-300)
	out=${out% }
	log "$what: exit $rc${out:+: $out}"
	return $rc
}

# ctsweep sweep exits 1 when it found stale flows (it deleted them).
# shellcheck disable=SC2317 # called through step
sweep()
{
	# shellcheck disable=SC2086 # options, split on purpose
	"$CTSWEEP" sweep ${CTSWEEP_SWEEP_OPTS:-}
	r=$?
	[ "$r" = 1 ] && return 0
	return "$r"
}

ctd()
{
	"$CONNTRACKD" -C "$CONNTRACKD_CONF" "$@"
}

case $state in
primary)
	log "start (conntrackd $CONNTRACKD_CONF, ctsweep daemon $CTSWEEP_DAEMON)"
	step "commit the replica" ctd -c
	step "flush the caches" ctd -f
	step "resync the internal cache" ctd -R
	step "bulk send to the other router" ctd -B
	if [ "$CTSWEEP_DAEMON" = 0 ]; then
		step "ctsweep sweep" sweep
	fi
	;;
backup)
	log "start (conntrackd $CONNTRACKD_CONF)"
	if ! ctd -s >/dev/null 2>&1; then
		log "conntrackd is not running: no replica is kept"
		failed=1
	else
		step "age out own entries" ctd -t
		step "request a resync" ctd -n
	fi
	;;
fault)
	log "start (conntrackd $CONNTRACKD_CONF)"
	step "age out own entries" ctd -t
	;;
*)
	usage
	;;
esac
log "done"
exit $failed
