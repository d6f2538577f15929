#!/bin/sh
# `make demo`'s build: configures and builds into the build directory $1
# with its output in $1/build.log, so the demo is what the terminal shows.
# A failed build prints the log's last lines and the log's path.
set -u
build=$1
shift
mkdir -p "$build"
log="$build/build.log"
echo "hcr: building into $build (log: $log)"
if ! { cmake -S . -B "$build" "$@" && cmake --build "$build" -j"${JOBS:-2}"; } >"$log" 2>&1; then
    echo "hcr: the build failed; the end of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
fi
