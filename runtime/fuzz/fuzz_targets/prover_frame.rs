//! Prover protocol frames, as the coordinator reads them from any peer that connects: decoding
//! never panics, respects the length limit, and what decodes re-encodes to the same frame.
#![no_main]

use keel_coordinator::protocol::{FrameCodec, encode_frame};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let codec = FrameCodec::new(1 << 16);
    if let Ok((message, used)) = codec.decode(data) {
        assert!(used <= data.len());
        let frame = encode_frame(&message).expect("a decoded message encodes");
        assert_eq!(frame, &data[..used], "frame does not round-trip: {message:?}");
    }
});
