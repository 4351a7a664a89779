#!/bin/sh
# Builds self-contained release binaries and installs botvisor for systemd.
#
#   scripts/install.sh                 build, install into /, create the botvisor user, daemon-reload
#   scripts/install.sh --root DIR      install under DIR instead (a package root or a test; no user, no systemctl)
#   scripts/install.sh --uninstall     remove the binaries, the unit and the docs; keep config and state
#
# Options:
#   --root DIR        prefix every installed path with DIR (like DESTDIR); paths inside the unit stay absolute
#   --prefix PATH     binaries in PATH/bin, docs in PATH/share/doc/botvisor (default /usr/local)
#   --no-build        install what the last build left (see --bin-dir)
#   --bin-dir DIR     where the built binaries are (default: .build-release/release)
#   --allow-dynamic   skip the check that the binaries need no Swift runtime from the toolchain
#                     (for tests that install debug builds; never for a real install)
#
# Layout: PREFIX/bin/{botvisord,botvisor-worker,botvisorctl}; /etc/botvisor/botvisor.conf (0644, holds no
# secrets; an existing file is kept and the shipped one written beside it as botvisor.conf.dist);
# /etc/systemd/system/botvisor.service; PREFIX/share/doc/botvisor/{README.md,botvisor.conf}.
# The state (/var/lib/botvisor) and runtime (/run/botvisor) directories are made by systemd
# (StateDirectory=, RuntimeDirectory=), not by this script.
set -eu

root=
prefix=/usr/local
build=yes
bin_dir=
allow_dynamic=no
uninstall=no
products="botvisord botvisor-worker botvisorctl"

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case "$1" in
        --root) [ $# -ge 2 ] || die "--root needs a directory"; root=${2%/}; shift 2 ;;
        --prefix) [ $# -ge 2 ] || die "--prefix needs a path"; prefix=${2%/}; shift 2 ;;
        --no-build) build=no; shift ;;
        --bin-dir) [ $# -ge 2 ] || die "--bin-dir needs a directory"; bin_dir=$2; shift 2 ;;
        --allow-dynamic) allow_dynamic=yes; shift ;;
        --uninstall) uninstall=yes; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option $1" ;;
    esac
done
case "$prefix" in /*) ;; *) die "--prefix must be absolute, got $prefix" ;; esac

repo=$(cd "$(dirname "$0")/.." && pwd)
unit_path=$root/etc/systemd/system/botvisor.service
doc_dir=$root$prefix/share/doc/botvisor

if [ "$uninstall" = yes ]; then
    if [ -z "$root" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        systemctl disable --now botvisor 2>/dev/null || true
    fi
    for p in $products; do rm -f "$root$prefix/bin/$p"; done
    rm -f "$unit_path"
    rm -rf "$doc_dir"
    if [ -z "$root" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
    echo "removed the binaries, the unit and the docs."
    echo "kept /etc/botvisor, /var/lib/botvisor (database and token.key) and the botvisor user; to purge them:"
    echo "  rm -rf /etc/botvisor /var/lib/botvisor && userdel botvisor"
    exit 0
fi

if [ "$build" = yes ]; then
    # The git commit is baked in as a C macro (see Sources/CBuildInfo); a tarball without .git builds
    # as "development build".
    set --
    if commit=$(git -C "$repo" rev-parse --short=7 HEAD 2>/dev/null); then
        git -C "$repo" diff --quiet HEAD 2>/dev/null || commit=$commit-dirty
        date=$(git -C "$repo" log -1 --format=%cs HEAD)
        set -- -Xcc "-DBOTVISOR_GIT_COMMIT=$commit" -Xcc "-DBOTVISOR_GIT_DATE=$date"
    fi
    # Its own scratch path: the debug build in .build is not invalidated, and flags do not mix.
    for p in $products; do
        (cd "$repo" && swift build -c release --static-swift-stdlib --scratch-path .build-release --product "$p" "$@")
    done
fi
[ -n "$bin_dir" ] || bin_dir=$repo/.build-release/release
for p in $products; do [ -x "$bin_dir/$p" ] || die "$bin_dir/$p is missing: build first (or drop --no-build)"; done

if [ "$allow_dynamic" = no ]; then
    # A VPS has no Swift toolchain: nothing may be loaded from one.
    for p in $products; do
        if readelf -d "$bin_dir/$p" | grep -E 'NEEDED.*\[(libswift|libFoundation|lib_FoundationICU|libdispatch|libBlocksRuntime)' >&2; then
            die "$bin_dir/$p needs the Swift runtime: build with --static-swift-stdlib"
        fi
    done
fi

install -d -m 0755 "$root$prefix/bin" "$root/etc/botvisor" "$root/etc/systemd/system" "$doc_dir"
for p in $products; do install -m 0755 "$bin_dir/$p" "$root$prefix/bin/$p"; done
if [ -e "$root/etc/botvisor/botvisor.conf" ]; then
    install -m 0644 "$repo/etc/botvisor.conf" "$root/etc/botvisor/botvisor.conf.dist"
    echo "kept $root/etc/botvisor/botvisor.conf; the shipped one is botvisor.conf.dist beside it"
else
    install -m 0644 "$repo/etc/botvisor.conf" "$root/etc/botvisor/botvisor.conf"
fi
sed -e "s|/usr/local/bin/|$prefix/bin/|g" -e "s|/usr/local/share/doc/|$prefix/share/doc/|g" \
    "$repo/systemd/botvisor.service" > "$unit_path.tmp"
chmod 0644 "$unit_path.tmp" && mv "$unit_path.tmp" "$unit_path"
install -m 0644 "$repo/README.md" "$doc_dir/README.md"
install -m 0644 "$repo/etc/botvisor.conf" "$doc_dir/botvisor.conf"

if [ -z "$root" ]; then
    if ! getent passwd botvisor >/dev/null; then
        useradd --system --home-dir /var/lib/botvisor --no-create-home --shell /usr/sbin/nologin botvisor
    fi
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
fi
"$root$prefix/bin/botvisord" --version
echo "installed into ${root:-/}; next: systemctl enable --now botvisor (or systemctl restart botvisor after an upgrade)"
