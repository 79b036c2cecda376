#!/bin/sh
# 7. Socket activation: with forkline.socket started, the first connection
# starts the service and is answered; a reload keeps the sockets systemd
# passed; systemctl restart forkline refuses no connection meanwhile (they
# wait in the socket's queue).
. /opt/t/lib.sh

check "systemctl start forkline.socket" systemctl start forkline.socket
check "the service is not started yet" sh -c "! systemctl is-active -q forkline.service"
ino=$($CLIENT listeners 7007)
say "listening socket inode: $ino"
check "one socket listens on port 7007" [ "$(echo "$ino" | grep -c .)" = 1 ]

check "the first connection is answered" ping_ok
check "it started the service" systemctl is-active -q forkline.service
check "forkline took the socket from systemd" journal_has forkline \
    "using 1 socket passed in LISTEN_FDS; the listen setting is ignored"
mp=$(prop forkline MainPID)
check "the master holds that socket" sh -c "$CLIENT socket-fds $mp | grep -qx '$ino'"

check "systemctl reload forkline" systemctl reload forkline
wait_for 20 "generation 2 serving" journal_has forkline "reload: generation 2 serving"
check "still the one listening socket" [ "$($CLIENT listeners 7007)" = "$ino" ]
check "the master still holds it" sh -c "$CLIENT socket-fds $mp | grep -qx '$ino'"
check "generation 2 serves on it" sh -c "$CLIENT send '$ADDR' 'INFO\nQUIT\n' | grep -q ' generation=2 '"

# A new connection for every request while the service restarts.
load_start restart "$ADDR" --mode connect --clients 8
sleep 1.5
check "systemctl restart forkline" systemctl restart forkline
sleep 1		# the new master serves the load
load_end restart
new=$(prop forkline MainPID)
check "a new master ($new, was $mp)" all '[ "$new" != "$mp" ]' '[ "$new" != 0 ]'
check "the load ran ($ok requests)" [ "$ok" -gt 0 ]
check "no connection refused ($refused) and no request failed ($failed)" \
    all '[ "$refused" = 0 ]' '[ "$failed" = 0 ]'
check "the new master took the same socket" sh -c "$CLIENT socket-fds $new | grep -qx '$ino'"
check "the socket unit stayed up" systemctl is-active -q forkline.socket
