#!/usr/bin/env bash
# Builds the Rust core for iOS as ios/Frameworks/AzukariFFI.xcframework and copies the generated Swift bindings
# into ios/Generated/, so the Swift package (ios/Package.swift) and the app (ios/App/Azukari.xcodeproj) build.
# Runs on a Mac with Xcode and rustup; nothing here runs on Linux.
#
#   ios/build-xcframework.sh             the app's library (profile release-ffi) and the committed bindings
#   ios/build-xcframework.sh --testing   the test build (feature `testing`: fast KDF, test clock, test card
#                                        certificates) and bindings generated from it, for `xcodebuild test`
#
# Then, from ios/:
#   xcodebuild test -scheme Azukari-Package -destination 'platform=iOS Simulator,name=iPhone 16'
set -euo pipefail
cd "$(dirname "$0")/.."

testing=""
case "${1:-}" in
    --testing) testing=1 ;;
    "") ;;
    *) echo "usage: ios/build-xcframework.sh [--testing]" >&2; exit 2 ;;
esac

if [ "$(uname)" != "Darwin" ] || ! command -v xcodebuild >/dev/null 2>&1; then
    echo "build-xcframework.sh needs macOS with Xcode (xcodebuild); this is $(uname)" >&2
    exit 1
fi

targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "${targets[@]}"

if [ -n "$testing" ]; then
    profile=dev
    profile_dir=debug
    features=(--features testing)
else
    profile=release-ffi
    profile_dir=release-ffi
    features=()
fi

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
for target in "${targets[@]}"; do
    # The iOS deployment target matches Package.swift (iOS 16).
    IPHONEOS_DEPLOYMENT_TARGET=16.0 cargo build --locked --profile "$profile" -p azukari-ffi --target "$target" \
        "${features[@]}"
done

out=ios/Frameworks
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The Swift bindings: the committed ones for the app; for the tests, generated from a host build of the very same
# crate and features (UniFFI checks the API checksums when the library loads).
if [ -n "$testing" ]; then
    cargo build --locked -p uniffi-bindgen
    cargo build --locked -p azukari-ffi --features testing
    "$target_dir/debug/uniffi-bindgen" generate --no-format --library "$target_dir/debug/libazukari_ffi.dylib" \
        --language swift --out-dir "$work/swift" >/dev/null
    swift_dir=$work/swift
else
    swift_dir=bindings/generated/swift
fi

# Headers: both crates' C declarations in one C module that azukari_coreFFI and azukari_ffiFFI re-export.
ios/make-ffi-headers.sh "$swift_dir" "$work/headers"

# One static library per platform: the device, and both simulator architectures in one fat library.
mkdir -p "$work/ios" "$work/sim"
cp "$target_dir/aarch64-apple-ios/$profile_dir/libazukari_ffi.a" "$work/ios/"
lipo -create \
    "$target_dir/aarch64-apple-ios-sim/$profile_dir/libazukari_ffi.a" \
    "$target_dir/x86_64-apple-ios/$profile_dir/libazukari_ffi.a" \
    -output "$work/sim/libazukari_ffi.a"

rm -rf "$out/AzukariFFI.xcframework"
mkdir -p "$out"
xcodebuild -create-xcframework \
    -library "$work/ios/libazukari_ffi.a" -headers "$work/headers" \
    -library "$work/sim/libazukari_ffi.a" -headers "$work/headers" \
    -output "$out/AzukariFFI.xcframework"

cp "$swift_dir/azukari_core.swift" ios/Generated/azukari_core/azukari_core.swift
cp "$swift_dir/azukari_ffi.swift" ios/Generated/azukari_ffi/azukari_ffi.swift
echo "ios/Frameworks/AzukariFFI.xcframework and ios/Generated/ are ready${testing:+ (test build)}"
