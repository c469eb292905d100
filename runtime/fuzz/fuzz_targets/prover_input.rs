//! Prover inputs, as a prover (and the OpenVM guest) reads them: decoding never panics, and
//! what decodes re-encodes to the same bytes, so a proof is of one input only.
#![no_main]

use keel_stf::ProverInput;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = ProverInput::decode(data) {
        assert_eq!(input.encode(), data, "ProverInput does not round-trip");
    }
});
