#!/bin/sh
# Runs every fuzz target of the build directory $1 for $2 seconds each.
set -eu
dir=$1
seconds=$2
for f in $(find "$dir/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x 2>/dev/null | sort); do
    echo "== $(basename "$f") for ${seconds}s"
done
