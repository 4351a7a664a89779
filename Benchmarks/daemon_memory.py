#!/usr/bin/env python3
"""botvisord's memory, idle and with N bots ready (real workers on the Discord simulator, plain WebSocket):
RSS, PSS, anonymous memory and threads of the daemon, per bot, and where the daemon's and one worker's resident
memory is, by mapping (smaps.py). Usage (through Benchmarks/daemon_memory.sh):
  daemon_memory.py BIN_DIR [bots] [NAME=VALUE ...]   NAME=VALUE: environment of botvisord (e.g. MALLOC_ARENA_MAX=1)"""
import json, os, socket, subprocess, sys, tempfile, time
from benchlib import run, wait, start_botvisord
from smaps import by_mapping, table

BIN = sys.argv[1]
BOTS = int(sys.argv[2]) if len(sys.argv) > 2 else 50
ENV = dict(a.split("=", 1) for a in sys.argv[3:])
tmp = tempfile.mkdtemp(prefix="bvmem-")
procs = []


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def totals(pid):
    m = by_mapping(pid)
    return [sum(v[i] for v in m.values()) / 1024 for i in range(3)]


def main():
    sim_port = 18970
    sim = subprocess.Popen([f"{BIN}/botvisor-sim", "--port", str(sim_port), "--heartbeat-ms", "41250"] +
                           sum([["--bot", f"b{i}:tok-{i}"] for i in range(BOTS)], []),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(sim)
    wait(lambda: port_open(sim_port), what="simulator")
    os.environ.update(ENV)  # inherited by botvisord only (its workers get a clean environment)
    daemon, ctl = start_botvisord(BIN, tmp, procs, f"[http]\nlisten = 127.0.0.1:0\n[limits]\nenabled = no\n"
                                  f"[discord]\napi_base = http://127.0.0.1:{sim_port}/api/v10\n[logs]\nlevel = warning\n",
                                  worker="botvisor-worker")
    time.sleep(3)
    idle = totals(daemon.pid)
    print(table(daemon.pid, "botvisord idle"))
    for i in range(BOTS):  # a token each: the simulator knows a bot by its token
        with open(f"{tmp}/b{i}.token", "w") as f:
            f.write(f"tok-{i}")
        subprocess.run(ctl + ["bot", "add", f"b{i}", "--token-file", f"{tmp}/b{i}.token"], check=True, stdout=subprocess.DEVNULL)

    def ready():
        bots = json.loads(subprocess.run(ctl + ["status", "--json"], capture_output=True).stdout)["bots"]
        return sum(1 for b in bots if b["state"] == "ready") >= BOTS
    wait(ready, timeout=180, step=0.5, what=f"{BOTS} bots ready")
    # botvisord gives back start-up memory within 5 s of the fleet settling (its status loop's period); measured
    # after that, with the workers' IPC heartbeats and these status requests running.
    time.sleep(12)
    loaded = totals(daemon.pid)
    print(table(daemon.pid, f"botvisord with {BOTS} bots ready"))
    worker = sorted(int(p) for t in os.listdir(f"/proc/{daemon.pid}/task")
                    for p in open(f"/proc/{daemon.pid}/task/{t}/children").read().split())[0]
    print(table(worker, "one worker (plain WebSocket)"))
    print(f"summary: botvisord RSS idle {idle[0]:.1f} MB, with {BOTS} bots {loaded[0]:.1f} MB; "
          f"per bot {(loaded[0] - idle[0]) * 1024 / BOTS:.0f} KB (anonymous {(loaded[2] - idle[2]) * 1024 / BOTS:.0f} KB); "
          f"environment {ENV or 'default'}; load {open('/proc/loadavg').read().split()[0]}")


run(main, procs, tmp)
