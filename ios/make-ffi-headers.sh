#!/usr/bin/env bash
# Lays out the C headers of the Rust core for the XCFramework: both crates' UniFFI headers in ONE C module
# (AzukariFFIC), read in one translation unit so UniFFI's include guards keep a single RustBuffer, ForeignBytes and
# RustCallStatus; the module names the generated Swift imports (azukari_coreFFI, azukari_ffiFFI) are shims that
# re-export it. (Two separate C modules would each define RustBuffer, and azukari_ffi.swift hands its buffers to
# azukari_core.swift's converters.) Used by build-xcframework.sh on a Mac and checked by scripts/ios-check here.
#
#   ios/make-ffi-headers.sh SWIFT_BINDINGS_DIR OUT_DIR
set -euo pipefail
swift_dir=$1
out=$2
mkdir -p "$out"
cp "$swift_dir/azukari_coreFFI.h" "$swift_dir/azukari_ffiFFI.h" "$out/"
printf '#include "azukari_coreFFI.h"\n#include "azukari_ffiFFI.h"\n' >"$out/AzukariFFIC.h"
printf '#include "AzukariFFIC.h"\n' >"$out/azukari_coreFFI_module.h"
printf '#include "AzukariFFIC.h"\n' >"$out/azukari_ffiFFI_module.h"
cat >"$out/module.modulemap" <<'MODULEMAP'
module AzukariFFIC {
    header "AzukariFFIC.h"
    export *
}
module azukari_coreFFI {
    header "azukari_coreFFI_module.h"
    export *
}
module azukari_ffiFFI {
    header "azukari_ffiFFI_module.h"
    export *
}
MODULEMAP
