#!/usr/bin/python3
"""Clients and probes for the systemd-boot cases, run inside the container.

Python's standard library only: the container sees the machine's /usr, so
/usr/bin/python3 is there, but nothing installed elsewhere.

  client.py ping ADDR [--timeout S]
      one PING; exit 0 on PONG, 1 otherwise (the reason on stderr)
  client.py send ADDR DATA [--timeout S]
      send DATA (escapes as in Python: \\n), print what comes back until
      the server closes or S seconds pass
  client.py hold ADDR NAME:REQUEST... --ready FILE [--timeout S]
      one connection per NAME: PING, then REQUEST (or nothing for "-"),
      then read to EOF; FILE is written once every PING is answered. Prints
      "NAME LINE" per line received and "NAME EOF MS" (epoch milliseconds)
  client.py load ADDR [--clients N] [--seconds S] [--max-requests N]
                 [--mode rr|connect] [--started FILE] [--stop-file FILE]
      a request loop, until FILE exists, S seconds have passed (30) or N
      requests were sent; FILE "started" is written once the clients run.
      The last line is "RESULT ok=N failed=N byes=N refused=N connects=N"
  client.py http ADDR PATH
      GET PATH, print the body (exit 1 unless 200)
  client.py listeners PORT
      inodes of the TCP sockets listening on PORT, one per line
  client.py socket-fds PID
      inodes of the sockets among PID's file descriptors

What load counts as a failure follows docs/PROTOCOL.md: a wrong reply, a
connection closed, reset or refused, no reply within 10 s. "BYE shutting
down" is not one: the worker is leaving (a reload, an upgrade, a stop) and
did not process the request sent after its last reply, so the client
reconnects and sends that request again.
"""
import argparse
import os
import socket
import sys
import threading
import time
import urllib.request

REPLY_TIMEOUT = 10.0
BYE = b"BYE shutting down"
FAILURES_SHOWN = 10


def parse_addr(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def connect(addr, timeout):
    return socket.create_connection(parse_addr(addr), timeout=timeout)


class Lines:
    """Reads '\\n'-terminated lines from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def line(self):
        """The next line without its ending; None at EOF."""
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                return None
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line.rstrip(b"\r")


def cmd_ping(args):
    try:
        with connect(args.addr, args.timeout) as s:
            s.sendall(b"PING\n")
            reply = Lines(s).line()
    except OSError as e:
        print("ping %s: %s" % (args.addr, e), file=sys.stderr)
        return 1
    if reply != b"PONG":
        print("ping %s: got %r" % (args.addr, reply), file=sys.stderr)
        return 1
    return 0


def cmd_send(args):
    data = args.data.encode().decode("unicode_escape").encode("latin-1")
    deadline = time.monotonic() + args.timeout
    with connect(args.addr, args.timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while time.monotonic() < deadline:
            s.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                chunk = s.recv(4096)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
    sys.stdout.write(out.decode("latin-1"))
    return 0


def cmd_hold(args):
    results = {}
    answered = threading.Semaphore(0)
    lock = threading.Lock()

    def one(name, request):
        lines = []
        try:
            with connect(args.addr, args.timeout) as s:
                r = Lines(s)
                s.sendall(b"PING\n")
                lines.append(r.line())
                answered.release()
                if request != "-":
                    s.sendall(request.encode() + b"\n")
                while True:
                    line = r.line()
                    if line is None:
                        break
                    lines.append(line)
                end = "EOF %d" % (time.time() * 1000)
        except OSError as e:
            answered.release()
            end = "ERROR %s" % e
        with lock:
            results[name] = (lines, end)

    specs = [spec.split(":", 1) for spec in args.specs]
    threads = [threading.Thread(target=one, args=(n, r), daemon=True)
               for n, r in specs]
    for t in threads:
        t.start()
    for _ in threads:
        answered.acquire(timeout=args.timeout)
    with open(args.ready + ".tmp", "w") as f:
        f.write("ready\n")
    os.rename(args.ready + ".tmp", args.ready)
    for t in threads:
        t.join(args.timeout)
    for name, _ in specs:
        lines, end = results.get(name, ([], "ERROR still open"))
        for line in lines:
            print(name, "<none>" if line is None else line.decode("latin-1"))
        print(name, end)
    return 0


class Load:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.count = dict(ok=0, failed=0, byes=0, refused=0, connects=0)
        self.failures = []
        self.sent = 0
        self.t0 = time.monotonic()
        self.deadline = self.t0 + args.seconds
        self.checked = self.t0

    def add(self, key, detail=None):
        with self.lock:
            self.count[key] += 1
            if detail is not None and len(self.failures) < FAILURES_SHOWN:
                self.failures.append("%.3f s: %s" % (
                    time.monotonic() - self.t0, detail))

    def next_request(self, n, i):
        """The i-th request of client n, or None when the loop is over."""
        with self.lock:
            now = time.monotonic()
            if self.args.stop_file and now - self.checked >= 0.05:
                self.checked = now
                if os.path.exists(self.args.stop_file):
                    self.deadline = now
            if now >= self.deadline or self.sent >= self.args.max_requests:
                return None
            self.sent += 1
        if i % 2 == 0:
            return b"PING", b"PONG"
        text = b"ECHO c%d-%d" % (n, i)
        return text, text[5:]

    def open(self):
        try:
            s = connect(self.args.addr, REPLY_TIMEOUT)
        except ConnectionRefusedError:
            self.add("refused", "connect: refused")
            return None
        except OSError as e:
            self.add("failed", "connect: %s" % e)
            return None
        self.add("connects")
        return s

    def exchange(self, s, r, req, want):
        """'ok', 'bye', or a failure's description."""
        try:
            s.sendall(req + b"\n")
            line = r.line()
        except OSError as e:
            return "%r: %s" % (req, e)
        if line == want:
            return "ok"
        if line == BYE:
            return "bye"
        if line is None:
            return "%r: connection closed without a reply" % req
        return "%r: got %r" % (req, line)

    def client(self, n):
        i = 0
        s = r = None
        while True:
            job = self.next_request(n, i)
            if job is None:
                break
            i += 1
            req, want = job
            tries = 0
            bad = False
            while True:
                if s is None:
                    s = self.open()
                    if s is None:
                        bad = True
                        break
                    r = Lines(s)
                verdict = self.exchange(s, r, req, want)
                if verdict != "ok" or self.args.mode == "connect":
                    s.close()
                    s = None
                if verdict == "ok":
                    self.add("ok")
                    break
                if verdict == "bye":
                    # Not processed: send it again on a new connection,
                    # a bounded number of times.
                    self.add("byes")
                    tries += 1
                    if tries < 20:
                        continue
                    verdict = "%r: BYE on 20 connections in a row" % req
                self.add("failed", verdict)
                bad = True
                break
            if bad:
                time.sleep(0.01)    # no busy loop against a closed port
        if s is not None:
            s.close()

    def run(self):
        threads = [threading.Thread(target=self.client, args=(n,),
                                    daemon=True)
                   for n in range(self.args.clients)]
        for t in threads:
            t.start()
        if self.args.started:
            with open(self.args.started, "w") as f:
                f.write("started\n")
        for t in threads:
            t.join(self.args.seconds + 2 * REPLY_TIMEOUT)
        for f in self.failures:
            print("failure at", f)
        print("RESULT " + " ".join("%s=%d" % (k, v)
                                   for k, v in self.count.items()))
        return 0


def cmd_load(args):
    return Load(args).run()


def cmd_http(args):
    host, port = parse_addr(args.addr)
    url = "http://%s:%d%s" % (host, port, args.path)
    try:
        with urllib.request.urlopen(url, timeout=REPLY_TIMEOUT) as resp:
            sys.stdout.write(resp.read().decode())
            return 0
    except OSError as e:
        print("GET %s: %s" % (url, e), file=sys.stderr)
        return 1


def cmd_listeners(args):
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            field = row.split()
            port = int(field[1].rsplit(":", 1)[1], 16)
            if port == args.port and field[3] == "0A":     # LISTEN
                print(field[9])
    return 0


def cmd_socket_fds(args):
    base = "/proc/%d/fd" % args.pid
    for fd in sorted(os.listdir(base), key=int):
        try:
            target = os.readlink(os.path.join(base, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            print(target[8:-1])
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("ping")
    a.add_argument("addr")
    a.add_argument("--timeout", type=float, default=REPLY_TIMEOUT)
    a = sub.add_parser("send")
    a.add_argument("addr")
    a.add_argument("data")
    a.add_argument("--timeout", type=float, default=REPLY_TIMEOUT)
    a = sub.add_parser("hold")
    a.add_argument("addr")
    a.add_argument("specs", nargs="+")
    a.add_argument("--ready", required=True)
    a.add_argument("--timeout", type=float, default=30.0)
    a = sub.add_parser("load")
    a.add_argument("addr")
    a.add_argument("--clients", type=int, default=16)
    a.add_argument("--seconds", type=float, default=30.0)
    a.add_argument("--max-requests", type=int, default=2000000)
    a.add_argument("--mode", choices=("rr", "connect"), default="rr")
    a.add_argument("--started")
    a.add_argument("--stop-file")
    a = sub.add_parser("http")
    a.add_argument("addr")
    a.add_argument("path")
    a = sub.add_parser("listeners")
    a.add_argument("port", type=int)
    a = sub.add_parser("socket-fds")
    a.add_argument("pid", type=int)
    args = p.parse_args()
    return globals()["cmd_" + args.cmd.replace("-", "_")](args)


if __name__ == "__main__":
    sys.exit(main())
