//! `uniffi-bindgen`: generates the Kotlin, Swift and Python bindings of `azukari-ffi` (see `bindings/generate.sh`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
