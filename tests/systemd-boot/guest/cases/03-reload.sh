#!/bin/sh
# 3. systemctl reload under 16 clients: no request fails and no client
# is told goodbye (its connection is handed over); systemd sees
# RELOADING=1 then READY=1 from the master; a rejected file is logged at
# priority err and the service stays active and serving.
. /opt/t/lib.sh

conf forkline <<'CONF'
[workers]
start = 4
CONF
check "systemctl start forkline" systemctl start forkline
mp=$(prop forkline MainPID)

load_start reload "$ADDR" --clients 16
sleep 1.5
# systemd logs the notifications it gets at debug level.
systemctl log-level debug
check "systemctl reload forkline" systemctl reload forkline
wait_for 20 "generation 2 serving" journal_has forkline "reload: generation 2 serving"
wait_for 10 "systemd logged the reload's end" journal_has forkline "Reloaded forkline.service"
systemctl log-level info
sleep 1		# the old generation drains under the load
load_end reload
check "the load ran ($ok requests answered)" [ "$ok" -gt 0 ]
check "no client saw a goodbye: $byes BYE (drains hand connections over)" [ "$byes" = 0 ]
check "no request failed ($failed failed, $refused refused)" all '[ "$failed" = 0 ]' '[ "$refused" = 0 ]'

journal forkline | grep -F "Got notification message from PID $mp (" |
    grep -v -e 'WATCHDOG=1)' -e '(STATUS=' >"$TMP/notes"
cat "$TMP/notes"
reloading=$(grep -n -m1 -F '(RELOADING=1, MONOTONIC_USEC=' "$TMP/notes" | cut -d: -f1)
ready=$(grep -n -F '(READY=1' "$TMP/notes" | cut -d: -f1 | tail -n 1)
check "RELOADING=1 (line ${reloading:-none}) then READY=1 (line ${ready:-none}) from the master" \
    all '[ -n "$reloading" ]' '[ -n "$ready" ]' '[ "$reloading" -lt "$ready" ]'
check "the master is the same process" is_prop forkline MainPID "$mp"
check "new connections are served by generation 2" sh -c \
    "$CLIENT send '$ADDR' 'INFO\nQUIT\n' | grep -q ' generation=2 '"

# A file with an error.
printf '[workers]\nstart = 4\nbogus = 1\n' >"$ETC/forkline.conf"
systemctl log-level debug
check "systemctl reload forkline (a bad file)" systemctl reload forkline
wait_for 10 "the rejection is in the journal at priority err" sh -c \
    "journalctl --cursor='$CURSOR' -u forkline -o cat -p err..err | \
    grep -F 'reload: ' | grep -q \"unknown key 'bogus'\""
wait_for 10 "the master told systemd it still serves generation 2" \
    journal_has forkline "READY=1, STATUS=reload rejected; serving generation 2"
systemctl log-level info
journal forkline -p err
check "the service is still active" is_prop forkline ActiveState active
check "with the same master" is_prop forkline MainPID "$mp"
check "still serving generation 2" sh -c \
    "$CLIENT send '$ADDR' 'INFO\nQUIT\n' | grep -q ' generation=2 '"
