//! The JSON-RPC 2.0 envelope: requests, responses and positional parameters.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::value::RawValue;

use crate::RpcError;

/// What a method handler returns.
pub(crate) type RpcResult<T> = Result<T, RpcError>;

/// A handler's result as the raw JSON of the response's `result`.
pub(crate) fn json<T: Serialize>(value: T) -> RpcResult<Box<RawValue>> {
    serde_json::value::to_raw_value(&value).map_err(RpcError::internal)
}

/// One call in a request body.
#[derive(Debug, Deserialize)]
pub(crate) struct Request<'a> {
    #[serde(default, borrow)]
    pub(crate) jsonrpc: Option<&'a str>,
    #[serde(default, borrow)]
    pub(crate) id: Option<&'a RawValue>,
    pub(crate) method: String,
    #[serde(default, borrow)]
    pub(crate) params: Option<&'a RawValue>,
}

/// One response.
#[derive(Debug, Serialize)]
pub(crate) struct Response<'a> {
    pub(crate) jsonrpc: &'static str,
    pub(crate) id: &'a RawValue,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) result: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<RpcError>,
}

impl<'a> Response<'a> {
    /// The answer to call `id`: its result, or its error.
    pub(crate) fn new(id: &'a RawValue, outcome: RpcResult<Box<RawValue>>) -> Self {
        let (result, error) = match outcome {
            Ok(result) => (Some(result), None),
            Err(error) => (None, Some(error)),
        };
        Self {
            jsonrpc: "2.0",
            id,
            result,
            error,
        }
    }

    /// About how many bytes the response encodes to: its result's, or a small error's.
    pub(crate) fn len_hint(&self) -> usize {
        self.result
            .as_ref()
            .map_or(128, |result| result.get().len())
            + self.id.get().len()
            + 32
    }
}

/// The `null` id used when a request's id cannot be read.
pub(crate) const NULL_ID: &RawValue = RawValue::NULL;

/// Positional parameters, decoded one at a time so optional trailing ones can be left out.
/// The `params` of one call: positional arguments.
#[derive(Debug)]
pub struct Params<'a> {
    items: Vec<&'a RawValue>,
}

impl<'a> Params<'a> {
    pub(crate) fn parse(raw: Option<&'a RawValue>) -> Result<Self, RpcError> {
        let items = match raw {
            None => Vec::new(),
            Some(raw) => serde_json::from_str::<Vec<&RawValue>>(raw.get())
                .map_err(|_| RpcError::invalid_params("params must be an array"))?,
        };
        Ok(Self { items })
    }

    /// The required parameter at `index`.
    /// Argument `index` (`name` in errors), which must be present.
    pub fn required<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, RpcError> {
        match self.items.get(index) {
            Some(raw) => decode(raw, index, name),
            None => Err(RpcError::invalid_params(format!(
                "missing value for required argument {index} ({name})"
            ))),
        }
    }

    /// The optional parameter at `index` (absent or `null` give `None`).
    /// Argument `index` (`name` in errors); absent or `null` is `None`.
    pub fn optional<T: DeserializeOwned>(
        &self,
        index: usize,
        name: &str,
    ) -> Result<Option<T>, RpcError> {
        match self.items.get(index) {
            Some(raw) if raw.get() != "null" => decode(raw, index, name).map(Some),
            _ => Ok(None),
        }
    }
}

fn decode<T: DeserializeOwned>(raw: &RawValue, index: usize, name: &str) -> Result<T, RpcError> {
    serde_json::from_str(raw.get())
        .map_err(|e| RpcError::invalid_params(format!("argument {index} ({name}): {e}")))
}
