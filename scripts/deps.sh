#!/bin/sh
# Checks what the build needs and installs what is missing from Debian's
# packages when it can (root and apt-get); otherwise prints the command.
set -u
missing=""
need() { # need <check command> <package>
    sh -c "$1" >/dev/null 2>&1 || missing="$missing $2"
}
need 'command -v cc' gcc
need 'command -v cmake' cmake
need 'command -v pkg-config' pkg-config
need 'command -v clang' clang
need 'command -v gdb' gdb
need 'pkg-config --exists libdw' libdw-dev
need 'pkg-config --exists libelf' libelf-dev
need 'pkg-config --exists json-c' libjson-c-dev
need 'test -f /usr/include/Zydis/Zydis.h' libzydis-dev
need 'ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a' libclang-rt-dev
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "hcr: installing build dependencies:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq $missing >/dev/null && exit 0
    echo "hcr: apt-get install failed" >&2
    exit 1
fi
echo "hcr: missing build dependencies. Run:" >&2
echo "    sudo apt-get install -y$missing" >&2
exit 1
