# Helpers for the cases in cases/, sourced by each (POSIX sh). A case is a
# script that exits 0 when every check held; fail() says what did not, and
# main then saves the forkline units' journal since the case began.
#
# From main: CASE (the case's name) and CURSOR (the cursor of the journal
# entry main wrote as the case began; journal() reads from there). Read
# the journal with --cursor="$CURSOR", never --after-cursor (see main).
#
# The container's /etc is empty, so commands that Debian reaches through
# /etc/alternatives (awk, nc, ...) are not there: shell and python3 only.

FL=/opt/forkline
ETC=$FL/etc/forkline
PY=/usr/bin/python3
CLIENT="$PY /opt/t/client.py"
ADDR=127.0.0.1:7007
TMP=/run/fl-case
rm -rf "$TMP"
mkdir -p "$TMP"

say() { echo "$(date +%T.%3N) $*"; }
fail() { say "FAIL: $*"; exit 1; }

# check DESCRIPTION COMMAND...: fail with DESCRIPTION unless COMMAND holds.
check() {
	what=$1
	shift
	"$@" || fail "$what"
	say "ok: $what"
}

# all EXPR...: true when each EXPR, shell code run with eval, is. For
# check: check "what" all '[ "$a" = 1 ]' '[ "$b" = 2 ]' (a plain
# "check what [ a ] && [ b ]" would check only the first).
all() {
	for e in "$@"; do
		eval "$e" || return 1
	done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.1 s.
wait_for() {
	secs=$1
	what=$2
	shift 2
	deadline=$(($(now_ms) + secs * 1000))
	until "$@"; do
		[ "$(now_ms)" -lt "$deadline" ] ||
		    fail "$what: not within $secs s"
		sleep 0.1
	done
	say "ok: $what"
}

prop() { systemctl show -p "$2" --value "$1"; }
is_prop() { [ "$(prop "$1" "$2")" = "$3" ]; }

# conf NAME: the configuration file NAME.conf, from standard input.
conf() { cat >"$ETC/$1.conf"; }

# dropin UNIT NAME: a drop-in for UNIT from standard input, then
# daemon-reload.
dropin() {
	mkdir -p "/etc/systemd/system/$1.d"
	cat >"/etc/systemd/system/$1.d/$2.conf"
	systemctl daemon-reload
}

# journal UNIT [journalctl options]: the unit's messages since the case
# began, without metadata.
journal() {
	unit=$1
	shift
	journalctl --cursor="$CURSOR" --no-pager -o cat -u "$unit" "$@"
}
journal_has() { journal "$1" | grep -F -q -- "$2"; }
journal_count() { journal "$1" | grep -F -c -- "$2"; }

ping_ok() { $CLIENT ping "${1:-$ADDR}"; }

# The master's workers, one pid a line (its lobby names itself
# forkline-lobby), and its lobby.
workers_of() { ps -o pid=,comm= --ppid "$1" | grep -v ' forkline-lobby$' | sed 's/^ *\([0-9]*\).*/\1/'; }
lobby_of() { ps -o pid=,comm= --ppid "$1" | grep ' forkline-lobby$' | sed 's/^ *\([0-9]*\).*/\1/'; }
nworkers() { workers_of "$1" | grep -c .; }

# status_field PID FIELD: FIELD's value in /proc/PID/status.
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

# load_start NAME ARGS...: client.py load in the background, output in
# $TMP/NAME.load; returns once its clients have started. It runs until
# load_end (30 s at most).
load_start() {
	name=$1
	shift
	rm -f "$TMP/$name.started" "$TMP/$name.stop"
	$CLIENT load "$@" --started "$TMP/$name.started" --stop-file "$TMP/$name.stop" \
	    >"$TMP/$name.load" 2>&1 &
	eval "LOAD_PID_$name=\$!"
	wait_for 10 "load $name started" test -e "$TMP/$name.started"
}

# load_end NAME: stop it and wait for it, then ok= failed= byes= refused=
# connects= as shell variables (and the loop's output in the log).
load_end() {
	touch "$TMP/$1.stop"
	eval "wait \$LOAD_PID_$1"
	cat "$TMP/$1.load"
	result=$(sed -n 's/^RESULT //p' "$TMP/$1.load")
	[ -n "$result" ] || fail "load $1 gave no result"
	ok='' failed='' byes='' refused='' connects=''
	eval "$result"
}
