#!/bin/sh
# `make demo`: every mode's scripted session, one after the other.
set -eu
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
for part in plugin object instances live; do
    if [ -x "$here/$part/demo.sh" ] || [ -f "$here/$part/demo.sh" ]; then
        sh "$here/$part/demo.sh" "$build"
    fi
done
