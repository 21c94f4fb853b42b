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

# `trusted-proxy-auth serve` behind real nginx auth_request and Caddy forward_auth (packages/serve/test/real-proxies.test.ts).
apt_packages+=(nginx caddy)

if ((${#apt_packages[@]} > 0)); then
  missing=()
  for package in "${apt_packages[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
  if ((${#missing[@]} > 0)); then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi
