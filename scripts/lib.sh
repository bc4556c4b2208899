# Shared by scripts/run and scripts/test: the Debian 12 packages sipuad
# needs, installed only when missing, and the out-of-tree builds.
# shellcheck shell=bash

BUILD_DEPS=(build-essential autoconf automake pkg-config
	libevent-dev libosip2-dev libsrtp2-dev libjansson-dev libinih-dev
	libssl-dev libc-ares-dev libsndfile1-dev libsamplerate0-dev libspandsp-dev
	libsystemd-dev check)
TEST_DEPS=(sip-tester sipsak baresip kamailio kamailio-tls-modules openssl dnsmasq-base python3 clang libclang-rt-14-dev mandoc man-db
	procps util-linux iproute2 systemd tcpdump)

# install_pkgs PKG...: apt-get install those not installed yet.
install_pkgs() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# bootstrap: generate configure when it is missing or older than its inputs.
bootstrap() {
	if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
		mkdir -p m4
		autoreconf -fi
	fi
}

# build DIR [CONFIGURE_ARGS...]: configure (once) and make in DIR.
build() {
	local dir=$1
	shift
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ configure -nt "$dir/Makefile" ]; then
		(cd "$dir" && ../configure -q "$@")
	fi
	make -s -C "$dir" -j"$(nproc)"
}
