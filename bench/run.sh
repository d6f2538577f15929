#!/bin/sh
# Runs every benchmark binary of the build directory given as $1.
set -eu
dir=$1
status=0
for b in $(find "$dir/bench" -maxdepth 2 -type f -name 'bench_*' -perm -u+x | sort); do
    echo "== $(basename "$b")"
    "$b" || status=1
done
exit $status
