#!/usr/bin/env python3
"""SIGKILL -> bot RESUMED with the default [restart] settings (issue 16, performance review §3a).

One kill per bot, each after a healthy start, as an operator meets a crash: botvisord runs with no
[restart] section at all, so the figure is what the defaults give (the first crash after a healthy run
restarts at once; backoff only for crashes in a row).

Usage: Benchmarks/restart_default.py [bots] BIN   (run through Benchmarks/restart_default.sh)"""
import json, os, signal, statistics, subprocess, sys, tempfile, time, urllib.request
from benchlib import run, wait

BOTS = int(sys.argv[1]) if len(sys.argv) > 1 else 12
BIN = sys.argv[2]
SIM_PORT, HTTP_PORT = 18970, 18971
tmp = tempfile.mkdtemp(prefix="bvrestart-")
procs = []


def sim_stats():
    with urllib.request.urlopen(f"http://127.0.0.1:{SIM_PORT}/_sim/stats") as r:
        return json.load(r)


def worker_of(daemon_pid, bot):
    for tid in os.listdir(f"/proc/{daemon_pid}/task"):
        with open(f"/proc/{daemon_pid}/task/{tid}/children") as f:
            for pid in f.read().split():
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as c:
                        if c.read().split(b"\0")[-2] == bot.encode():
                            return int(pid)
                except (FileNotFoundError, IndexError):
                    pass
    return None


def main():
    names = [f"r{i}" for i in range(BOTS)]
    sim = subprocess.Popen([f"{BIN}/botvisor-sim", "--port", str(SIM_PORT), "--heartbeat-ms", "41250"] +
                           sum([["--bot", f"{n}:tok-{n}"] for n in names], []),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(sim)
    wait(lambda: sim_stats(), retry_on=(OSError,), what="the simulator")
    conf = f"{tmp}/botvisor.conf"
    with open(conf, "w") as f:
        f.write(f"[http]\nlisten = 127.0.0.1:{HTTP_PORT}\n[paths]\nstate_dir = {tmp}/state\nruntime_dir = {tmp}/run\n[limits]\n# Benchmarks measure the daemon, not the rate limiter.\nenabled = no\n"
                f"[discord]\napi_base = http://127.0.0.1:{SIM_PORT}/api/v10\n[logs]\nlevel = warning\n")
    daemon = subprocess.Popen([f"{BIN}/botvisord", "--config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(daemon)
    wait(lambda: os.path.exists(f"{tmp}/run/control.sock"), what="the control socket")
    ctl = [f"{BIN}/botvisorctl", "--socket", f"{tmp}/run/control.sock"]
    for n in names:
        with open(f"{tmp}/{n}.token", "w") as f:
            f.write(f"tok-{n}")
        subprocess.run(ctl + ["bot", "add", n, "--token-file", f"{tmp}/{n}.token"], check=True, stdout=subprocess.DEVNULL)
    wait(lambda: all(sim_stats()["identifies"].get(n) for n in names), timeout=120, what="every bot identified")
    time.sleep(1)
    resumed = []
    for n in names:
        pid = wait(lambda: worker_of(daemon.pid, n), what=f"the worker of {n}")
        count = sim_stats()["resumes"].get(n, 0)
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        wait(lambda: sim_stats()["resumes"].get(n, 0) > count, step=0.001, what=f"{n} resumed")
        resumed.append((time.monotonic() - t0) * 1000)
    stats = sim_stats()
    print(f"load average {os.getloadavg()[0]:.1f}; {BOTS} bots, one SIGKILL each, default [restart]")
    print(f"SIGKILL -> RESUMED: median {statistics.median(resumed):.1f} ms, min {min(resumed):.1f} ms, max {max(resumed):.1f} ms")
    print(f"identifies after the kills: {sum(stats['identifies'].get(n, 0) for n in names) - BOTS}")


if __name__ == "__main__":
    run(main, procs, tmp)
