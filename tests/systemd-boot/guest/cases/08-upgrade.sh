#!/bin/sh
# 8. Binary upgrade under systemd: USR2 to the main process starts a new
# master that becomes MainPID; the service stays active throughout and no
# request of 16 clients fails.
. /opt/t/lib.sh

conf forkline <<'CONF'
[server]
pid_file = /run/forkline/forkline.pid
[workers]
start = 4
CONF
check "systemctl start forkline" systemctl start forkline
mp=$(prop forkline MainPID)

load_start upgrade "$ADDR" --clients 16
sleep 1.5
check "systemctl kill -s USR2 --kill-whom=main forkline" \
    systemctl kill -s USR2 --kill-whom=main forkline
# Until the old master is gone, the unit must stay active and running.
deadline=$(($(now_ms) + 20000))
while kill -0 "$mp" 2>/dev/null; do
	state=$(prop forkline ActiveState)/$(prop forkline SubState)
	[ "$state" = active/running ] || fail "during the upgrade the unit was $state"
	[ "$(now_ms)" -lt "$deadline" ] || fail "the old master $mp did not leave within 20 s"
	sleep 0.05
done
say "ok: the old master left; the unit was active/running all along"
new=$(prop forkline MainPID)
check "MainPID is the new master ($new, was $mp)" all '[ "$new" != "$mp" ]' '[ "$new" != 0 ]'
check "the new master says so" journal_has forkline "upgrade: new master (pid $new) is serving; handing over"
check "the pid file names it" [ "$(cat /run/forkline/forkline.pid)" = "$new" ]
check "it has 4 workers" [ "$(nworkers "$new")" = 4 ]
sleep 1		# the new master's workers serve the load
load_end upgrade
check "the load ran ($ok requests)" [ "$ok" -gt 0 ]
check "no request failed ($failed failed, $refused refused)" all '[ "$failed" = 0 ]' '[ "$refused" = 0 ]'
check "no client saw a goodbye: $byes BYE (the new master took the connections)" [ "$byes" = 0 ]
check "still active" is_prop forkline ActiveState active
check "serving" ping_ok
