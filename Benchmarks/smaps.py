#!/usr/bin/env python3
"""Where a process's resident memory is: Rss (and Pss, Anonymous) summed by mapping name from /proc/PID/smaps.
  Benchmarks/smaps.py PID [PID ...]    (one table per process, largest first)
Mapping names: the file's basename (libswiftCore.so, the binary ...), [heap], [stack], and `anon` for
anonymous mappings without a name (malloc arenas, thread stacks, Swift's own allocations)."""
import os, sys


def by_mapping(pid):
    """{name: [rss_kb, pss_kb, anonymous_kb, size_kb]} for one process (size: what is mapped, touched or not)."""
    out = {}
    name = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if not head:
                continue
            if "-" in head[0] and not head[0].endswith(":"):
                name = os.path.basename(head[5]) if len(head) > 5 else "anon"
                out.setdefault(name, [0, 0, 0, 0])
            elif head[0] in ("Rss:", "Pss:", "Anonymous:", "Size:"):
                out[name][("Rss:", "Pss:", "Anonymous:", "Size:").index(head[0])] += int(head[1])
    return out


def threads(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def table(pid, title=None, limit=14):
    """The breakdown as text: mappings above 64 KiB, the rest summed."""
    rows = sorted(by_mapping(pid).items(), key=lambda kv: -kv[1][0])
    total = [sum(v[i] for _, v in rows) for i in range(3)]
    lines = [f"{title or pid}: RSS {total[0] / 1024:.1f} MB, PSS {total[1] / 1024:.1f} MB, anonymous {total[2] / 1024:.1f} MB, "
             f"{threads(pid)} threads",
             f"  {'mapping':34s} {'RSS MB':>7s} {'anon MB':>8s} {'mapped MB':>10s}"]
    for name, (rss, _, anon, size) in rows[:limit]:
        lines.append(f"  {name[:34]:34s} {rss / 1024:7.2f} {anon / 1024:8.2f} {size / 1024:10.1f}")
    rest = rows[limit:]
    if rest:
        lines.append(f"  {'(' + str(len(rest)) + ' more)':34s} {sum(v[0] for _, v in rest) / 1024:7.2f} {sum(v[2] for _, v in rest) / 1024:8.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    for pid in sys.argv[1:]:
        print(table(int(pid)))
