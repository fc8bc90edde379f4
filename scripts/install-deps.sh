#!/bin/sh
# Install what building, testing and running Colossus needs on Debian 12,
# skipping the package index update when nothing is missing.
set -eu
PKGS="build-essential autoconf automake libtool pkg-config \
libevent-dev libprotobuf-c-dev protobuf-c-compiler libpq-dev libssl-dev \
postgresql openssl procps prometheus chromium chromium-driver curl jq \
clang libclang-rt-14-dev valgrind \
${EXTRA_PKGS:-}"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
