"""Shared by the benchmark scripts: waiting on a condition with a deadline, and running main()
so that every process it started is stopped and its scratch directory removed, however it ends."""
import json, shutil, signal, subprocess, sys, time, urllib.request


def wait(cond, timeout=60, step=0.05, what="condition", retry_on=()):
    """cond()'s first truthy value, polled every `step` s; exceptions in `retry_on` count as not yet."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            v = cond()
        except retry_on:
            v = None
        if v:
            return v
        time.sleep(step)
    raise TimeoutError(what)


def run(main, procs, tmp=None):
    """Runs main(); then terminates `procs` (newest first, killed after 10 s) and removes `tmp`."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def admin_token(ctl, role="admin", name="bench"):
    """An API token made over the control socket (the local root of trust), as an operator makes one:
    `botvisorctl token create` prints the token alone on stdout. `ctl` is botvisorctl's argv prefix."""
    return subprocess.run(ctl + ["token", "create", "--role", role, "--name", name],
                          check=True, capture_output=True, text=True).stdout.strip()


def start_botvisord(bin_dir, tmp, procs, config, worker="ingest-bench"):
    """Writes `config` (the [paths] section is added: state and runtime under `tmp`), starts botvisord with
    `bin_dir/worker` as its worker (appended to `procs`), waits for its control socket and returns
    (daemon, ctl), ctl being botvisorctl's argv prefix for that socket."""
    conf = f"{tmp}/botvisor.conf"
    with open(conf, "w") as f:
        f.write(f"[paths]\nstate_dir = {tmp}/state\nruntime_dir = {tmp}/run\n" + config)
    daemon = subprocess.Popen([f"{bin_dir}/botvisord", "--config", conf, "--worker", f"{bin_dir}/{worker}"],
                              stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/botvisord.log", "w"))
    procs.append(daemon)
    ctl = [f"{bin_dir}/botvisorctl", "--socket", f"{tmp}/run/control.sock"]
    wait(lambda: subprocess.run(ctl + ["status"], capture_output=True).returncode == 0, what="control socket")
    return daemon, ctl


def add_bots(ctl, tmp, names):
    """Adds bots whose worker never uses its token (ingest-bench): a dummy token file, as `bot add` wants one."""
    with open(f"{tmp}/bot.token", "w") as f:
        f.write("dummy-token-never-used")
    for name in names:
        subprocess.run(ctl + ["bot", "add", name, "--token-file", f"{tmp}/bot.token"], check=True, stdout=subprocess.DEVNULL)


def http_port(tmp):
    """The port botvisord bound (it listens on port 0 and writes the address to run/http.addr)."""
    return int(wait(lambda: open(f"{tmp}/run/http.addr").read().strip().rsplit(":", 1)[1], retry_on=(OSError,), what="http.addr"))


def call(method, url, body=None, token=None):
    """One JSON request; the decoded answer (None for 204). A bearer `token` when given."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers)) as r:
        return json.load(r) if r.status != 204 else None
