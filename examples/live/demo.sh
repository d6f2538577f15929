#!/bin/sh
# Live editing demo: an unmodified program with its own Makefile runs under
# `hcr run` while this script edits its source as an editor would (write a
# new file, rename it over the old): the new rule runs with the total kept;
# a compile error is shown and survived; its fix is picked up. About 7 s.
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
hcr="$build/tools/hcr"
cflags="$(pkg-config --variable=reload_cflags "$build/hcr.pc") -O2"
work=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
save() { # save <sed script>: edit rules.c by rename, as editors save
    sed -e "$1" "$work/rules.c" > "$work/rules.c.new"
    mv "$work/rules.c.new" "$work/rules.c"
}

cp "$here/counter.c" "$here/rules.c" "$here/rules.h" "$here/Makefile" "$work/"
echo "live editing: counter (counter.c, rules.c) built by its own Makefile, run as"
echo "  hcr run -- ./counter"
make -s -C "$work" CFLAGS="$cflags" >/dev/null
(cd "$work" && "$hcr" run -- ./counter 70) &
pid=$!
sleep 1.6
echo "  (saving rules.c: total + 1  ->  total + 10)"
save 's/return total + 1;/return total + 10;/; s/+1 per tick/+10 per tick/'
sleep 1.6
echo "  (saving rules.c with a mistake: a missing semicolon)"
save 's/return total + 10;/return total + 10/'
sleep 1.6
echo "  (saving the fix, and a new rule: total + 100)"
save 's/return total + 10$/return total + 100;/; s/+10 per tick/+100 per tick/'
wait "$pid"
pid=""
echo "live editing: each save ran at once, the total kept; the mistake changed nothing."
