#!/usr/bin/env bash
# Installs a released kensa binary: downloads the archive for this machine and the release's
# SHA256SUMS, verifies the archive against it, and unpacks the binary into DEST/bin.
#
#   scripts/install.sh VERSION DEST        e.g. scripts/install.sh v0.2.0 "$HOME/.local"
#
# Exit status: 0 installed; 2 no release VERSION (or no build for this machine) — the GitHub
# Action then builds from source; 1 anything else, a checksum mismatch included (a tampered
# or truncated download is never replaced by a build without a word).
# KENSA_RELEASE_URL overrides where releases are read (default: GitHub releases of
# KENSA_REPO, itself defaulting to the upstream repository).
set -euo pipefail

version="${1:?usage: install.sh VERSION DEST}"
dest="${2:?usage: install.sh VERSION DEST}"
repo="${KENSA_REPO:-kensa-dev/kensa}"
base="${KENSA_RELEASE_URL:-https://github.com/$repo/releases/download}"

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) target=x86_64-unknown-linux-musl ;;
  Linux-aarch64 | Linux-arm64) target=aarch64-unknown-linux-musl ;;
  Darwin-arm64) target=aarch64-apple-darwin ;;
  Darwin-x86_64) target=x86_64-apple-darwin ;;
  MINGW* | MSYS* | CYGWIN*) target=x86_64-pc-windows-msvc ;;
  *)
    echo "kensa install: no release build for $(uname -s) $(uname -m)" >&2
    exit 2
    ;;
esac
archive="kensa-$version-$target.tar.gz"
[ "$target" = x86_64-pc-windows-msvc ] && archive="kensa-$version-$target.zip"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Prints the HTTP status; the body goes to $2.
fetch() {
  curl --silent --show-error --location --retry 3 --connect-timeout 10 --max-time 300 \
    --output "$2" --write-out '%{http_code}' "$1" || true
}

status="$(fetch "$base/$version/SHA256SUMS" "$work/SHA256SUMS")"
if [ "$status" = 404 ]; then
  echo "kensa install: no release $version at $base" >&2
  exit 2
elif [ "$status" != 200 ]; then
  echo "kensa install: $base/$version/SHA256SUMS: HTTP $status" >&2
  exit 1
fi
expected="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")"
if [ -z "$expected" ]; then
  echo "kensa install: release $version has no $archive" >&2
  exit 2
fi
status="$(fetch "$base/$version/$archive" "$work/$archive")"
if [ "$status" != 200 ]; then
  echo "kensa install: $base/$version/$archive: HTTP $status" >&2
  exit 1
fi
if command -v sha256sum >/dev/null 2>&1; then
  actual="$(sha256sum "$work/$archive" | awk '{ print $1 }')"
else
  actual="$(shasum -a 256 "$work/$archive" | awk '{ print $1 }')"
fi
if [ "$actual" != "$expected" ]; then
  echo "kensa install: checksum mismatch for $archive: expected $expected, got $actual" >&2
  exit 1
fi
mkdir -p "$work/unpacked" "$dest/bin"
case "$archive" in
  *.zip) unzip -q "$work/$archive" -d "$work/unpacked" ;;
  *) tar -xzf "$work/$archive" -C "$work/unpacked" ;;
esac
binary="$(find "$work/unpacked" -type f \( -name kensa -o -name kensa.exe \) | head -n 1)"
if [ -z "$binary" ]; then
  echo "kensa install: $archive holds no kensa binary" >&2
  exit 1
fi
install -m 0755 "$binary" "$dest/bin/"
echo "kensa $version ($target) installed in $dest/bin, SHA-256 verified"
