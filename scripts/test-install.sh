#!/bin/sh
# Follows the README's install section into a scratch root and checks the result:
#   - a self-contained release build (scripts/install.sh: swift build -c release --static-swift-stdlib);
#   - no library from a Swift toolchain in readelf's NEEDED or ldd's output;
#   - every installed binary runs with an empty environment (--version);
#   - the installed config passes the installed daemon's --check-config;
#   - systemd-analyze verify of the installed unit (against the installed binaries, --root) and its
#     security exposure;
#   - the installed daemon starts from the installed config with an empty environment and the installed
#     botvisorctl reaches it.
# The release build takes minutes on 2 cores, so this is not part of `swift test`; CI can run it.
#   scripts/test-install.sh [--no-build]    (--no-build reuses .build-release)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
scratch=$(mktemp -d /tmp/botvisor-install-test.XXXXXX)
root=$scratch/root
daemon_pid=
cleanup() {
    [ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null || true
    rm -rf "$scratch"
}
trap cleanup EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

"$repo/scripts/install.sh" --root "$root" "$@"
bin=$root/usr/local/bin

for p in botvisord botvisor-worker botvisorctl; do
    [ -x "$bin/$p" ] || fail "$bin/$p missing"
    if ldd "$bin/$p" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime|/usr/lib/swift|/opt/swift'; then
        fail "$p loads a Swift runtime library"
    fi
    version=$(env -i "$bin/$p" --version) || fail "$p --version with an empty environment"
    echo "$version" | grep -Eq "^$p [0-9]+\.[0-9]+\.[0-9]+ \(" || fail "$p --version printed: $version"
    ok "$version; no toolchain library"
done

env -i "$bin/botvisord" --check-config "$root/etc/botvisor/botvisor.conf" || fail "--check-config of the installed config"
ok "installed config passes --check-config"
[ -f "$root/usr/local/share/doc/botvisor/README.md" ] || fail "Documentation= target missing"
grep -q '^Documentation=file:///usr/local/share/doc/botvisor/README.md$' "$root/etc/systemd/system/botvisor.service" \
    || fail "the unit's Documentation= does not name the installed README"

if command -v systemd-analyze >/dev/null; then
    # verify needs the host's units (sysinit.target ...), so check the unit in place with its paths moved
    # under the scratch root: every ExecStart*= must name an installed executable.
    mkdir -p "$scratch/verify"
    sed "s|/usr/local/|$root/usr/local/|g" "$root/etc/systemd/system/botvisor.service" > "$scratch/verify/botvisor.service"
    out=$(systemd-analyze verify "$scratch/verify/botvisor.service" 2>&1) || fail "systemd-analyze verify: $out"
    if echo "$out" | grep -q 'botvisor.service:'; then fail "systemd-analyze verify warns: $out"; fi
    ok "systemd-analyze verify of the installed unit"
    systemd-analyze security --offline=yes --no-pager "$scratch/verify/botvisor.service" 2>&1 | tail -1
else
    echo "skip: systemd-analyze missing (apt-get install systemd)"
fi

# Outside systemd the daemon keeps its state and sockets in ./botvisor-data: run it in a scratch directory
# with a free port, as the botvisor user would run it under the unit.
mkdir -p "$scratch/run"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sed "s|^listen = .*|listen = 127.0.0.1:$port|" "$root/etc/botvisor/botvisor.conf" > "$scratch/run/botvisor.conf"
(cd "$scratch/run" && exec env -i "$bin/botvisord" --config botvisor.conf) > "$scratch/daemon.log" 2>&1 &
daemon_pid=$!
i=0
until [ -S "$scratch/run/botvisor-data/control.sock" ]; do
    i=$((i + 1)); [ $i -le 300 ] || { cat "$scratch/daemon.log"; fail "no control.sock after 30 s"; }
    kill -0 "$daemon_pid" 2>/dev/null || { cat "$scratch/daemon.log"; fail "the installed daemon exited"; }
    sleep 0.1
done
(cd "$scratch/run" && env -i "$bin/botvisorctl" status) || fail "the installed botvisorctl cannot reach the daemon"
(cd "$scratch/run" && env -i "$bin/botvisorctl" shutdown) || fail "shutdown"
wait "$daemon_pid" || fail "the daemon exited with $?"
daemon_pid=
ok "the installed daemon runs from the installed config and botvisorctl finds it without flags"
echo "PASS"
