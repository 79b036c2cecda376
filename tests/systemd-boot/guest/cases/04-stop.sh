#!/bin/sh
# 4. systemctl stop with clients connected: each gets its replies and
# "BYE shutting down"; the stop returns only after the drain; with a
# grace_period longer than TimeoutStopSec, forkline's EXTEND_TIMEOUT_USEC
# keeps systemd from killing the drain.
. /opt/t/lib.sh

# Shorter than the drain below (the unit says 20 s): without forkline's
# extension systemd would kill it after 2 s.
dropin forkline.service 50-stop-timeout <<'UNIT'
[Service]
TimeoutStopSec=2s
UNIT
conf forkline <<'CONF'
[server]
grace_period = 8s
[workers]
start = 4
CONF
check "systemctl start forkline" systemctl start forkline
mp=$(prop forkline MainPID)

$CLIENT hold "$ADDR" idle1:- idle2:- sleeper:'SLEEP 4000' --ready "$TMP/ready" \
    >"$TMP/hold" 2>&1 &
hold=$!
wait_for 10 "3 clients connected and answered" test -e "$TMP/ready"
sleep 0.3	# the SLEEP has reached its worker
systemctl log-level debug
t0=$(now_ms)
check "systemctl stop forkline" systemctl stop forkline
t1=$(now_ms)
systemctl log-level info
wait "$hold"
cat "$TMP/hold"
say "systemctl stop took $((t1 - t0)) ms"

for c in idle1 idle2; do
	check "$c: PONG, BYE shutting down, end" [ "$(grep "^$c " "$TMP/hold" | cut -d' ' -f2- | \
	    sed 's/^EOF .*/EOF/' | tr '\n' '|')" = "PONG|BYE shutting down|EOF|" ]
done
check "sleeper: PONG, OK, BYE shutting down, end" [ "$(grep '^sleeper ' "$TMP/hold" | cut -d' ' -f2- | \
    sed 's/^EOF .*/EOF/' | tr '\n' '|')" = "PONG|OK|BYE shutting down|EOF|" ]
eof=$(sed -n 's/^sleeper EOF //p' "$TMP/hold")
check "systemctl stop returned after the sleeper's reply ($eof <= $t1)" [ "$eof" -le "$t1" ]
check "the stop lasted the drain (about 3.7 s), past TimeoutStopSec=2s" \
    [ $((t1 - t0)) -ge 3000 ]
check "forkline asked for grace_period + 5 s" journal_has forkline \
    "(STOPPING=1, EXTEND_TIMEOUT_USEC=13000000, STATUS=stopping)"
check "the stop ended well (Result=success)" is_prop forkline Result success
check "the master exited 0" is_prop forkline ExecMainStatus 0
check "systemd killed nothing" sh -c "! journalctl --cursor='$CURSOR' -u forkline -o cat | \
    grep -E 'timed out|Killing process'"
check "the master logged its stop" journal_has forkline "master info: stopped"
