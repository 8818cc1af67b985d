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
# Lints first: they fail fastest.
cargo clippy --locked --all-targets -- -D warnings
cargo fmt --check
cargo test --locked
