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


def admin_token(ctl):
    """An admin API token made over the control socket (the local root of trust), as an operator makes
    one: `botvisorctl token create` prints the token alone on stdout. `ctl` is botvisorctl's argv prefix."""
    return subprocess.run(ctl + ["token", "create", "--role", "admin", "--name", "bench"],
                          check=True, capture_output=True, text=True).stdout.strip()


def call(method, url, body=None, token=None):
    """One JSON request; the decoded answer (None for 204). A bearer `token` when given."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method, headers=headers)) as r:
        return json.load(r) if r.status != 204 else None
