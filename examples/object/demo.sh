#!/bin/sh
# Object mode demo: runs examples/object's program (built in the build
# directory $1), edits a copy of world.c while it runs, recompiles that one
# file with hcr's reload flags, and drops the object where the program
# looks: the program reloads it and goes on with the new rule, its counts
# kept. Ends by itself in about 3 seconds (at most 8).
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
prog="$build/examples/object/object_demo"
cc=${CC:-cc}
cflags=$(pkg-config --variable=reload_cflags "$build/hcr.pc")
work=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "object mode: an ordinary program (main.c, world.c, report.c) runs;"
echo "world.c is edited to add 10 per tick, recompiled alone and reloaded."
"$prog" "$work" &
pid=$!
sleep 1.1
sed -e 's/total += 1;/total += 10;/' -e 's/+1 per tick/+10 per tick/' \
    "$here/world.c" > "$work/world.c"
echo "  (edit: total += 1  ->  total += 10; compiling world.c with: $cflags -O2)"
"$cc" $cflags -O2 -I"$here" -c "$work/world.c" -o "$work/world.o.tmp"
mv "$work/world.o.tmp" "$work/reload.o"
wait "$pid"
pid=""
echo "object mode: new rule running, ticks and total kept across the reload."
