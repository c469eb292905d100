//! JSON-RPC errors.

use alloy_primitives::Bytes;
use serde::Serialize;

/// An error object as JSON-RPC 2.0 returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct RpcError {
    /// The error code.
    pub code: i64,
    /// Human-readable message.
    pub message: String,
    /// Extra data (revert output for code 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Bytes>,
}

impl RpcError {
    /// Invalid JSON was received (-32700).
    pub fn parse(message: impl core::fmt::Display) -> Self {
        Self {
            code: -32700,
            message: format!("parse error: {message}"),
            data: None,
        }
    }

    /// The JSON is not a valid request object (-32600).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self {
            code: -32600,
            message: message.into(),
            data: None,
        }
    }

    /// The method does not exist (-32601).
    pub fn method_not_found(method: &str) -> Self {
        Self {
            code: -32601,
            message: format!("the method {method} does not exist/is not available"),
            data: None,
        }
    }

    /// Invalid method parameters (-32602).
    pub fn invalid_params(message: impl core::fmt::Display) -> Self {
        Self {
            code: -32602,
            message: format!("invalid params: {message}"),
            data: None,
        }
    }

    /// The request lacks a valid JWT (admin API).
    pub fn unauthorized(message: impl core::fmt::Display) -> Self {
        Self {
            code: -32001,
            message: format!("unauthorized: {message}"),
            data: None,
        }
    }

    /// A server-side failure (-32603).
    pub fn internal(message: impl core::fmt::Display) -> Self {
        Self {
            code: -32603,
            message: format!("internal error: {message}"),
            data: None,
        }
    }

    /// A transaction was rejected, or a call could not run (-32000, geth's generic code).
    pub fn server(message: impl core::fmt::Display) -> Self {
        Self {
            code: -32000,
            message: message.to_string(),
            data: None,
        }
    }

    /// A request went over one of the server's limits (-32005, EIP-1474 "limit exceeded").
    pub fn limit_exceeded(message: impl core::fmt::Display) -> Self {
        Self {
            code: -32005,
            message: message.to_string(),
            data: None,
        }
    }

    /// A call reverted (code 3 with the revert data, as geth).
    pub fn reverted(output: Bytes) -> Self {
        let message = match alloy_sol_types::decode_revert_reason(&output) {
            Some(reason) => format!("execution reverted: {reason}"),
            None => "execution reverted".to_owned(),
        };
        Self {
            code: 3,
            message,
            data: Some(output),
        }
    }
}

impl From<keel_storage::StorageError> for RpcError {
    fn from(e: keel_storage::StorageError) -> Self {
        match e {
            // The caller's request, not the node, is what cannot be served.
            keel_storage::StorageError::StatePruned { .. } => Self::server(e),
            e => Self::internal(e),
        }
    }
}
