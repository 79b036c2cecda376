#!/bin/sh
# 10. Journal priorities: a warning reaches the journal at priority 4, an
# error at 3 (info at 6); systemctl kill -s USR1 makes forkline reopen its
# log files after they were renamed.
. /opt/t/lib.sh

dropin forkline.service 10-logs <<'UNIT'
[Service]
LogsDirectory=forkline
UNIT
conf forkline <<'CONF'
[workers]
start = 1
CONF
check "systemctl start forkline" systemctl start forkline
uid=$(prop forkline UID)

# A warning: one worker fewer than one is refused.
systemctl kill -s TTOU --kill-whom=main forkline
warning='SIGTTOU: the pool is already at its limit; ignored'
wait_for 10 "the warning at priority 4" sh -c \
    "journalctl --cursor='$CURSOR' -u forkline -o cat -p 4..4 | grep -qF '$warning'"
check "and not at 3" sh -c "! journalctl --cursor='$CURSOR' -u forkline -o cat -p 3..3 | grep -qF '$warning'"
# An error: a reload of a file with an error.
printf '[workers]\nstart = 1\nbogus = 1\n' >"$ETC/forkline.conf"
systemctl reload forkline
error="[workers] unknown key 'bogus'"
wait_for 10 "the error at priority 3" sh -c \
    "journalctl --cursor='$CURSOR' -u forkline -o cat -p 3..3 | grep -qF \"$error\""
check "and not at 4" sh -c "! journalctl --cursor='$CURSOR' -u forkline -o cat -p 4..4 | grep -qF \"$error\""
check "info lines at priority 6" sh -c \
    "journalctl --cursor='$CURSOR' -u forkline -o cat -p 6..6 | grep -qF 'ready: 1 worker serving'"
journalctl --cursor="$CURSOR" -u forkline -o verbose --no-pager |
    grep -E '^    (PRIORITY|MESSAGE)=' | tail -n 12

# Log files in LogsDirectory, rotated by renaming, then USR1.
cat >"$ETC/forkline.conf" <<'CONF'
[workers]
start = 1
[log]
target = /var/log/forkline/forkline.log
access_log = /var/log/forkline/access.log
CONF
systemctl reload forkline
LOG=/var/log/forkline
wait_for 20 "the log file has the reload" grep -qF 'reload: generation 2 serving' "$LOG/forkline.log"
$CLIENT send "$ADDR" 'PING\nQUIT\n'
wait_for 10 "the access log has a line" grep -q . "$LOG/access.log"
mv "$LOG/forkline.log" "$LOG/forkline.log.1"
mv "$LOG/access.log" "$LOG/access.log.1"
check "systemctl kill -s USR1 --kill-whom=main forkline" \
    systemctl kill -s USR1 --kill-whom=main forkline
wait_for 10 "a new forkline.log says the files were reopened" \
    grep -qF 'master info: SIGUSR1: log files reopened' "$LOG/forkline.log"
check "the renamed one does not" sh -c "! grep -qF SIGUSR1 '$LOG/forkline.log.1'"
n=0
until grep -q . "$LOG/access.log" 2>/dev/null; do
	n=$((n + 1))
	[ "$n" -le 50 ] || fail "no line in a new access.log after 50 connections"
	$CLIENT send "$ADDR" 'PING\nQUIT\n' >/dev/null
	sleep 0.2
done
say "ok: a new access.log has a line after $n connections"
ls -l "$LOG"
check "access.log.1 kept the line from before the rename" grep -q . "$LOG/access.log.1"
check "the new files belong to the service's user" \
    all '[ "$(stat -c %u "$LOG/forkline.log")" = "$uid" ]' '[ "$(stat -c %u "$LOG/access.log")" = "$uid" ]'
