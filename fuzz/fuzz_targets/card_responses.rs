//! A hostile or broken card: every response APDU comes from the fuzzer. `read_card` must return a result or a
//! typed error — never crash, hang or allocate without bound — whatever the tag answers.
#![no_main]

use azukari_core::card::{CardTransceiver, TransceiveError, read_card};
use libfuzzer_sys::fuzz_target;

/// A card whose answers are slices of the fuzz input: a length byte, then that many response bytes.
struct FuzzedCard<'a> {
    script: &'a [u8],
}

impl CardTransceiver for FuzzedCard<'_> {
    fn transceive(&mut self, _apdu: &[u8]) -> Result<Vec<u8>, TransceiveError> {
        let Some((&length, rest)) = self.script.split_first() else {
            return Err(TransceiveError::TagLost);
        };
        let length = usize::from(length).min(rest.len());
        let (response, rest) = rest.split_at(length);
        self.script = rest;
        Ok(response.to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = read_card(&mut FuzzedCard { script: data });
});
