#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The image (scripts/image.sh, `make image`) under podman, as a DaemonSet's
# pod runs on a node: in the node's network namespace (--network
# ns:/run/netns/RTR, what hostNetwork gives a pod), as uid 65532 gid 0
# with only CAP_NET_ADMIN, no_new_privs, a read-only root and an emptyDir-
# like /run/ctsweep.  `make check-image` runs it (not part of make check:
# it needs the image).
#
# In the lab's router, with kube-proxy's ruleset (svc1 as UDP, lib-kube.sh's
# kp_udp) loaded beside the lab's own nat table:
# - the seed's forward moves from A to B: the container's watch moves the
#   flow (forward-changed);
# - client a streams to svc1's ClusterIP 172.30.0.41:80, DNATed to the
#   endpoint 10.180.0.1 (an address of b), and svc1 is scaled to zero as
#   kube-proxy does it (case 61): the container deletes that flow
#   (forward-removed);
# - /healthz answers 200 and /metrics counts both deletes, from the node
#   namespace's loopback.
# The daemon's resident memory is logged (bench/RESULTS.md has the figures
# at 100k flows).
#
# IMAGE (default localhost/ctsweep:VERSION) names the image.
. "$(dirname "$0")/../netns/lib-kube.sh"

VERSION=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
IMAGE=${IMAGE:-localhost/ctsweep:$VERSION}
eval "PODMAN=($("$TOP/scripts/image.sh" --print))"
CTR=ctsweep-$LAB_ID
PORT=10259
URL=http://127.0.0.1:$PORT
EP1=10.180.0.1
CLUSTER_IP=172.30.0.41
SVC='service-ULMVA6XW-ns1/svc1/udp/p80'
SEP='endpoint-5OJB2KTY-ns1/svc1/udp/p80__10.180.0.1/80'

# The container goes with the lab, whatever ends the test.
eval "lab_cleanup_base() $(declare -f lab_cleanup | tail -n +2)"
lab_cleanup()
{
	local rc=$?
	"${PODMAN[@]}" rm -f -t 2 "$CTR" >/dev/null 2>&1
	(exit "$rc")
	lab_cleanup_base
}

lab_dump_extra()
{
	echo "-- podman logs $CTR (last 40 lines)"
	podman logs "$CTR" 2>&1 | tail -n 40
}

ctr_logged()
{
	podman logs "$CTR" 2>&1 | grep -Eq -- "$1"
}

http()
{
	HTTP_CODE=$(in_rtr curl -s -m 5 -o "$LAB_TMP/http.body" \
		-w '%{http_code}' "$URL$1")
}

metric()
{
	awk -v m="ctsweep_$1" '$1 == m { print $2; exit }' "$LAB_TMP/http.body"
}

command -v podman >/dev/null || skip "podman is not installed (scripts/deps.sh image)"
podman image exists "$IMAGE" || fail "no image $IMAGE: run make image"
topo_standard
forward_to "$A4:51820"
step "kube-proxy's ruleset in the router (svc1 as UDP: $CLUSTER_IP:80 -> $EP1:80)"
kp_udp ns1/svc1
kp_load
in_b ip addr add "$EP1/32" dev eth0 &&
in_rtr ip route add "$EP1/32" via "$B4" || fail "cannot place $EP1 on b"

step "the image in the router's namespace: uid 65532, CAP_NET_ADMIN only"
"${PODMAN[@]}" run -d --name "$CTR" --network "ns:/run/netns/$NS_RTR" \
	--cgroups=disabled --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
	--cap-drop all --cap-add net_admin --security-opt no-new-privileges \
	--read-only --tmpfs /run/ctsweep:rw,mode=1777 \
	"$IMAGE" -v watch --listen "127.0.0.1:$PORT" >/dev/null ||
	fail "podman cannot run $IMAGE"
wait_until 30 ctr_logged 'watch: start[:,] ' ||
	fail "the container's watch did not finish its first pass"
PID=$(podman inspect -f '{{.State.Pid}}' "$CTR")
grep -q '^Uid:[[:space:]]*65532[[:space:]]' "/proc/$PID/status" ||
	fail "the daemon does not run as uid 65532: $(grep Uid "/proc/$PID/status")"
grep -q '^CapEff:[[:space:]]*0000000000001000$' "/proc/$PID/status" ||
	fail "the daemon's capabilities are not CAP_NET_ADMIN alone: $(grep Cap "/proc/$PID/status")"
ctr_logged 'capabilities CAP_NET_ADMIN; no_new_privs; /metrics and /healthz on 127\.0\.0\.1:10259' ||
	fail "the start line does not say CAP_NET_ADMIN and the address"
log "$(podman logs "$CTR" 2>&1 | grep -m1 'watch: start:')"
http /healthz
[ "$HTTP_CODE" = 200 ] || fail "/healthz: $HTTP_CODE $(cat "$LAB_TMP/http.body")"

step "the seed's forward moves from A to B"
seed_traffic
forward_to "$B4:53820"
expect_moved_to_b "with the container's watch running"
wait_until 10 ctr_logged 'deleted 1 stale flow \(forward-changed 1\)' ||
	fail "the container did not log the seed's delete"

step "client a streams to svc1; kube-proxy scales svc1 to zero"
udp_stream STREAM a "$CLUSTER_IP" 40001
wait_until 10 kflow_to 40001 "$EP1" || fail "a's flow does not go to $EP1: $(kflow 40001)"
kp_scale_zero "$CLUSTER_IP" "$SVC" "$SEP" ns1/svc1
wait_until 10 ctr_logged 'deleted 1 stale flow \(forward-removed 1\)' ||
	fail "the container did not delete a's flow to the gone endpoint"
wait_until 5 no_udp_to "$EP1" || fail "conntrack still sends a flow to $EP1"

step "/metrics and /healthz"
http /healthz
[ "$HTTP_CODE" = 200 ] || fail "/healthz: $HTTP_CODE $(cat "$LAB_TMP/http.body")"
http /metrics
[ "$HTTP_CODE" = 200 ] || fail "/metrics: $HTTP_CODE"
[ "$(metric 'flows_deleted_total{reason="forward-changed"}')" = 1 ] &&
[ "$(metric 'flows_deleted_total{reason="forward-removed"}')" = 1 ] ||
	fail "/metrics does not count the two deletes: $(grep deleted_total "$LAB_TMP/http.body")"
log "daemon: $(grep VmRSS "/proc/$PID/status" | tr -s ' \t' ' '), $(metric index_flows) indexed flows"
podman logs "$CTR" 2>&1 | grep -q '^<3>' &&
	fail "the container logged errors: $(podman logs "$CTR" 2>&1 | grep '^<3>' | head -n 3)"
"${PODMAN[@]}" stop -t 10 "$CTR" >/dev/null
rc=$(podman inspect -f '{{.State.ExitCode}}' "$CTR")
[ "$rc" = 0 ] || fail "the container exited $rc on SIGTERM"
pass
