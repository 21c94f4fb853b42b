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

# The Go toolchain of the polyglot machine lives in /usr/local/go/bin, which a non-login shell may lack.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then export PATH="$PATH:/usr/local/go/bin"; fi

# Field tests (packages/field-tests): the reverse proxies the recipes in docs/proxies configure.
apt_packages+=(nginx caddy)

# The enrollment page's browser tests (packages/demo/test/enrollment-browser.test.ts) drive Debian's Chromium
# through playwright-core (no browser download); the suite skips without /usr/bin/chromium.
apt_packages+=(chromium)

# actionlint lints .github/workflows (packages/smoke/test/workflows.test.ts; the test skips without it).
ACTIONLINT_VERSION=v1.7.12
if ! { [[ -x "$TOOLS_BIN/actionlint" ]] && "$TOOLS_BIN/actionlint" -version | grep -qx "$ACTIONLINT_VERSION"; }; then
  if command -v go >/dev/null 2>&1; then
    GOBIN="$TOOLS_BIN" go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
  else
    echo "install-tools: no go on PATH, so no actionlint (the workflow lint test will skip)" >&2
  fi
fi

# Node 22 and 24 beside the Node 20 that runs npm: the core and adapter suites run on every supported major
# (packages/smoke/test/node-versions.test.ts). The official binaries come from the npm packages
# node-<platform>-<arch> (what the `node` package installs, without its install script).
node_platform="$(node -p 'process.platform + "-" + process.arch')"
for major in 22 24; do
  node_dir="$PWD/.tools/node/$major"
  if [[ ! -x "$node_dir/bin/node" ]]; then
    npm install --prefix "$node_dir/package" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
      "node-$node_platform@$major"
    mkdir -p "$node_dir/bin"
    ln -sf "$node_dir/package/node_modules/node-$node_platform/bin/node" "$node_dir/bin/node"
  fi
done

if ((${#apt_packages[@]} > 0)); then
  missing=()
  for package in "${apt_packages[@]}"; do dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package"); done
  if ((${#missing[@]} > 0)); then
    # CI runners are not root; this machine is.
    sudo=()
    if [[ "$(id -u)" != 0 ]]; then sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
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
if command -v go >/dev/null 2>&1; then
  OAUTH2_PROXY_VERSION=v7.15.6
  go_tool oauth2-proxy "$OAUTH2_PROXY_VERSION" \
    env GOBIN="$TOOLS_BIN" go install "github.com/oauth2-proxy/oauth2-proxy/v7@$OAUTH2_PROXY_VERSION"
  provider_stamp=$(cat field/oidc-provider/go.mod field/oidc-provider/go.sum field/oidc-provider/*.go | sha256sum | cut -c1-16)
  go_tool oidc-provider "$provider_stamp" \
    bash -c "cd field/oidc-provider && go build -trimpath -o '$TOOLS_BIN/oidc-provider' ."
  # Wycheproof's JOSE vectors (docs/wycheproof.md): the C2SP/wycheproof repository at a pinned commit, as the Go
  # module proxy serves it (the Go standard library's own tests take it the same way). .tools/wycheproof links to
  # the module cache's read-only copy, licence included; the test runners look there after ../shared/wycheproof.
  WYCHEPROOF_MODULE=github.com/C2SP/wycheproof@v0.0.0-20250901140545-b51abcfb8daf
  if [[ "$(cat .tools/.wycheproof.version 2>/dev/null)" != "$WYCHEPROOF_MODULE" || ! -f .tools/wycheproof/testvectors_v1/json_web_signature_test.json ]]; then
    echo "install-tools: downloading $WYCHEPROOF_MODULE"
    wycheproof_dir=$(cd "$TOOLS_BIN" && GOFLAGS=-mod=mod go mod download -json "$WYCHEPROOF_MODULE" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    if [[ -f "$wycheproof_dir/testvectors_v1/json_web_signature_test.json" ]]; then
      ln -sfn "$wycheproof_dir" .tools/wycheproof
      echo "$WYCHEPROOF_MODULE" >.tools/.wycheproof.version
    else
      echo "install-tools: $WYCHEPROOF_MODULE has no testvectors_v1; the Wycheproof tests will be skipped" >&2
    fi
  fi
else
  echo "install-tools: go is not installed; the field tests will be skipped (they print which tool is missing)" >&2
fi
