//! Batch data on L1: the EIP-4844 sidecar that posts a batch's frame, and the beacon API
//! that serves the blobs back.

use std::{sync::Arc, time::Duration};

use alloy::{
    eips::eip4844::{Blob, BlobTransactionSidecar},
    primitives::B256,
};
use keel_da::{DaError, Frame};

use crate::{L1Error, L1Result};

/// The sidecar (alloy's type) that posts `frame`: its blobs, their KZG commitments and blob
/// proofs. Costs a few milliseconds of CPU per blob: call it off the async workers.
pub fn blob_sidecar(frame: &Frame) -> Result<BlobTransactionSidecar, DaError> {
    let sidecar = keel_da::sidecar(frame)?;
    Ok(BlobTransactionSidecar {
        blobs: sidecar
            .blobs
            .iter()
            .map(|blob| Blob::from_slice(&blob.0[..]))
            .collect(),
        commitments: sidecar.commitments,
        proofs: sidecar.proofs,
    })
}

/// How the beacon node's API names the block whose blobs are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BeaconBlockId {
    /// The beacon slot (a real L1): `(block timestamp − genesis time) / 12`, with the genesis
    /// time read from `/eth/v1/beacon/genesis`.
    #[default]
    Slot,
    /// The execution block number (what anvil serves).
    Number,
}

/// Seconds per beacon slot on every public Ethereum network since the merge.
const SECONDS_PER_SLOT: u64 = 12;

/// The blobs of L1 blocks, from a beacon node's standard API
/// (`GET /eth/v1/beacon/blobs/{block_id}`).
///
/// Blobs are checked here, not trusted: each one returned is committed to (c-kzg) and kept only
/// if its versioned hash is one asked for. A beacon node keeps blobs about 18 days; an older
/// batch needs an archive that serves the same API.
#[derive(Debug, Clone)]
pub struct BlobSource {
    http: reqwest::Client,
    url: String,
    block_id: BeaconBlockId,
    genesis_time: Arc<tokio::sync::OnceCell<u64>>,
}

#[derive(serde::Deserialize)]
struct BlobsResponse {
    data: Vec<String>,
}

#[derive(serde::Deserialize)]
struct GenesisResponse {
    data: GenesisData,
}

#[derive(serde::Deserialize)]
struct GenesisData {
    #[serde(with = "alloy::serde::displayfromstr")]
    genesis_time: u64,
}

impl BlobSource {
    /// A source reading `url` (the beacon API's base, e.g. `http://127.0.0.1:5052`), naming
    /// blocks by `block_id`.
    pub fn new(url: &str, block_id: BeaconBlockId) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            url: url.trim_end_matches('/').to_owned(),
            block_id,
            genesis_time: Arc::default(),
        }
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> L1Result<T> {
        let url = format!("{}{path}", self.url);
        let error = |reason: String| L1Error::Beacon {
            url: url.clone(),
            reason,
        };
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| error(e.to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| error(e.to_string()))?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            return Err(error(format!("HTTP {status}: {text}")));
        }
        serde_json::from_slice(&body).map_err(|e| error(format!("unexpected answer: {e}")))
    }

    /// The beacon block id of the L1 block `number` made at `timestamp`.
    async fn block_id(&self, number: u64, timestamp: u64) -> L1Result<u64> {
        match self.block_id {
            BeaconBlockId::Number => Ok(number),
            BeaconBlockId::Slot => {
                let genesis = self
                    .genesis_time
                    .get_or_try_init(|| async {
                        let genesis: GenesisResponse = self.get("/eth/v1/beacon/genesis").await?;
                        Ok::<_, L1Error>(genesis.data.genesis_time)
                    })
                    .await?;
                Ok(timestamp.saturating_sub(*genesis) / SECONDS_PER_SLOT)
            }
        }
    }

    /// The blobs with `versioned_hashes`, in that order, from the L1 block `number` made at
    /// `timestamp`. A blob missing from the answer is [`L1Error::MissingBlob`].
    pub async fn blobs(
        &self,
        number: u64,
        timestamp: u64,
        versioned_hashes: &[B256],
    ) -> L1Result<Vec<keel_da::Blob>> {
        let id = self.block_id(number, timestamp).await?;
        let path = format!("/eth/v1/beacon/blobs/{id}");
        let response: BlobsResponse = self.get(&path).await?;
        let url = format!("{}{path}", self.url);
        let wanted = versioned_hashes.to_vec();
        // Decoding and committing to a blob takes milliseconds of CPU each.
        let found = tokio::task::spawn_blocking(move || {
            let mut found: Vec<Option<keel_da::Blob>> = vec![None; wanted.len()];
            for hex in response.data {
                let bytes = alloy::hex::decode(hex.trim()).map_err(|e| e.to_string())?;
                let blob = keel_da::Blob::from_slice(&bytes).map_err(|e| e.to_string())?;
                let hash = keel_da::blob_versioned_hash(&blob).map_err(|e| e.to_string())?;
                if let Some(slot) = wanted.iter().position(|w| *w == hash) {
                    found[slot] = Some(blob);
                }
            }
            Ok::<_, String>(found)
        })
        .await
        .map_err(|_| L1Error::ShuttingDown)?
        .map_err(|reason| L1Error::Beacon {
            url: url.clone(),
            reason: format!("a blob in the answer is malformed: {reason}"),
        })?;
        found
            .into_iter()
            .zip(versioned_hashes)
            .map(|(blob, hash)| {
                blob.ok_or_else(|| L1Error::MissingBlob {
                    url: url.clone(),
                    block: number,
                    versioned_hash: *hash,
                })
            })
            .collect()
    }
}
