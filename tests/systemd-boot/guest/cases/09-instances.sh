#!/bin/sh
# 9. forkline@.service: two instances at once, each with its own
# configuration file (address, protocol, pool, pid file).
. /opt/t/lib.sh

conf a <<'CONF'
[server]
listen = 127.0.0.1:7101
[workers]
start = 2
CONF
conf b <<'CONF'
[server]
listen = 127.0.0.1:7102
protocol = echo
pid_file = /run/forkline/b/forkline.pid
[workers]
start = 3
CONF
check "systemctl start forkline@a forkline@b" systemctl start forkline@a forkline@b
a=$(prop forkline@a MainPID)
b=$(prop forkline@b MainPID)
say "forkline@a MainPID $a, forkline@b MainPID $b"
check "both active" systemctl is-active -q forkline@a forkline@b
check "two masters" all '[ "$a" != 0 ]' '[ "$b" != 0 ]' '[ "$a" != "$b" ]'
check "forkline@a read a.conf: 2 workers" [ "$(nworkers "$a")" = 2 ]
check "forkline@b read b.conf: 3 workers" [ "$(nworkers "$b")" = 3 ]
check "forkline@a speaks the line protocol on 7101" ping_ok 127.0.0.1:7101
check "forkline@b echoes on 7102" [ "$($CLIENT send 127.0.0.1:7102 'hello\n')" = hello ]
check "forkline@b's pid file in its own RuntimeDirectory" \
    [ "$(cat /run/forkline/b/forkline.pid 2>/dev/null)" = "$b" ]
journal forkline@a >"$TMP/a.journal"
check "forkline@a listens on its own address only" grep -q 'listening on 127.0.0.1:7101' "$TMP/a.journal"
check "and knows nothing of b's" sh -c "! grep -q 7102 '$TMP/a.journal'"
check "systemctl stop forkline@a" systemctl stop forkline@a
check "forkline@b is still active" systemctl is-active -q forkline@b
check "and serving" [ "$($CLIENT send 127.0.0.1:7102 'again\n')" = again ]
check "systemctl stop forkline@b" systemctl stop forkline@b
