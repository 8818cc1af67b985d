#!/usr/bin/env bash
# The whole test suite: Rust unit and integration tests (which also run every Rego policy
# test), then lints. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
cargo test --locked
cargo clippy --locked --all-targets -- -D warnings
cargo fmt --check
