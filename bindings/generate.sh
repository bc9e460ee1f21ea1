#!/usr/bin/env bash
# Generates the Kotlin, Swift and Python bindings of azukari-ffi from the library built here, with the pinned
# uniffi-bindgen (bindings/uniffi-bindgen, uniffi =0.32.2) in library mode.
#
#   bindings/generate.sh                                    regenerate the committed bindings/generated/
#   bindings/generate.sh --out DIR                          generate into DIR instead (the staleness check)
#   bindings/generate.sh --features testing --out DIR --library-dir LIBDIR
#                                                           the test build: bindings with the test-only exports,
#                                                           and the very library they were generated from in LIBDIR
#
# The committed bindings come from the library built without features: the apps never see a test-only export.
# Bindings must be loaded with the library they were generated from (UniFFI checks API checksums at load), so the
# library is copied once, right after it is built, and both generation and --library-dir use that copy.
set -euo pipefail
cd "$(dirname "$0")/.."

out=bindings/generated
features=""
library_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --features) features=$2; shift 2 ;;
        --library-dir) library_dir=$2; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

feature_args=()
if [ -n "$features" ]; then feature_args=(--features "$features"); fi
cargo build --quiet --locked -p uniffi-bindgen
cargo build --quiet --locked -p azukari-ffi "${feature_args[@]}"

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Copy at once: others building in the same target directory may replace the library at any moment.
cp "$target_dir/debug/libazukari_ffi.so" "$work/libazukari_ffi.so"
cp "$target_dir/debug/uniffi-bindgen" "$work/uniffi-bindgen"

rm -rf "$out/kotlin" "$out/swift" "$out/python"
for language in kotlin swift python; do
    "$work/uniffi-bindgen" generate --no-format --library "$work/libazukari_ffi.so" \
        --language "$language" --out-dir "$out/$language" >/dev/null
done
if [ -n "$library_dir" ]; then
    mkdir -p "$library_dir"
    cp "$work/libazukari_ffi.so" "$library_dir/libazukari_ffi.so"
fi
echo "bindings generated in $out${features:+ (features: $features)}"
