#!/usr/bin/env bash
# Installs the system tools the field tests start (real proxies, an OIDC provider, linters) on a fresh
# Debian machine. Idempotent: each tool is installed only when missing. Go binaries go to .tools/bin
# (git-ignored); the tests look for them there. Run by .ci/run before the README's install step.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS_BIN="$PWD/.tools/bin"
mkdir -p "$TOOLS_BIN"

apt_packages=()
# Sections below append to apt_packages or run `go install` into $TOOLS_BIN.

# Field tests (packages/field-tests): the reverse proxies the recipes in docs/proxies configure.
apt_packages+=(nginx caddy)

if ((${#apt_packages[@]} > 0)); then
  missing=()
  for package in "${apt_packages[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
  if ((${#missing[@]} > 0)); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
# Field tests: oauth2-proxy (the authorization service in the recipes) and the OIDC provider in
# field/oidc-provider, built from source by the Go toolchain (modules from the Go module proxy).
# A version stamp per binary makes a changed pin rebuild; otherwise an existing binary is kept.
go_tool() { # name, version stamp, command that builds it into $TOOLS_BIN
  local name=$1 stamp=$2
  shift 2
  if [[ -x "$TOOLS_BIN/$name" && "$(cat "$TOOLS_BIN/.$name.version" 2>/dev/null)" == "$stamp" ]]; then return; fi
  echo "install-tools: building $name ($stamp)"
  "$@"
  echo "$stamp" >"$TOOLS_BIN/.$name.version"
}
# The Go toolchain of the polyglot machine lives in /usr/local/go/bin, which a non-login shell may lack.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then export PATH="$PATH:/usr/local/go/bin"; fi
if command -v go >/dev/null 2>&1; then
  OAUTH2_PROXY_VERSION=v7.15.6
  go_tool oauth2-proxy "$OAUTH2_PROXY_VERSION" \
    env GOBIN="$TOOLS_BIN" go install "github.com/oauth2-proxy/oauth2-proxy/v7@$OAUTH2_PROXY_VERSION"
  provider_stamp=$(cat field/oidc-provider/go.mod field/oidc-provider/go.sum field/oidc-provider/*.go | sha256sum | cut -c1-16)
  go_tool oidc-provider "$provider_stamp" \
    bash -c "cd field/oidc-provider && go build -trimpath -o '$TOOLS_BIN/oidc-provider' ."
else
  echo "install-tools: go is not installed; the field tests will be skipped (they print which tool is missing)" >&2
fi
