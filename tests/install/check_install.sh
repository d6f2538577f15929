#!/bin/sh
# Installs the build into a scratch prefix, then builds a consumer with
# find_package(hcr) and another with pkg-config, and runs both. Also checks
# that libhcr.so exports the API and nothing else.
set -eu
build=$1
src=$2
scratch=$(mktemp -d /tmp/hcr-install-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null

# find_package(hcr)
cmake -S "$src/tests/install/consumer" -B "$scratch/cmake" -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/cmake" >/dev/null
LD_LIBRARY_PATH="$scratch/prefix/lib" "$scratch/cmake/consumer"
LD_LIBRARY_PATH="$scratch/prefix/lib" "$scratch/cmake/consumer_reloadable"
LD_LIBRARY_PATH="$scratch/prefix/lib" "$scratch/cmake/consumer_cr"
# hcr_reloadable() gave the target the reload flags.
grep -q -- "-fpatchable-function-entry" "$scratch/cmake/CMakeFiles/consumer_reloadable.dir/flags.make" ||
    { echo "hcr_reloadable() did not add the reload flags"; exit 1; }

# pkg-config, including the flag variables
export PKG_CONFIG_PATH="$scratch/prefix/lib/pkgconfig"
libdir=$(pkg-config --variable=libdir hcr)
cc "$src/tests/install/consumer/main.c" $(pkg-config --cflags --libs hcr) -o "$scratch/pc_consumer"
LD_LIBRARY_PATH="$libdir" "$scratch/pc_consumer"
# pkg-config hcr-cr: hcr's cr.h first on the include path, a C++ host built
# with it as a cr.h project builds its host.
case "$(pkg-config --cflags hcr-cr)" in "-I$scratch/prefix/lib/pkgconfig/../../include/hcr "*|"-I$scratch/prefix/include/hcr "*) ;;
    *) echo "pkg-config --cflags hcr-cr does not start with include/hcr: $(pkg-config --cflags hcr-cr)"; exit 1 ;; esac
c++ "$src/tests/install/consumer/cr_host.cpp" $(pkg-config --cflags --libs hcr-cr) -o "$scratch/pc_cr_host"
LD_LIBRARY_PATH="$libdir" "$scratch/pc_cr_host"
case "$(pkg-config --variable=plugin_cflags hcr)" in *-fno-optimize-sibling-calls*) ;; *) echo "plugin_cflags lacks -fno-optimize-sibling-calls"; exit 1 ;; esac
case "$(pkg-config --variable=reload_cflags hcr)" in *-fpatchable-function-entry*) ;; *) echo "reload_cflags lacks -fpatchable-function-entry"; exit 1 ;; esac

# Only hcr_ names are exported, never hcr__ internals.
bad=$(nm -D --defined-only "$libdir/libhcr.so" | awk '{print $3}' | grep -v '^hcr_' | grep -v '^_' || true)
internal=$(nm -D --defined-only "$libdir/libhcr.so" | awk '{print $3}' | grep '^hcr__' || true)
if [ -n "$bad$internal" ]; then
    echo "libhcr.so exports more than the API:"; echo "$bad"; echo "$internal"; exit 1
fi
echo "1 passed, 0 failed"
