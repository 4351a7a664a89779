"""Shared by the benchmark scripts: waiting on a condition with a deadline, and running main()
so that every process it started is stopped and its scratch directory removed, however it ends."""
import shutil, signal, subprocess, sys, time


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
