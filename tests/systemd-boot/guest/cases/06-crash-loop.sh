#!/bin/sh
# 6. Workers that crash at start: the master logs a crash loop in
# summaries, not a line per crash, exits 69 after fatal_after;
# Restart=on-failure starts it again until systemd's start limit (5 starts
# within 60 s, the unit's own) stops it.
. /opt/t/lib.sh

# FORKLINE_TEST_FAULT=crash-on-start (worker/worker.c, for tests only)
# makes every worker crash right after it starts.
dropin forkline.service 50-crash <<'UNIT'
[Service]
Environment=FORKLINE_TEST_FAULT=crash-on-start
UNIT
# The first master lives past the crash loop's 10-s window, so that it
# logs a summary; the file is then rewritten to give up after 2 s, so that
# the next four starts and the refused sixth fit in the unit's 60 s.
conf forkline <<'CONF'
[workers]
start = 4
fatal_after = 11s
CONF

check "systemctl start --no-block forkline" systemctl start --no-block forkline
wait_for 30 "a crash-loop summary" journal_has forkline "master warn: crash loop: "
sed -i 's/^fatal_after = .*/fatal_after = 2s/' "$ETC/forkline.conf"
wait_for 20 "the first master gives up" journal_has forkline "(fatal_after): exiting with status 69"
check "systemd saw status 69" journal_has forkline "Main process exited, code=exited, status=69/UNAVAILABLE"
wait_for 60 "systemd's start limit stops the restarts" \
    journal_has forkline "Start request repeated too quickly."
check "the unit failed" is_prop forkline ActiveState failed
check "the last master exited 69 too" is_prop forkline ExecMainStatus 69
# And it stays down: no start after RestartSec (2 s) and then some.
sleep 4
later=$(journal forkline | sed -n '/Start request repeated too quickly/,$p' |
    grep -c 'Starting forkline')
check "no start after the limit ($later)" [ "$later" = 0 ]
systemctl show -p ActiveState,Result,NRestarts,ExecMainStatus forkline

journal forkline >"$TMP/journal"
grep -F -e 'crash loop: ' -e 'exiting with status' -e 'restart counter' \
    -e 'repeated too quickly' "$TMP/journal"
starts=$(grep -c -F 'Starting forkline.service' "$TMP/journal")
lives=$(grep -c -F '(fatal_after): exiting with status 69' "$TMP/journal")
exits=$(grep -c -F 'Main process exited, code=exited, status=69/UNAVAILABLE' "$TMP/journal")
lines=$(grep -c -F ') crashed: killed by signal 11' "$TMP/journal")
summaries=$(grep -c -F 'master warn: crash loop: ' "$TMP/journal")
more=0
for n in $(sed -n 's/.*master warn: crash loop: \([0-9]*\) more workers died early.*/\1/p' "$TMP/journal"); do
	more=$((more + n))
done
say "$starts starts, $lives masters gave up with 69 ($exits exits seen by systemd);" \
    "$lines crash lines, $summaries summaries counting $more more crashes"
check "5 starts (the unit's StartLimitBurst), the first and 4 by Restart=on-failure" [ "$starts" = 5 ]
check "the 5th restart was refused" journal_has forkline "Scheduled restart job, restart counter is at 5."
check "each of the 5 masters gave up with status 69" all '[ "$lives" = 5 ]' '[ "$exits" = 5 ]'
check "at most 4 crash lines per master ($lines in all)" [ "$lines" -le 20 ]
check "the summaries count more crashes ($more) than they take lines ($summaries)" \
    all '[ "$summaries" -ge 1 ]' '[ "$more" -gt "$summaries" ]'
check "fewer lines about crashes ($((lines + summaries))) than crashes ($((lines + more)))" \
    [ $((lines + summaries)) -lt $((lines + more)) ]
