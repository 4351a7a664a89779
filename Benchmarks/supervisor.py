#!/usr/bin/env python3
"""Supervisor benchmarks beside supervisord 4.x, in one run (release build, Discord simulator).
botvisord runs with `backoff_initial = 0` (restart at once) to measure the restart path itself,
as supervisord restarts at once too:
  1. SIGKILL a worker -> replacement worker process running: median and max over N kills,
     for botvisord and for supervisord supervising the same worker binary (standalone mode).
  2. SIGKILL -> bot RESUMED on the simulator (botvisord): median over N kills.
  3. botvisord RSS with 50 bots ready; supervisord's own RSS with its 50 programs beside it.
Usage: Benchmarks/supervisor.py [kills]   (run through Benchmarks/supervisor.sh)"""
import json, os, signal, statistics, subprocess, sys, tempfile, time, urllib.request
from benchlib import run, wait

KILLS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
BIN = sys.argv[2]
SIM_PORT, HTTP_PORT = 18960, 18961
tmp = tempfile.mkdtemp(prefix="bvbench-")
procs = []

def sim_stats():
    with urllib.request.urlopen(f"http://127.0.0.1:{SIM_PORT}/_sim/stats") as r:
        return json.load(r)

def children(pid):
    out = set()
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out |= {int(x) for x in f.read().split()}
    except FileNotFoundError:
        pass
    return out

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def measure_respawn(parent_pid, label):
    samples = []
    for _ in range(KILLS):
        time.sleep(0.3)
        before = wait(lambda: children(parent_pid) or None, step=0.0002)
        victim = sorted(before)[0]
        t0 = time.monotonic()
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            continue  # it had just exited on its own; take the next sample
        wait(lambda: (children(parent_pid) - before - {victim}) or None, step=0.0002)
        samples.append((time.monotonic() - t0) * 1000)
    print(f"{label:12s} SIGKILL -> replacement running: median {statistics.median(samples):8.2f} ms, max {max(samples):8.2f} ms ({KILLS} kills)")
    return samples

def main():
    sim = subprocess.Popen([f"{BIN}/botvisor-sim", "--port", str(SIM_PORT), "--heartbeat-ms", "41250"] +
                           sum([["--bot", f"b{i}:tok-{i}"] for i in range(50)], []) + ["--bot", "solo:tok-solo", "--bot", "sv:tok-sv"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(sim)
    wait(lambda: os.path.exists(f"/proc/{sim.pid}") and _port_open(SIM_PORT), step=0.05)
    # botvisord with one bot for the kill measurements.
    conf = f"{tmp}/botvisor.conf"
    with open(conf, "w") as f:
        f.write(f"[http]\nlisten = 127.0.0.1:{HTTP_PORT}\n[paths]\nstate_dir = {tmp}/state\nruntime_dir = {tmp}/run\n[limits]\n# Benchmarks measure the daemon, not the rate limiter.\nenabled = no\n"
                f"[discord]\napi_base = http://127.0.0.1:{SIM_PORT}/api/v10\n[restart]\nbackoff_initial = 0\nbackoff_max = 1ms\n"
                f"budget = 1000\nbudget_window = 1s\n[logs]\nlevel = warning\n")
    daemon = subprocess.Popen([f"{BIN}/botvisord", "--config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(daemon)
    wait(lambda: os.path.exists(f"{tmp}/run/control.sock"), step=0.05)
    ctl = [f"{BIN}/botvisorctl", "--socket", f"{tmp}/run/control.sock"]
    with open(f"{tmp}/solo.token", "w") as f:
        f.write("tok-solo")
    subprocess.run(ctl + ["bot", "add", "solo", "--token-file", f"{tmp}/solo.token"], check=True, stdout=subprocess.DEVNULL)
    wait(lambda: sim_stats()["identifies"].get("solo"), step=0.05)
    ours = measure_respawn(daemon.pid, "botvisord")

    # SIGKILL -> RESUMED.
    resumed = []
    for _ in range(KILLS):
        time.sleep(0.3)
        pid = sorted(children(daemon.pid))[0]
        count = sim_stats()["resumes"].get("solo", 0)
        t0 = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        wait(lambda: sim_stats()["resumes"].get("solo", 0) > count, step=0.001)
        resumed.append((time.monotonic() - t0) * 1000)
    print(f"{'botvisord':12s} SIGKILL -> RESUMED on the simulator: median {statistics.median(resumed):8.2f} ms, max {max(resumed):8.2f} ms "
          f"(identifies: {sim_stats()['identifies'].get('solo')})")

    # supervisord with the same worker binary in standalone mode.
    with open(f"{tmp}/sv.token", "w") as f:
        f.write("tok-sv")
    svconf = f"{tmp}/supervisord.conf"
    with open(svconf, "w") as f:
        f.write(f"[supervisord]\nnodaemon=true\nlogfile={tmp}/sv.log\npidfile={tmp}/sv.pid\n"
                f"[unix_http_server]\nfile={tmp}/sv.sock\n[rpcinterface:supervisor]\n"
                f"supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
                f"[program:sv]\ncommand={BIN}/botvisor-worker --standalone --token-file {tmp}/sv.token --api-base http://127.0.0.1:{SIM_PORT}/api/v10\n"
                f"autorestart=true\nstartsecs=0\nstartretries=1000\nstdout_logfile=/dev/null\nstderr_logfile=/dev/null\n")
    sv = subprocess.Popen(["supervisord", "-c", svconf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(sv)
    wait(lambda: sim_stats()["identifies"].get("sv"), step=0.05)
    theirs = measure_respawn(sv.pid, "supervisord")
    sv.terminate(); sv.wait()

    # Memory: botvisord with 50 bots ready.
    for i in range(50):
        with open(f"{tmp}/b{i}.token", "w") as f:
            f.write(f"tok-{i}")
        subprocess.run(ctl + ["bot", "add", f"b{i}", "--token-file", f"{tmp}/b{i}.token"], check=True, stdout=subprocess.DEVNULL)
    wait(lambda: sum(1 for b in json.loads(subprocess.run(ctl + ["status", "--json"], capture_output=True).stdout)["bots"] if b["state"] == "ready") >= 51,
         timeout=120, step=0.2)
    time.sleep(3)
    print(f"{'botvisord':12s} RSS with 51 bots ready: {rss_kb(daemon.pid) / 1024:.1f} MB")
    print(f"ratio: botvisord replaces a killed worker {statistics.median(theirs) / statistics.median(ours):.0f}x faster than supervisord (medians)")

def _port_open(port):
    import socket
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port)); return True
    except OSError:
        return False
    finally:
        s.close()

run(main, procs, tmp)
