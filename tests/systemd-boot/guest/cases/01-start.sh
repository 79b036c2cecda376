#!/bin/sh
# 1. systemctl start forkline returns only once the workers serve, the
# STATUS= line is in StatusText, and master and workers run as the
# transient user of DynamicUser=yes, not root.
. /opt/t/lib.sh

conf forkline <<'CONF'
[workers]
start = 4
[admin]
listen = 127.0.0.1:7072
CONF

check "systemctl start forkline" systemctl start forkline
# The very next things: the master's own count of serving workers, and a
# request.
serving=$($CLIENT http 127.0.0.1:7072 /status | $PY -c \
    'import json, sys; p = json.load(sys.stdin)["pool"]; print(p["idle"] + p["busy"])')
check "4 workers serving when systemctl start returned (/status says $serving)" \
    [ "$serving" = 4 ]
check "a PING right after systemctl start" ping_ok
# READY=1 is what ends the start job: the master's "ready" line comes
# before systemd's "Started".
journal forkline >"$TMP/journal"
ready=$(grep -n -m1 -F 'master info: ready: 4 workers serving' "$TMP/journal" | cut -d: -f1)
started=$(grep -n -m1 -F 'Started forkline.service' "$TMP/journal" | cut -d: -f1)
check "\"ready: 4 workers serving\" (line ${ready:-none}) before \"Started\" (line ${started:-none})" \
    all '[ -n "$ready" ]' '[ -n "$started" ]' '[ "$ready" -lt "$started" ]'

status=$(prop forkline StatusText)
say "StatusText=$status"
check "StatusText is forkline's STATUS= line" sh -c "echo '$status' | grep -Eqx \
    '[0-9]+ workers \([0-9]+ busy, [0-9]+ idle\), [0-9]+ connections, [0-9]+ parked, [0-9]+ req/s, [0-9]+ restarts'"

uid=$(prop forkline UID)
mp=$(prop forkline MainPID)
say "UID=$uid MainPID=$mp"
check "the service has a transient uid" all '[ -n "$uid" ]' '[ "$uid" != 0 ]' '[ "$uid" != "[not set]" ]'
check "nss-systemd names it forkline" [ "$(getent passwd forkline | cut -d: -f3)" = "$uid" ]
ps -o user,uid,gid,pid,ppid,args --ppid "$mp" -p "$mp"
check "the master has 4 workers" [ "$(nworkers "$mp")" = 4 ]
for pid in "$mp" $(workers_of "$mp"); do
	ids=$(status_field "$pid" Uid)
	check "pid $pid runs as uid $uid (real, effective, saved, fs: $ids)" \
	    [ "$(echo $ids)" = "$uid $uid $uid $uid" ]
done
check "no forkline process is root" sh -c "! ps -o uid= -C forkline | grep -qx ' *0'"
