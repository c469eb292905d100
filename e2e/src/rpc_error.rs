//! Pulling the JSON-RPC error object (and revert reasons) out of alloy's errors.

use std::fmt;

use alloy::{
    contract,
    primitives::Bytes,
    sol_types::{Revert, SolError},
    transports::{RpcError, TransportErrorKind},
};
use eyre::{bail, eyre};

/// The error object of a JSON-RPC error response, as the node sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcErrorObject {
    /// `code`.
    pub code: i64,
    /// `message`.
    pub message: String,
    /// `data`, raw JSON, if present.
    pub data: Option<String>,
    /// Revert data found in `data` (when `message` mentions a revert), as alloy extracts it.
    pub revert_data: Option<Bytes>,
}

impl fmt::Display for RpcErrorObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{\"code\":{},\"message\":{:?}", self.code, self.message)?;
        if let Some(data) = &self.data {
            write!(f, ",\"data\":{data}")?;
        }
        write!(f, "}}")
    }
}

/// The JSON-RPC error object of a failed request. Fails if the request failed for another reason
/// (transport error, timeout, undecodable response): the node must answer with an error object.
pub fn error_object(err: &RpcError<TransportErrorKind>) -> eyre::Result<RpcErrorObject> {
    let payload = err
        .as_error_resp()
        .ok_or_else(|| eyre!("expected a JSON-RPC error response from keel, got: {err}"))?;
    Ok(RpcErrorObject {
        code: payload.code,
        message: payload.message.to_string(),
        data: payload.data.as_ref().map(|d| d.get().to_owned()),
        revert_data: payload.as_revert_data(),
    })
}

/// Like [`error_object`] for the error of a contract call.
pub fn contract_error_object(err: &contract::Error) -> eyre::Result<RpcErrorObject> {
    match err {
        contract::Error::TransportError(err) => error_object(err),
        other => bail!("expected a JSON-RPC error response from keel, got: {other}"),
    }
}

/// Checks that a request failed with a JSON-RPC error whose message contains `needle`, and
/// returns the error object.
pub fn expect_error_containing<T: fmt::Debug>(
    result: Result<T, RpcError<TransportErrorKind>>,
    needle: &str,
) -> eyre::Result<RpcErrorObject> {
    let err = match result {
        Ok(value) => {
            bail!("expected an error containing {needle:?}, but the request succeeded: {value:?}")
        }
        Err(err) => err,
    };
    let object = error_object(&err)?;
    if !object.message.contains(needle) {
        bail!("expected an error message containing {needle:?}, got {object}");
    }
    Ok(object)
}

/// The `Error(string)` reason of a reverted `eth_call` / `eth_estimateGas`: the error's message
/// must mention the revert and its `data` must hold the ABI-encoded `Error(string)`, as geth
/// answers (`{"code":3,"message":"execution reverted: <reason>","data":"0x08c379a0…"}`).
pub fn revert_reason(object: &RpcErrorObject) -> eyre::Result<String> {
    let data = object
        .revert_data
        .as_ref()
        .ok_or_else(|| eyre!("expected a revert error carrying revert data, got {object}"))?;
    let revert = Revert::abi_decode(data)
        .map_err(|e| eyre!("revert data {data} of {object} is not an Error(string): {e}"))?;
    Ok(revert.reason)
}
