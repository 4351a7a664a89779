#!/usr/bin/env python3
"""A flood of idle HTTP connections against botvisord (issue 13, reliability review rows 4c-4e): what it holds
while the flood is on, what is refused past `[http] max_connections`, and what stays resident afterwards.

Usage: Benchmarks/flood_memory.py [connections] BIN   (run through Benchmarks/flood_memory.sh)"""
import os, socket, subprocess, sys, tempfile, time
from benchlib import run, wait

N = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
BIN = sys.argv[2]
HTTP_PORT = 18990
tmp = tempfile.mkdtemp(prefix="bvflood-")
procs = []


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    conf = f"{tmp}/botvisor.conf"
    with open(conf, "w") as f:
        f.write(f"[http]\nlisten = 127.0.0.1:{HTTP_PORT}\n[paths]\nstate_dir = {tmp}/state\nruntime_dir = {tmp}/run\n[logs]\nlevel = warning\n")
    daemon = subprocess.Popen([f"{BIN}/botvisord", "--config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(daemon)
    wait(lambda: os.path.exists(f"{tmp}/run/http.addr"), what="the HTTP port")
    time.sleep(1)
    idle = rss_mb(daemon.pid)
    conns = []
    for _ in range(N):
        s = socket.create_connection(("127.0.0.1", HTTP_PORT))
        conns.append(s)
    time.sleep(2)
    refused = 0
    for s in conns:
        s.setblocking(False)
        try:
            if s.recv(64).startswith(b"HTTP/1.1 503"):
                refused += 1
        except BlockingIOError:
            pass
    during = rss_mb(daemon.pid)
    fds = len(os.listdir(f"/proc/{daemon.pid}/fd"))
    for s in conns:
        s.close()
    time.sleep(3)
    after = rss_mb(daemon.pid)
    after_fds = len(os.listdir(f"/proc/{daemon.pid}/fd"))
    # The closes should be noticed at once, not at the server's idle timeout (60 s): measure after it too.
    time.sleep(62)
    later = rss_mb(daemon.pid)
    later_fds = len(os.listdir(f"/proc/{daemon.pid}/fd"))
    print(f"load average {os.getloadavg()[0]:.1f}; {N} idle connections")
    print(f"botvisord RSS: {idle:.1f} MB before, {during:.1f} MB during ({fds} descriptors open, {refused} refused with 503), "
          f"{after:.1f} MB 3 s and {later:.1f} MB 65 s after they closed ({after_fds} and {later_fds} descriptors open then)")


if __name__ == "__main__":
    run(main, procs, tmp)
