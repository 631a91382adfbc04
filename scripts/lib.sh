# Shared by scripts/demo and scripts/test: install what is missing, configure and build.
# Source it; it changes nothing until a function is called.

VIGIL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian 12 packages the build, the tests and the demo need.
VIGIL_PACKAGES=(
  g++ meson ninja-build pkg-config
  libboost1.81-dev libmnl-dev libssl-dev libspdlog-dev catch2
  python3 python3-pytest python3-aiosmtpd
  iproute2 iputils-ping procps util-linux psmisc
  keepalived tcpdump
  nginx dnsmasq-base openssl prometheus
  libsnmp-dev snmpd snmptrapd
  clang libclang-rt-14-dev clang-format
)

vigil_install_missing() {
  local missing=() p
  for p in "${VIGIL_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "== all ${#VIGIL_PACKAGES[@]} packages present"
    return 0
  fi
  echo "== installing: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: run as root to install packages (or install them: ${missing[*]})" >&2
    return 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Packages that carry a daemon (nginx) must not start it: the tests start their own servers
  # inside their namespaces. policy-rc.d exiting 101 tells invoke-rc.d not to start services.
  local policy=/usr/sbin/policy-rc.d had_policy=0 rc=0
  [ -e "$policy" ] && had_policy=1
  if [ $had_policy -eq 0 ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
  fi
  apt-get install -y --no-install-recommends "${missing[@]}" ||
    { apt-get update && apt-get install -y --no-install-recommends "${missing[@]}"; } || rc=$?
  [ $had_policy -eq 0 ] && rm -f "$policy"
  return $rc
}

# vigil_configure DIR [meson options...]: configure the build folder once.
vigil_configure() {
  local dir=$1
  shift
  if [ ! -f "$VIGIL_ROOT/$dir/build.ninja" ]; then
    meson setup "$VIGIL_ROOT/$dir" "$VIGIL_ROOT" "$@"
  fi
}

# vigil_build DIR [meson options...]: configure once, then build everything incrementally.
vigil_build() {
  vigil_configure "$@"
  ninja -C "$VIGIL_ROOT/$1"
}
