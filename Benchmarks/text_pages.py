#!/usr/bin/env python3
"""Which code a process's executable has resident: the binary's present pages (/proc/PID/pagemap, bit 63) are
attributed to the symbol at each page's start (`nm -n`) and summed by owner: a Swift module (from the mangled
name), the Swift runtime (C++ `swift::` and `swift_*`), libdispatch, C code, or unnamed; pages without code by the ELF sections they hold.
  Benchmarks/text_pages.py PID     (run as the process's user or root; RSS of the binary's mappings by owner)"""
import bisect, os, re, struct, subprocess, sys

pid = int(sys.argv[1])
exe = os.readlink(f"/proc/{pid}/exe")
maps = []
for line in open(f"/proc/{pid}/maps"):
    f = line.split()
    if len(f) > 5 and f[5] == exe:
        lo, hi = (int(x, 16) for x in f[0].split("-"))
        maps.append((lo, hi, f[1], int(f[2], 16)))
bias = min(lo for lo, _, _, off in maps if off == 0)  # PIE: the first LOAD segment, at file offset 0, has vaddr 0


def owner(name):
    m = re.match(r"_?\$s(s|S|\d+)([A-Za-z_]*)", name)
    if m:
        if m.group(1) in ("s", "S"):
            return "Swift stdlib (incl. specializations)"
        n = int(m.group(1))
        mod = (m.group(2))[:n]
        return {"_Concurrency": "Swift concurrency", "_StringProcessing": "_StringProcessing", "_RegexParser": "_RegexParser",
                "Synchronization": "Swift stdlib (incl. specializations)"}.get(mod, mod)
    if name.startswith(("_ZN5swift", "_ZNK5swift", "swift_", "_swift", "__swift")):
        return "Swift runtime (C++)"
    if "dispatch" in name:
        return "libdispatch"
    if name.startswith("_Z"):
        return "other C++ (runtime support)"
    return "C and unnamed"


syms = []
for line in subprocess.run(["nm", "-n", "--defined-only", exe], capture_output=True, text=True).stdout.splitlines():
    f = line.split()
    if len(f) == 3:
        syms.append((int(f[0], 16) + bias, f[2]))
addrs = [a for a, _ in syms]
sections = []  # (start, end, name) of the sections that occupy memory, for pages that hold no code
for line in subprocess.run(["readelf", "-SW", exe], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]{16})\s+[0-9a-f]+\s+([0-9a-f]+)", line)
    if m and int(m.group(2), 16):
        sections.append((int(m.group(2), 16) + bias, int(m.group(2), 16) + bias + int(m.group(3), 16), m.group(1)))


def section(a):
    names = [n for lo, hi, n in sections if lo < a + page and hi > a]
    return "+".join(names[:3]) or "(padding)"


page = os.sysconf("SC_PAGE_SIZE")
totals = {}
with open(f"/proc/{pid}/pagemap", "rb") as pm:
    for lo, hi, perms, _ in maps:
        pm.seek(lo // page * 8)
        entries = struct.unpack(f"{(hi - lo) // page}Q", pm.read((hi - lo) // page * 8))
        for i, e in enumerate(entries):
            if not e >> 63 & 1:
                continue
            a = lo + i * page
            j = bisect.bisect_right(addrs, a) - 1
            who = owner(syms[j][1]) if j >= 0 else "C and unnamed"
            key = (perms, who if "x" in perms else section(a))
            totals[key] = totals.get(key, 0) + page
print(f"{exe} (pid {pid}): resident pages by owner, MB")
for (perms, who), n in sorted(totals.items(), key=lambda kv: -kv[1]):
    print(f"  {perms} {who[:40]:40s} {n / 1048576:6.2f}")
print(f"  total {sum(totals.values()) / 1048576:.2f}")
