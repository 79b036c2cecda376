#!/bin/sh
# 8b. After a binary upgrade, systemctl stop still drains: a client in the
# middle of a request gets its reply and "BYE shutting down", and systemd
# kills nothing. (The new master is not systemd's child; see
# docs/OPERATIONS.md, "Files, users and upgrades under the unit".)
. /opt/t/lib.sh

conf forkline <<'CONF'
[server]
grace_period = 8s
[workers]
start = 2
CONF
check "systemctl start forkline" systemctl start forkline
mp=$(prop forkline MainPID)
check "systemctl kill -s USR2 --kill-whom=main forkline" \
    systemctl kill -s USR2 --kill-whom=main forkline
wait_for 20 "the old master left" sh -c "! kill -0 $mp 2>/dev/null"
new=$(prop forkline MainPID)
check "MainPID is the new master ($new)" [ "$new" != "$mp" ]

$CLIENT hold "$ADDR" sleeper:'SLEEP 2000' --ready "$TMP/ready" >"$TMP/hold" 2>&1 &
hold=$!
wait_for 10 "a client connected and answered" test -e "$TMP/ready"
sleep 0.3
t0=$(now_ms)
systemctl stop forkline
t1=$(now_ms)
wait "$hold"
cat "$TMP/hold"
say "systemctl stop took $((t1 - t0)) ms"
# What makes it fail: systemd 252 took the new master for a process it did
# not start, and does not wait for such a main process to exit after
# SIGTERM (KillMode=mixed) but sends SIGKILL to the whole unit at once.
journal_has forkline "which is not our child" &&
    say "systemd says the new master \"is not our child\": a stop is then SIGTERM, then SIGKILL at once"
check "sleeper: PONG, OK, BYE shutting down, end" [ "$(grep '^sleeper ' "$TMP/hold" | cut -d' ' -f2- | \
    sed 's/^EOF .*/EOF/' | tr '\n' '|')" = "PONG|OK|BYE shutting down|EOF|" ]
check "the master logged a graceful stop" journal_has forkline "master info: SIGTERM: stopping gracefully"
check "systemd killed nothing" sh -c "! journalctl --cursor='$CURSOR' -u forkline -o cat | \
    grep -F 'Killing process'"
check "the stop ended well (Result=success)" is_prop forkline Result success
