#!/bin/sh
# The plugin-mode demo: a scripted session that edits the guest's source
# while the host runs, rebuilds it, and shows the new code running with its
# state kept, a crashing build rolled back, and the fix picked up.
set -eu
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/hcr-demo-XXXXXX)
trap 'kill $host 2>/dev/null || true; rm -rf "$work"' EXIT
cc=${CC:-cc}

compile() {
    # Builds into a temporary name and renames into place, as most linkers do.
    $cc -shared -fPIC -g -O1 -I"$root/include" "$work/guest.c" -o "$work/guest.so.tmp"
    mv "$work/guest.so.tmp" "$work/guest.so"
}
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cp "$root/examples/plugin/guest.c" "$work/guest.c"
compile
say "plugin mode: the host starts with the guest saying hello"
"$build/examples/plugin/hcr_demo_host" "$work/guest.so" 8 &
host=$!
sleep 1.6

say "edit guest.c: the greeting changes; rebuild while the host runs"
sed -i 's|return "hello"; /\* DEMO-EDIT \*/|return "hello from the new code"; /* DEMO-EDIT */|' "$work/guest.c"
compile
sleep 1.6

say "edit guest.c: a bug that dereferences NULL; rebuild"
sed -i 's|/\* DEMO-CRASH \*/|{ int *volatile bad = 0; *(volatile int *)bad = frames; } /* DEMO-CRASH */|' "$work/guest.c"
compile
sleep 1.6

say "fix the bug; rebuild"
sed -i 's|{ int \*volatile bad = 0; \*(volatile int \*)bad = frames; } /\* DEMO-CRASH \*/|/* DEMO-CRASH */|' "$work/guest.c"
sed -i 's|hello from the new code|hello again, bug fixed|' "$work/guest.c"
compile
wait $host
host=
