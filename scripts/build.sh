#!/bin/sh
# Build Colossus out of tree.
#   scripts/build.sh [BUILD_DIR] [configure options...]
# BUILD_DIR defaults to ./build.  Prints the build directory on success.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
[ $# -gt 0 ] && shift
jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ]; then
	(cd "$src" && autoreconf -fi >/dev/null 2>&1) || { (cd "$src" && autoreconf -fi); exit 1; }
fi
mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ] || [ "$src/configure" -nt config.status ]; then
	"$src/configure" -q "$@"
fi
make -s -j"$jobs" >/dev/null || make -j"$jobs"
echo "$build"
