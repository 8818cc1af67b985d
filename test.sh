#!/usr/bin/env bash
# The whole test suite: lints, then Rust unit and integration tests (which also run every
# Rego policy test). This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")"
# Nothing here reads standard input.
exec </dev/null
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# The HTML report is checked in a real headless browser: Debian's chromium, when we may install it.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
    || echo "test.sh: could not install chromium; the headless HTML test will be skipped" >&2
fi
# The workflow linters (zizmor, check-jsonschema) from PyPI, in a venv under target/; the
# workflow tests require them when KENSA_LINT_TOOLS is set.
lint=target/lint-tools
if [ ! -x "$lint/bin/zizmor" ] || [ ! -x "$lint/bin/check-jsonschema" ]; then
  python3 -m venv "$lint" && "$lint/bin/pip" install --quiet --disable-pip-version-check \
    zizmor==1.32.0 check-jsonschema==0.39.0
fi
export KENSA_LINT_TOOLS="$PWD/$lint/bin"
# Lints first: they fail fastest.
cargo clippy --locked --all-targets -- -D warnings
cargo fmt --check
cargo test --locked
