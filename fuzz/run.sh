#!/bin/sh
# Runs every fuzz target of the build directory $1 for $2 seconds each.
#
# Each target starts from the seeds its build produced ($1/fuzz/seeds) and
# the committed ones (fuzz/seeds/<target>/, if any), and keeps what it finds
# in a work corpus under the build directory, so later runs go on from
# there. A crash, leak, timeout or out-of-memory leaves its input in
# $1/fuzz/artifacts/ and makes this script exit non-zero after all targets
# have run.
set -eu
dir=$1
seconds=$2
# A fixed seed by default, so `make test` repeats the same search; set
# FUZZ_SEED=0 for a random one when exploring.
seed=${FUZZ_SEED:-1}
src=$(cd "$(dirname "$0")" && pwd)
failed=""
mkdir -p "$dir/fuzz/artifacts"
for f in $(find "$dir/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x 2>/dev/null | sort); do
    name=$(basename "$f")
    work="$dir/fuzz/corpus-work/$name"
    log="$dir/fuzz/$name.log"
    mkdir -p "$work"
    seeds=""
    for s in "$dir/fuzz/seeds" "$src/seeds/$name"; do
        if [ -d "$s" ]; then seeds="$seeds $s"; fi
    done
    echo "== $name for ${seconds}s"
    # shellcheck disable=SC2086 # $seeds is a list of directories
    if "$f" -seed="$seed" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=25 -print_final_stats=0 \
        -artifact_prefix="$dir/fuzz/artifacts/$name-" "$work" $seeds >"$log" 2>&1; then
        grep -E '^Done [0-9]+ runs' "$log" || tail -n 1 "$log"
    else
        echo "!! $name failed: the input is in $dir/fuzz/artifacts/, the log in $log"
        tail -n 40 "$log"
        failed="$failed $name"
    fi
done
if [ -z "$failed" ] && [ -z "$(find "$dir/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x)" ]; then
    echo "no fuzz targets in $dir/fuzz" >&2
    exit 1
fi
if [ -n "$failed" ]; then
    echo "fuzzing found problems in:$failed" >&2
    exit 1
fi
