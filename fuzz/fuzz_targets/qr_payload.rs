//! Whatever a phone camera reads: `LabelPayload::parse` must return a payload or a typed error — never crash,
//! hang or allocate without bound.
#![no_main]

use azukari_core::qr::LabelPayload;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = LabelPayload::parse(text);
    }
});
