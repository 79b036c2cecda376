#!/bin/sh
# 2. The sandbox of the shipped unit is in force in the master and in a
# worker (no new privileges, a seccomp filter, no capabilities, a
# read-only file system), and forkline still writes what it must: its pid
# file in RuntimeDirectory and an access log in LogsDirectory, the
# drop-in docs/OPERATIONS.md suggests for log files.
. /opt/t/lib.sh

dropin forkline.service 10-logs <<'UNIT'
[Service]
LogsDirectory=forkline
UNIT
conf forkline <<'CONF'
[server]
pid_file = /run/forkline/forkline.pid
[workers]
start = 2
[log]
access_log = /var/log/forkline/access.log
CONF

check "systemctl start forkline" systemctl start forkline
mp=$(prop forkline MainPID)
uid=$(prop forkline UID)
w=$(workers_of "$mp" | head -n 1)
lobby=$(lobby_of "$mp")
check "the master has a lobby" [ -n "$lobby" ]
check "the lobby runs as the service's user" [ "$(status_field "$lobby" Uid | cut -f1)" = "$uid" ]
for pid in "$mp" "$w" "$lobby"; do
	grep -E '^(Uid|NoNewPrivs|Seccomp|CapInh|CapPrm|CapEff|CapBnd|CapAmb):' "/proc/$pid/status"
	check "pid $pid: NoNewPrivs 1" [ "$(status_field "$pid" NoNewPrivs)" = 1 ]
	check "pid $pid: Seccomp 2 (a filter)" [ "$(status_field "$pid" Seccomp)" = 2 ]
	for cap in CapEff CapPrm CapBnd CapAmb; do
		check "pid $pid: $cap 0" [ "$(status_field "$pid" $cap)" = 0000000000000000 ]
	done
done

# Writes from inside the service's mount namespace fail even for root:
# ProtectSystem=strict made them read-only. /etc and /srv/probe (mode
# 1777) are writable outside it, so the sandbox is what refuses them.
check "/etc is writable outside the service" touch /etc/fl-probe
rm -f /etc/fl-probe
for path in /usr/fl-probe /etc/fl-probe /srv/probe/fl-probe; do
	out=$(nsenter -t "$mp" -m -- touch "$path" 2>&1)
	say "in the master's namespace, touch $path: ${out:-succeeded}"
	check "writing $path fails inside the sandbox" sh -c \
	    "echo '$out' | grep -q 'Read-only file system'"
done

# What forkline must write.
check "pid file /run/forkline/forkline.pid holds the MainPID" \
    [ "$(cat /run/forkline/forkline.pid 2>/dev/null)" = "$mp" ]
check "the pid file belongs to the service's user" \
    [ "$(stat -c %u /run/forkline/forkline.pid)" = "$uid" ]
$CLIENT send "$ADDR" 'PING\nQUIT\n'
wait_for 10 "an access log line in /var/log/forkline/access.log" \
    grep -q . /var/log/forkline/access.log
cat /var/log/forkline/access.log
ls -l /var/log/forkline/
check "the access log belongs to the service's user" \
    [ "$(stat -c %u /var/log/forkline/access.log)" = "$uid" ]

# forkline itself cannot write where the sandbox forbids it, permissions
# or not: a reload that moves the access log to /srv/probe is rejected.
cp "$ETC/forkline.conf" "$TMP/good.conf"
sed -i 's|^access_log = .*|access_log = /srv/probe/access.log|' "$ETC/forkline.conf"
systemctl reload forkline
wait_for 10 "the reload is rejected: the access log cannot be opened" \
    sh -c "journalctl --cursor='$CURSOR' -u forkline -o cat -p err | \
    grep -F '/srv/probe/access.log' | grep -q 'Read-only file system'"
check "nothing was created in /srv/probe" [ ! -e /srv/probe/access.log ]
check "the service is still active" is_prop forkline ActiveState active
check "and serving" ping_ok
