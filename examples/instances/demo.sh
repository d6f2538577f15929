#!/bin/sh
# The instances demo: three robots from one plugin, each with its own
# position; the host's callback knows which robot called. Then the plugin is
# rebuilt and every robot runs the new code with its own position kept.
set -eu
build=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/hcr-demo-XXXXXX)
trap 'kill $host 2>/dev/null || true; rm -rf "$work"' EXIT
flags=$(sed -n 's/^set(HCR_PLUGIN_CFLAGS \(.*\))$/\1/p' "$root/cmake/hcrFlags.cmake")
compile() {
    ${CC:-cc} -shared $flags -O2 -I"$root/include" "$work/robot.c" -o "$work/robot.so.tmp"
    mv "$work/robot.so.tmp" "$work/robot.so"
}
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cp "$root/examples/instances/robot.c" "$work/robot.c"
compile
say "instances: three robots from one robot.so, each with its own position"
"$build/examples/instances/hcr_demo_robots" "$work/robot.so" 4 2>/dev/null &
host=$!
sleep 2
say "edit robot.c: robots now report their position times ten; rebuild"
sed -i 's|host_report("position", position); /\* DEMO-EDIT \*/|host_report("position x10 =", position * 10); /* DEMO-EDIT */|' "$work/robot.c"
compile
wait $host
host=
