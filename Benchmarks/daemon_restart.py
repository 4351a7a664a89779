#!/usr/bin/env python3
"""`systemctl restart botvisor` with N bots (issue 13): identifies spent and dispatches missed across a
graceful daemon restart (SIGTERM, then a new botvisord on the same state), under steady interaction load.

A dispatch is missed when an interaction the simulator sent (before, during or after the restart) has no
record in the command log at the end: every one must reach its bot, answered (`ok`) or, when the restart
outlasted Discord's 3 s, recorded `expired`.

Usage: Benchmarks/daemon_restart.py [bots] BIN   (run through Benchmarks/daemon_restart.sh)"""
import json, os, signal, sqlite3, subprocess, sys, tempfile, threading, time, urllib.request
from benchlib import run, wait

BOTS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
BIN = sys.argv[2]
SIM_PORT, HTTP_PORT = 18980, 18981
tmp = tempfile.mkdtemp(prefix="bvdrestart-")
procs = []


def sim(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{SIM_PORT}{path}", data=data, method="POST" if data else "GET")
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def start_daemon(conf):
    d = subprocess.Popen([f"{BIN}/botvisord", "--config", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(d)
    return d


def main():
    names = [f"d{i:02d}" for i in range(BOTS)]
    s = subprocess.Popen([f"{BIN}/botvisor-sim", "--port", str(SIM_PORT), "--heartbeat-ms", "41250"] +
                         sum([["--bot", f"{n}:tok-{n}"] for n in names], []),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(s)
    wait(lambda: sim("/_sim/stats"), retry_on=(OSError,), what="the simulator")
    conf = f"{tmp}/botvisor.conf"
    with open(conf, "w") as f:
        f.write(f"[http]\nlisten = 127.0.0.1:{HTTP_PORT}\n[paths]\nstate_dir = {tmp}/state\nruntime_dir = {tmp}/run\n"
                f"[discord]\napi_base = http://127.0.0.1:{SIM_PORT}/api/v10\n[logs]\nlevel = warning\n")
    daemon = start_daemon(conf)
    wait(lambda: os.path.exists(f"{tmp}/run/control.sock"), what="the control socket")
    ctl = [f"{BIN}/botvisorctl", "--socket", f"{tmp}/run/control.sock"]
    for n in names:
        with open(f"{tmp}/{n}.token", "w") as f:
            f.write(f"tok-{n}")
        subprocess.run(ctl + ["bot", "add", n, "--token-file", f"{tmp}/{n}.token"], check=True, stdout=subprocess.DEVNULL)
    wait(lambda: all(sim("/_sim/stats")["identifies"].get(n) for n in names), timeout=600, step=0.5, what="every bot identified")
    before = sim("/_sim/stats")

    # Steady load: one interaction every 20 ms, round robin over the bots, each from its own user id.
    injected, stop = [], threading.Event()

    def load():
        i = 0
        while not stop.is_set():
            user = f"8{i:07d}"
            try:
                sim("/_sim/interactions", {"bot": names[i % BOTS], "command": "ping", "user_id": user})
                injected.append(user)
            except OSError:
                pass
            i += 1
            time.sleep(0.02)

    t = threading.Thread(target=load)
    t.start()
    time.sleep(3)
    t0 = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(60)
    stopped = time.monotonic() - t0
    daemon = start_daemon(conf)
    wait(lambda: all(sim("/_sim/stats")["resumes"].get(n, 0) > before["resumes"].get(n, 0) for n in names),
         timeout=600, step=0.2, what="every bot resumed")
    back = time.monotonic() - t0
    time.sleep(3)
    stop.set()
    t.join()
    after = sim("/_sim/stats")
    # Every injected interaction's record, read once the last ones are committed.
    db = f"file:{tmp}/state/botvisor.db?mode=ro"

    def recorded():
        with sqlite3.connect(db, uri=True) as c:
            return dict(c.execute("SELECT user_id, outcome FROM command_logs WHERE user_id LIKE '8%'").fetchall())
    try:
        rows = wait(lambda: (lambda r: r if len(r) >= len(injected) else None)(recorded()), timeout=60, step=0.5,
                    retry_on=(sqlite3.Error,), what="every record")
    except TimeoutError:
        rows = recorded()
    outcomes = {}
    for o in rows.values():
        outcomes[o] = outcomes.get(o, 0) + 1
    ids = sum(after["identifies"].get(n, 0) - before["identifies"].get(n, 0) for n in names)
    print(f"load average {os.getloadavg()[0]:.1f}; {BOTS} bots, SIGTERM + start, an interaction every 20 ms")
    print(f"daemon stopped in {stopped:.1f} s; every bot resumed {back:.1f} s after the SIGTERM")
    print(f"identifies spent across the restart: {ids}")
    print(f"dispatches missed: {len(set(injected) - set(rows))} of {len(injected)} (outcomes: {outcomes})")
    print(f"simulator violations: {len(after['violations'])}")


if __name__ == "__main__":
    run(main, procs, tmp)
