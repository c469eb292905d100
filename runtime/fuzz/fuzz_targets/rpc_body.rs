//! JSON-RPC request bodies, as the public port reads them: whatever arrives, the answer is one
//! valid JSON value (an object, or an array for a batch), and no handler input panics the
//! framing layer. The module echoes its parameters so every call reaches `dispatch`.
#![no_main]

use std::time::Duration;

use keel_rpc::{BodyLimits, Params, RpcError, RpcModule, handle_body};
use libfuzzer_sys::fuzz_target;
use serde_json::value::RawValue;

struct Echo;

impl RpcModule for Echo {
    type Context = ();

    fn begin(&self) -> Result<(), RpcError> {
        Ok(())
    }

    fn dispatch(
        &self,
        _ctx: &(),
        method: &str,
        params: &Params<'_>,
    ) -> Result<Box<RawValue>, RpcError> {
        match method {
            "echo" => {
                let first: serde_json::Value = params.required(0, "value")?;
                let second: Option<u64> = params.optional(1, "number")?;
                let text = serde_json::to_string(&(first, second)).map_err(RpcError::internal)?;
                RawValue::from_string(text).map_err(RpcError::internal)
            }
            _ => Err(RpcError::method_not_found(method)),
        }
    }
}

const LIMITS: BodyLimits = BodyLimits {
    max_batch: 16,
    max_response_bytes: 1 << 16,
    timeout: Duration::from_secs(5),
};

fuzz_target!(|data: &[u8]| {
    let answer = handle_body(&Echo, data, LIMITS);
    let value: serde_json::Value =
        serde_json::from_slice(&answer).expect("the server answered with invalid JSON");
    assert!(value.is_object() || value.is_array(), "answer {value}");
});
