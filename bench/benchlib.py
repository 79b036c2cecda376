"""benchlib: what the benchmark scripts in bench/ share.

Ports without races, servers started and always stopped, the processes a
server forked and the CPU time they used. Python's standard library only;
the scripts import it from their own directory (no installation).

Ports. forkline gets a listening socket the script opened itself on
127.0.0.1:0, as systemd would pass it (LISTEN_FDS=1 on fd 3): the port is
known before the server starts and nothing else can take it. A server
that binds its port itself (redis, Apache) gets one reserve_port() holds:
a socket bound with SO_REUSEADDR and not listening, which keeps the port
out of the kernel's ephemeral choices; the server binds it too (both set
SO_REUSEADDR) and the reservation is closed once the server listens. The
trick of binding port 0, closing and handing the number over (another
process may take the port in between) is not used.
"""
import os
import signal
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FORKLINE = os.environ.get("FORKLINE_BIN", os.path.join(ROOT, "bin", "forkline"))
BENCH = os.environ.get("FORKLINE_BENCH_BIN",
                       os.path.join(ROOT, "bin", "forkline-bench"))
FLOOR = os.path.join(os.environ.get("BUILD", os.path.join(ROOT, "build")),
                     "bench", "floor")
SD_LISTEN_FDS_START = 3


def listen_socket(backlog=1024):
    """A socket listening on 127.0.0.1 on a port the kernel chose: (socket,
    port). Give it to Server(listener=...)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)
    return s, s.getsockname()[1]


def reserve_port():
    """(socket, port): the port is held, for a server that binds it itself
    with SO_REUSEADDR. Close the socket once the server listens."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    return s, s.getsockname()[1]


def children(pid):
    """The processes pid forked (its workers), from /proc."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def cpu_seconds(pid):
    """CPU time used so far by pid and its children (the workers), every
    thread of them, in seconds. From schedstat, which counts nanoseconds:
    the clock ticks of /proc/PID/stat are rounded down per process, which
    loses up to 10 ms for each of hundreds of lightly used workers."""
    total = 0
    for p in [pid] + children(pid):
        try:
            tids = os.listdir("/proc/%d/task" % p)
        except OSError:
            continue            # gone between the listing and the read
        for tid in tids:
            try:
                with open("/proc/%d/task/%s/schedstat" % (p, tid)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
    return total / 1e9


def _pass_listener(fd):
    """In the child, before exec: fd becomes fd 3, as LISTEN_FDS says."""
    def setup():
        if fd != SD_LISTEN_FDS_START:
            os.dup2(fd, SD_LISTEN_FDS_START)    # the copy is inheritable
        else:
            os.set_inheritable(fd, True)
        os.environ["LISTEN_FDS"] = "1"
        os.environ["LISTEN_PID"] = str(os.getpid())
        os.environ.pop("LISTEN_FDNAMES", None)
    return setup


class Server:
    """One process started here, in a process group of its own, so that
    stopping it (TERM, then KILL) reaches every process it forked. With
    listener, the socket is passed as fd 3 (LISTEN_FDS=1): forkline serves
    on it and ignores its configured addresses."""

    def __init__(self, name, argv, log_path, stdout=None, other_log=None,
                 listener=None):
        self.name, self.argv, self.log_path = name, argv, log_path
        self.other_log = other_log      # a log the server writes itself
        self.log = open(log_path, "ab")
        extra = {}
        if listener is not None:
            extra = dict(preexec_fn=_pass_listener(listener.fileno()),
                         close_fds=False)
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL,
            stdout=stdout if stdout is not None else self.log,
            stderr=self.log, start_new_session=True, **extra)

    @property
    def pid(self):
        return self.proc.pid

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

    def stop(self, grace=20.0, say=None):
        # TERM to the master only: each of these servers stops its own
        # processes on it (a TERM to every worker at once would look to a
        # supervisor like workers dying, to be replaced).
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                if say:
                    say("%s did not stop within %.0f s; killing it" %
                        (self.name, grace))
        # Whatever is left of the group (a worker that outlived its master,
        # or all of it after a timeout) is killed.
        self.signal_group(signal.SIGKILL)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            if say:
                say("%s (pid %d) would not die" % (self.name, self.proc.pid))
        if not self.log.closed:
            self.log.close()

    def signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


class NotReady(Exception):
    """A server died, or did not get ready in time."""


def wait_until(what, server, test, timeout):
    """Poll test() until it is true; NotReady if the server dies or time
    runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.alive():
            raise NotReady("%s exited with status %s while waiting for: %s\n%s"
                           % (server.name, server.proc.returncode, what,
                              server.log_tail()))
        try:
            if test():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise NotReady("%s: still waiting for: %s after %.0f s\n%s" % (
        server.name, what, timeout, server.log_tail()))


def forkline_ready(server, workers):
    """True once the master logged that all of its first pool serves."""
    return "ready: %d worker%s serving" % (
        workers, "" if workers == 1 else "s") in server.log_text()
