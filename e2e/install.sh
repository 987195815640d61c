#!/usr/bin/env bash
# Installs what the end-to-end tests need, offline apart from the npm registry and Debian apt:
#   - Debian's chromium and the build tools code-server's native modules compile with (apt, when
#     missing and running as root);
#   - code-server 4.100.3 (the last release on Node 20) from npm into .code-server/.
# Idempotent: does nothing when both are present. The workarounds are those recorded in
# docs of the recipe (shared/reference/code-server-e2e.md): each one otherwise makes
# `npm install code-server` fail or reach for the network.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CS_VERSION=4.100.3
PREFIX=$ROOT/.code-server
CS_BIN=$PREFIX/node_modules/.bin/code-server

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x "${CHROMIUM_PATH:-/nonexistent}" ] || need_apt+=(chromium)
installed_cs=$(node -p "try{require('$PREFIX/node_modules/code-server/package.json').version}catch{''}" 2>/dev/null || true)
if [ "$installed_cs" != "$CS_VERSION" ]; then
  command -v rg >/dev/null 2>&1 || need_apt+=(ripgrep)
  command -v g++ >/dev/null 2>&1 || need_apt+=(build-essential)
  command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
  [ -e /usr/include/krb5.h ] || [ -e /usr/include/gssapi/gssapi.h ] || need_apt+=(libkrb5-dev)
  command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "e2e/install.sh: missing ${need_apt[*]}; install them with apt (needs root)" >&2
    exit 2
  fi
  echo "e2e/install.sh: apt-get install ${need_apt[*]}" >&2
  lock=()
  command -v flock >/dev/null 2>&1 && lock=(flock /tmp/tunelab-apt.lock)
  "${lock[@]}" apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

if [ "$installed_cs" = "$CS_VERSION" ]; then
  echo "e2e/install.sh: code-server $CS_VERSION already in .code-server/" >&2
  exit 0
fi

started=$(date +%s)
rm -rf "$PREFIX"
mkdir -p "$PREFIX"
echo '{"private":true}' > "$PREFIX/package.json"

# @vscode/ripgrep's postinstall downloads rg from GitHub; seed its cache with Debian's rg instead.
# The cache folder and asset names follow @vscode/ripgrep 1.15.11 (VS Code 1.100's pin).
SEED=$(mktemp -d)
trap 'rm -rf "$SEED"' EXIT
RG_CACHE=$SEED/vscode-ripgrep-cache-1.15.11
mkdir -p "$RG_CACHE/stage"
cp "$(command -v rg)" "$RG_CACHE/stage/rg"
for target in x86_64-unknown-linux-musl aarch64-unknown-linux-musl; do
  tar -C "$RG_CACHE/stage" -czf "$RG_CACHE/ripgrep-v13.0.0-10-$target.tar.gz" rg
done

NODE_PREFIX=$(dirname "$(dirname "$(command -v node)")")
# unsafe_perm: code-server's postinstall refuses root without it; yes: node-pty runs `npx node-gyp`;
# nodedir: node-gyp would otherwise download headers from nodejs.org.
(
  cd "$PREFIX"
  TMPDIR=$SEED npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir="$NODE_PREFIX" \
    npm install --no-audit --no-fund --loglevel=error "code-server@$CS_VERSION"
)
HOME=$SEED XDG_CONFIG_HOME=$SEED/xdg XDG_DATA_HOME=$SEED/xdg "$CS_BIN" --version --config "$SEED/config.yaml" --user-data-dir "$SEED/ud" --extensions-dir "$SEED/ext" >/dev/null
echo "e2e/install.sh: code-server $CS_VERSION installed in $(( $(date +%s) - started )) s" >&2
