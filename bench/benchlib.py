"""benchlib: what the scripts in bench/ share.

bench/run, bench/scale, bench/syscalls and bench/measure-supervision import
this from their own directory (standard library only, nothing to install):

  listener()     a socket listening on a free 127.0.0.1 port, opened here
                 and handed to forkline as its fd 3 (LISTEN_FDS, as systemd
                 does), so that no other process can take the port between
                 the choice and the server's start
  PortHold       a free port held here until a server that binds its own
                 socket (Apache, redis) has bound it too
  Server         a server process in a session of its own, with a log;
                 stop() asks its master to stop, then kills whatever is left
                 of its process group; every Server still running when the
                 script exits is stopped then
  wait_until()   poll a readiness test while the server lives
  children()     the children of a process, from /proc
  exchange()     one request on a new connection, the reply checked
  interrupt_on_sigterm()  SIGTERM raises KeyboardInterrupt, so that the
                 code that stops the servers runs
"""
import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time

LOOPBACK = "127.0.0.1"
PROG = "bench/" + os.path.basename(sys.argv[0])
PR_SET_PDEATHSIG = 1

try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None

_live = set()                   # Servers started and not yet stopped


class Failure(Exception):
    """A server that would not start or serve; the text says why."""


def say(*parts):
    print(PROG + ":", *parts, file=sys.stderr, flush=True)


def listener(backlog, host=LOOPBACK):
    """A TCP socket listening on a port the kernel chose (getsockname()[1]),
    for Server(listen=...). SO_REUSEADDR, as forkline sets on the sockets it
    opens itself; it makes inherited ones non-blocking on its own. The
    backlog is the socket's: forkline's own backlog setting is not used for
    a socket it inherits."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, 0))
        s.listen(backlog)
    except OSError:
        s.close()
        raise
    return s


class PortHold:
    """A free port for a server that opens its own listener and cannot be
    handed one. The port stays bound here (SO_REUSEADDR, never listened on)
    until release(): meanwhile the kernel gives it to no other bind() of
    port 0 and to no outgoing connection, and a server that sets
    SO_REUSEADDR too (Apache and redis do) can still bind and listen on it.
    Release it once the server is listening."""

    def __init__(self, host=LOOPBACK):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((host, 0))
        except OSError:
            self.sock.close()
            raise
        self.port = self.sock.getsockname()[1]

    def release(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


def children(pid):
    """The pids of pid's children; [] once pid is gone."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def exchange(port, request, expect, timeout=2.0, host=LOOPBACK):
    """Send request (bytes) on a new connection; True if exactly expect
    comes back. OSError if the connection cannot be made."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(request)
        got = b""
        while len(got) < len(expect):
            chunk = s.recv(len(expect) - len(got))
            if not chunk:
                break
            got += chunk
        return got == expect


def _stop_on_parent_death(parent):
    """In the child, before exec: SIGTERM when this script dies, however
    it dies (the harness's PR_SET_PDEATHSIG), unless that already happened."""
    if _prctl is not None:
        _prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(127)


class Server:
    """One server process started here.

    argv runs in a session (and so a process group) of its own: a Ctrl-C
    at the terminal reaches only this script, which stops the server, and
    stop() reaches every process the server forked. stdin is /dev/null,
    stderr and (unless stdout is given, such as subprocess.PIPE) stdout
    are appended to log_path; other_log is a log the server writes itself,
    shown in log_tail() too.

    listen, a socket from listener(), becomes the server's fd 3 with
    LISTEN_FDS=1 and LISTEN_PID set to its pid (systemd socket activation,
    which forkline takes in place of its listen setting); the Server owns
    it from then on and closes this script's copy once the server has it.
    port is then its port. Without listen, LISTEN_* are removed from the
    server's environment, so that it takes nothing of this script's.

    grace is how long stop() waits for the master before killing."""

    def __init__(self, name, argv, log_path, listen=None, stdout=None,
                 other_log=None, grace=20.0):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.other_log, self.grace = other_log, grace
        self.port = listen.getsockname()[1] if listen is not None else None
        fd = listen.fileno() if listen is not None else -1
        parent = os.getpid()

        def in_child():
            _stop_on_parent_death(parent)
            for var in ("LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"):
                os.environ.pop(var, None)
            if fd == -1:
                return
            # dup2 clears close-on-exec on the copy, but not in place.
            if fd == 3:
                os.set_inheritable(3, True)
            else:
                os.dup2(fd, 3)
            # The child's own pid, known only here; environ is what exec
            # passes on, as no env is given to Popen.
            os.environ["LISTEN_FDS"] = "1"
            os.environ["LISTEN_PID"] = str(os.getpid())
            # What close_fds would do, which would close fd 3 too: nothing
            # else this script inherited passes on to the server.
            for entry in os.listdir("/proc/self/fd"):
                if int(entry) > 3:
                    try:
                        os.set_inheritable(int(entry), False)
                    except OSError:
                        pass            # the listing's own descriptor

        try:
            self.log = open(log_path, "ab")
            try:
                # close_fds runs after in_child, and would close its fd 3.
                self.proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL,
                    stdout=stdout if stdout is not None else self.log,
                    stderr=self.log, start_new_session=True,
                    preexec_fn=in_child, close_fds=fd == -1)
            except BaseException:
                self.log.close()
                raise
        finally:
            if listen is not None:
                listen.close()
        self.pid = self.proc.pid
        _live.add(self)

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines=12):
        text = self.log_text()
        if self.other_log:
            try:
                with open(self.other_log, "rb") as f:
                    text += f.read().decode(errors="replace")
            except OSError:
                pass
        tail = text.rstrip("\n").splitlines()[-lines:]
        return "\n".join(tail) if tail else "(log is empty)"

    def stop(self, grace=None):
        """Stop the server and every process of its group; at once if it
        has exited. Any number of times."""
        if self not in _live:
            return
        grace = self.grace if grace is None else grace
        # TERM to the master only: each of these servers stops its own
        # processes on it (a TERM to every worker at once would look to a
        # supervisor like workers dying, to be replaced).
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                say("%s did not stop within %.0f s; killing it" % (self.name, grace))
        # Whatever is left of the group (a worker that outlived its master,
        # or all of it after a timeout) is killed.
        self.signal_group(signal.SIGKILL)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            say("%s (pid %d) would not die" % (self.name, self.pid))
        _live.discard(self)
        self.log.close()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def signal_group(self, sig):
        try:
            os.killpg(self.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


@atexit.register
def stop_all():
    """Every Server not stopped yet: the last line of defence, for an
    exception that no finally in the script was there to catch."""
    for server in list(_live):
        server.stop()


def wait_until(what, server, test, timeout=30.0, interval=0.05):
    """Poll test() until it is true (an OSError counts as not yet);
    Failure if the server exits or timeout seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise Failure("%s exited with status %s while waiting for: %s\n%s" % (
                server.name, server.proc.returncode, what, server.log_tail()))
        try:
            if test():
                return
        except OSError:
            pass
        time.sleep(interval)
    raise Failure("%s: still waiting for: %s after %.0f s\n%s" % (
        server.name, what, timeout, server.log_tail()))


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def interrupt_on_sigterm():
    """SIGTERM (make stopped, kill PID) acts as Ctrl-C does: the script's
    finally blocks and except KeyboardInterrupt run and stop its servers."""
    signal.signal(signal.SIGTERM, _raise_interrupt)
