#!/bin/sh
# 5. A master that stops answering (SIGSTOP) misses its WATCHDOG=1: systemd
# kills it and Restart=on-failure starts it again; the port serves again.
. /opt/t/lib.sh

# 30 s in the unit; the test waits less (forkline pings every 2 s).
dropin forkline.service 50-watchdog <<'UNIT'
[Service]
WatchdogSec=4s
UNIT
check "systemctl start forkline" systemctl start forkline
mp=$(prop forkline MainPID)
restarts=$(prop forkline NRestarts)
check "forkline pings every 2 s" journal_has forkline "systemd watchdog: WATCHDOG=1 every 2000 ms"
check "serving" ping_ok

say "SIGSTOP to the master, pid $mp"
kill -STOP "$mp"
restarted() {
	new=$(prop forkline MainPID)
	[ "$new" != "$mp" ] && [ "$new" != 0 ] && is_prop forkline SubState running
}
wait_for 30 "a new master runs" restarted
new=$(prop forkline MainPID)
say "new MainPID $new"
check "systemd saw the watchdog time out" journal_has forkline "Watchdog timeout (limit 4s)!"
check "and failed the service for it" journal_has forkline "Failed with result 'watchdog'."
check "the restart counter went up by one" is_prop forkline NRestarts $((restarts + 1))
check "the old master is gone" sh -c "! kill -0 $mp 2>/dev/null"
check "the port serves again" ping_ok
ps -o pid,ppid,args -C forkline
ps -o pid=,ppid= -C forkline | while read -r pid ppid; do
	[ "$pid" = "$new" ] || [ "$ppid" = "$new" ] ||
	    fail "forkline process $pid (parent $ppid) outlived the old master"
done || exit 1
say "ok: every forkline process is the new master or its worker"
