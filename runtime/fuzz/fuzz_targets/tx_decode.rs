//! Transaction bytes, as `eth_sendRawTransaction` and batch payloads carry them: decoding never
//! panics, and what decodes re-encodes to the same bytes (one encoding per transaction).
#![no_main]

use alloy_consensus::TxEnvelope;
use alloy_eips::{Decodable2718, Encodable2718};
use keel_primitives::KeelTx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut buf = data;
    if let Ok(tx) = KeelTx::decode_2718(&mut buf) {
        let used = data.len() - buf.len();
        assert_eq!(tx.encoded_2718(), &data[..used], "KeelTx does not round-trip");
    }
    let mut buf = data;
    if let Ok(tx) = TxEnvelope::decode_2718(&mut buf) {
        let used = data.len() - buf.len();
        assert_eq!(tx.encoded_2718(), &data[..used], "TxEnvelope does not round-trip");
        // Signature recovery on hostile input must fail cleanly, never panic.
        let _ = alloy_consensus::transaction::SignerRecoverable::recover_signer(&tx);
    }
});
