#!/usr/bin/env bash
# Starts a real S3 server: a single-node Ceph cluster (one mon, one memstore OSD, auth none, no mgr) with a
# RADOS Gateway, everything on free 127.0.0.1 ports, and creates an S3 user.
#
# Usage: s3-up.sh [STATE_DIR]    (default: a new folder under ${TMPDIR:-/tmp})
# Environment: S3_ACCESS_KEY / S3_SECRET_KEY (the user's keys; defaults are test-only values),
#              S3_MEMSTORE_BYTES (RAM cap of the object store, default 4 GiB),
#              S3_BIND_ADDRESS / S3_PORT (where the gateway listens; default 127.0.0.1 and a free port; the test
#              cluster runs this script in its network namespace with the node's address).
# Prints shell exports on stdout (also written to STATE_DIR/env): S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY,
# IMAGE_OPERATOR_STACK_S3_DIR. Stop with s3-down.sh STATE_DIR. Running it again on a healthy STATE_DIR just prints
# the exports again; on a STATE_DIR whose gateway alone was stopped (s3-down.sh --gateway-only) it restarts the
# gateway on the same port over the same data (fault tests).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

STATE=${1:-$(mktemp -d "${TMPDIR:-/tmp}/image-operator-s3.XXXXXX")}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
ACCESS_KEY=${S3_ACCESS_KEY:-imageoperatortest}
SECRET_KEY=${S3_SECRET_KEY:-imageoperatortestsecret0123456789}
MEMSTORE_BYTES=${S3_MEMSTORE_BYTES:-4294967296}
BIND_ADDRESS=${S3_BIND_ADDRESS:-127.0.0.1}
CONF=$STATE/ceph.conf

rgw_answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1/" || true)" = 200 ]; }
# The gateway's port is in ceph.conf, so a restarted gateway serves the same endpoint.
start_gateway() { start_daemon radosgw "$STATE/log/rgw.stderr" radosgw -f -c "$CONF" -n client.rgw.a; }

if [ -f "$STATE/env" ] && [ -n "$(pid_of radosgw)" ]; then
  # shellcheck source=/dev/null
  endpoint=$(source "$STATE/env" && echo "$S3_ENDPOINT")
  if rgw_answers "$endpoint"; then cat "$STATE/env"; exit 0; fi
fi
if [ -f "$STATE/env" ] && [ -z "$(pid_of radosgw)" ] && [ -n "$(pid_of ceph-osd)" ] && [ -n "$(pid_of ceph-mon)" ]; then
  # shellcheck source=/dev/null
  endpoint=$(source "$STATE/env" && echo "$S3_ENDPOINT")
  start_gateway
  if wait_daemon radosgw 180 "$STATE/log/client.rgw.a.log" rgw_answers "$endpoint"; then
    log "S3 gateway restarted at $endpoint"; cat "$STATE/env"; exit 0
  fi
  die "the S3 gateway did not restart (logs in $STATE/log)"
fi
stop_daemons
rm -rf "${STATE:?}"/{env,ceph.conf,keyring,monmap,run,log,mon,osd,rgw}

for b in radosgw radosgw-admin ceph-mon ceph-osd; do command -v "$b" >/dev/null || provision; done

ceph_cli() { timeout 30 ceph -c "$CONF" "$@"; }
osd_is_up() { [ "$(ceph_cli osd dump -f json 2>/dev/null | python3 -c 'import sys, json; print(sum(o["up"] for o in json.load(sys.stdin)["osds"]))')" = 1 ]; }

# Each step is checked explicitly: errexit does not apply inside a function called in a condition.
start_ceph() {
  local mon_v2 mon_v1 fsid osd_uuid osd_id
  mon_v2=$(free_port); mon_v1=$(free_port); RGW_PORT=${S3_PORT:-$(free_port)}
  fsid=$(cat /proc/sys/kernel/random/uuid)
  mkdir -p "$STATE"/{run,log,mon,osd,rgw}
  cat >"$CONF" <<CONF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
mon warn on insecure global id reclaim allowed = false
# radosgw 16.2 otherwise insists on msgr2 "secure" mode, which auth none cannot provide: it then hangs for
# 300 s and fails with EACCES (get_initial_auth_request returned -13).
ms mon client mode = crc secure
client mount timeout = 60
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon max pg per osd = 1000
run dir = $STATE/run
admin socket = $STATE/run/\$name.asok
log file = $STATE/log/\$name.log
mon cluster log file = $STATE/log/cluster.log
keyring = $STATE/keyring
mon data = $STATE/mon/\$cluster-\$id
osd data = $STATE/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=$BIND_ADDRESS:$RGW_PORT
rgw data = $STATE/rgw
rgw thread pool size = 64
# memstore holds every object in the OSD's RAM: reap deleted objects within a minute instead of hours.
rgw gc obj min wait = 30
rgw gc processor period = 30
CONF

  local mkfs_log=$STATE/log/mkfs.log
  if ! {
    ceph-authtool --create-keyring "$STATE/keyring" --gen-key -n mon. --cap mon 'allow *' &&
      ceph-authtool "$STATE/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' &&
      monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]" "$STATE/monmap" &&
      ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE/monmap" --keyring "$STATE/keyring"
  } >>"$mkfs_log" 2>&1; then
    log "creating the monitor failed"; log_tail "$mkfs_log"; return 1
  fi
  start_daemon ceph-mon "$STATE/log/mon.stderr" ceph-mon -f -c "$CONF" -i a
  wait_daemon ceph-mon 30 "$STATE/log/mon.a.log" ceph_cli mon stat || return 1

  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  if ! {
    osd_id=$(ceph_cli osd new "$osd_uuid") && mkdir -p "$STATE/osd/ceph-$osd_id" &&
      ceph-osd -c "$CONF" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid"
  } >>"$mkfs_log" 2>&1; then
    log "creating the OSD failed"; log_tail "$mkfs_log"; return 1
  fi
  start_daemon ceph-osd "$STATE/log/osd.stderr" ceph-osd -f -c "$CONF" -i "$osd_id"
  wait_daemon ceph-osd 60 "$STATE/log/osd.$osd_id.log" osd_is_up || return 1

  start_gateway
  wait_daemon radosgw 180 "$STATE/log/client.rgw.a.log" rgw_answers "http://$BIND_ADDRESS:$RGW_PORT"
}

# A port picked as free can be taken before the daemon binds it; a failed start is retried on new ports.
for attempt in 1 2; do
  start_ceph && break
  stop_daemons
  rm -rf "${STATE:?}"/{ceph.conf,keyring,monmap,run,mon,osd,rgw}
  [ "$attempt" -lt 2 ] || die "the S3 server did not start (logs in $STATE/log)"
  log "retrying on other ports"
done

if ! radosgw-admin -c "$CONF" user create --uid=image-operator-test --display-name=image-operator-test \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null 2>"$STATE/log/user-create.err"; then
  log_tail "$STATE/log/user-create.err"; stop_daemons; die "could not create the S3 user (logs in $STATE/log)"
fi
watch_owner "$STACK_DIR/s3-down.sh"

cat >"$STATE/env" <<ENV
export S3_ENDPOINT=http://$BIND_ADDRESS:$RGW_PORT
export S3_ACCESS_KEY=$ACCESS_KEY
export S3_SECRET_KEY=$SECRET_KEY
export IMAGE_OPERATOR_STACK_S3_DIR=$STATE
ENV
chmod 600 "$STATE/env"
log "S3 (Ceph RGW) ready at http://$BIND_ADDRESS:$RGW_PORT (state in $STATE)"
cat "$STATE/env"
