//! Talking to the L1 node: a provider that names the node in its errors, and [`TxSender`],
//! which lands one transaction at a time with fee bumping.

use std::{
    future::IntoFuture,
    time::{Duration, Instant},
};

use alloy::{
    consensus::{
        SignableTransaction, TxEip1559, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar,
        TxEnvelope,
    },
    eips::{
        Encodable2718, eip4844::BlobTransactionSidecar, eip7594::BlobTransactionSidecarVariant,
    },
    network::TransactionBuilder,
    primitives::{Address, B256, Bytes, TxKind, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{TransactionReceipt, TransactionRequest},
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::SolInterface,
    transports::TransportError,
};
use tracing::{debug, info, warn};

use crate::{CommonBridge, DevVerifier, L1Error, L1Result, OnChainProposer};

/// How often a sent transaction's receipt is asked for.
const RECEIPT_POLL: Duration = Duration::from_millis(250);

/// An L1 JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct L1Client {
    provider: DynProvider,
    url: String,
}

impl L1Client {
    /// A client for `url` (`http://` or `https://`).
    pub fn new(url: &str) -> L1Result<Self> {
        let parsed = url.parse().map_err(|error| {
            L1Error::Mismatch(format!("l1.rpc_url {url:?} is not a URL: {error}"))
        })?;
        let provider = ProviderBuilder::default().connect_http(parsed).erased();
        Ok(Self {
            provider,
            url: url.to_owned(),
        })
    }

    /// The provider, for contract calls.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The number of the L1's finalized block; `None` while it has none (a young chain).
    pub async fn finalized_block(&self) -> L1Result<Option<u64>> {
        let block = self
            .rpc(
                "eth_getBlockByNumber(finalized)",
                self.provider
                    .get_block_by_number(alloy::eips::BlockNumberOrTag::Finalized),
            )
            .await?;
        Ok(block.map(|block| block.header.number))
    }

    /// Awaits `call`, naming the node and `what` in its error.
    pub async fn rpc<T>(
        &self,
        what: &str,
        call: impl IntoFuture<Output = Result<T, TransportError>>,
    ) -> L1Result<T> {
        call.await.map_err(|source| self.error(what, source))
    }

    pub(crate) fn error(&self, what: &str, source: TransportError) -> L1Error {
        L1Error::Rpc {
            url: self.url.clone(),
            what: what.to_owned(),
            source,
        }
    }

    /// Runs a contract view call, naming `what` in its error.
    pub async fn view<T>(
        &self,
        what: &str,
        call: impl IntoFuture<Output = Result<T, alloy::contract::Error>>,
    ) -> L1Result<T> {
        call.await.map_err(|error| self.contract_error(what, error))
    }

    fn contract_error(&self, what: &str, error: alloy::contract::Error) -> L1Error {
        match error {
            alloy::contract::Error::TransportError(source) => match revert_reason(&source) {
                Some(reason) => L1Error::WouldRevert {
                    what: what.to_owned(),
                    reason,
                },
                None => self.error(what, source),
            },
            other => L1Error::UnexpectedAnswer {
                what: what.to_owned(),
                url: self.url.clone(),
                reason: other.to_string(),
            },
        }
    }

    /// The L1 chain id.
    pub async fn chain_id(&self) -> L1Result<u64> {
        self.rpc("eth_chainId", self.provider.get_chain_id()).await
    }
}

/// The custom error a revert carries, decoded against Keel's contracts, or the node's message.
pub(crate) fn revert_reason(error: &TransportError) -> Option<String> {
    let payload = error.as_error_resp()?;
    if let Some(data) = payload.as_revert_data() {
        if let Ok(e) = OnChainProposer::OnChainProposerErrors::abi_decode(&data) {
            return Some(format!("OnChainProposer.{e:?}"));
        }
        if let Ok(e) = CommonBridge::CommonBridgeErrors::abi_decode(&data) {
            return Some(format!("CommonBridge.{e:?}"));
        }
        if let Ok(e) = DevVerifier::DevVerifierErrors::abi_decode(&data) {
            return Some(format!("DevVerifier.{e:?}"));
        }
        return Some(format!("{} (revert data {data})", payload.message));
    }
    payload
        .message
        .contains("revert")
        .then(|| payload.message.to_string())
}

/// How a sender prices its transactions: how much each re-send raises the fees, and the most
/// it ever pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeePolicy {
    /// Each re-send raises every fee cap by this percent (blob transactions: at least 100).
    pub bump_percent: u64,
    /// The most paid per gas, tip included.
    pub max_fee_per_gas: u128,
    /// The most paid per blob gas.
    pub max_fee_per_blob_gas: u128,
}

impl From<&crate::L1Config> for FeePolicy {
    fn from(l1: &crate::L1Config) -> Self {
        Self {
            bump_percent: l1.fee_bump_percent,
            max_fee_per_gas: l1.max_fee_per_gas.into(),
            max_fee_per_blob_gas: l1.max_fee_per_blob_gas.into(),
        }
    }
}

impl FeePolicy {
    /// `fee` raised by `percent` (and at least 1 wei), never above `cap`.
    fn bump(fee: u128, percent: u64, cap: u128) -> u128 {
        (fee.saturating_mul(100 + u128::from(percent)) / 100 + 1).min(cap)
    }
}

/// Sends transactions from one key, one at a time: each is simulated first (a revert is
/// reported and nothing is sent), signed with the account's next nonce, and re-sent with the
/// same nonce and fees raised by the [`FeePolicy`] whenever `timeout` passes without a receipt,
/// up to its caps. Because every attempt shares the nonce, at most one of them can be mined.
#[derive(Debug, Clone)]
pub struct TxSender {
    client: L1Client,
    signer: PrivateKeySigner,
    chain_id: u64,
    timeout: Duration,
    fees: FeePolicy,
}

impl TxSender {
    /// A sender for `key` (hex) on `client`'s chain.
    pub async fn new(
        client: L1Client,
        key: &str,
        timeout: Duration,
        fees: FeePolicy,
    ) -> L1Result<Self> {
        let signer = parse_key(key)?;
        let chain_id = client.chain_id().await?;
        Ok(Self {
            client,
            signer,
            chain_id,
            timeout,
            fees,
        })
    }

    /// The sending account.
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The client.
    pub fn client(&self) -> &L1Client {
        &self.client
    }

    /// The chain id it signs for.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// Deploys `code` (init code with constructor arguments); returns the contract address and
    /// the receipt.
    #[tracing::instrument(name = "sending", skip(self, code), fields(indicatif.pb_show = true))]
    pub async fn deploy(&self, what: &str, code: Bytes) -> L1Result<(Address, TransactionReceipt)> {
        let receipt = self.send(what, TxKind::Create, code, U256::ZERO).await?;
        let address = receipt.contract_address.ok_or_else(|| {
            L1Error::Mismatch(format!("{what}: the receipt names no contract address"))
        })?;
        Ok((address, receipt))
    }

    /// Calls `to` with `input`; returns the receipt of the mined, successful transaction.
    pub async fn call(
        &self,
        what: &str,
        to: Address,
        input: Bytes,
    ) -> L1Result<TransactionReceipt> {
        self.send(what, TxKind::Call(to), input, U256::ZERO).await
    }

    /// Sends `value` wei with `input` to `to`.
    pub async fn send(
        &self,
        what: &str,
        to: TxKind,
        input: Bytes,
        value: U256,
    ) -> L1Result<TransactionReceipt> {
        self.land(
            what,
            Outgoing {
                to,
                input,
                value,
                blobs: None,
            },
        )
        .await
    }

    /// Calls `to` with `input` in a blob (EIP-4844) transaction carrying `blobs`.
    pub async fn call_with_blobs(
        &self,
        what: &str,
        to: Address,
        input: Bytes,
        blobs: BlobTransactionSidecar,
    ) -> L1Result<TransactionReceipt> {
        self.land(
            what,
            Outgoing {
                to: TxKind::Call(to),
                input,
                value: U256::ZERO,
                blobs: Some(blobs),
            },
        )
        .await
    }

    /// Simulates, signs, sends and re-sends `tx` until one attempt is mined (see the type's
    /// docs).
    async fn land(&self, what: &str, tx: Outgoing) -> L1Result<TransactionReceipt> {
        let client = &self.client;
        let provider = client.provider();
        let from = self.address();
        let versioned_hashes = tx
            .blobs
            .as_ref()
            .map(|blobs| blobs.versioned_hashes().collect::<Vec<_>>());
        let mut blob_fee = match &tx.blobs {
            Some(_) => {
                let base = client
                    .rpc("eth_blobBaseFee", provider.get_blob_base_fee())
                    .await?;
                // Room for the blob base fee to rise (it moves up to 12.5% a block).
                base.saturating_mul(2)
                    .max(1)
                    .min(self.fees.max_fee_per_blob_gas)
            }
            None => 0,
        };
        let mut request = TransactionRequest::default()
            .with_from(from)
            .with_input(tx.input.clone())
            .with_value(tx.value);
        request.to = Some(tx.to);
        if let Some(hashes) = &versioned_hashes {
            // So that `blobhash(i)` answers in the simulation as it will on chain.
            request.blob_versioned_hashes = Some(hashes.clone());
            request.max_fee_per_blob_gas = Some(blob_fee);
        }
        let estimate =
            provider.estimate_gas(request).await.map_err(|source| {
                match revert_reason(&source) {
                    Some(reason) => L1Error::WouldRevert {
                        what: what.to_owned(),
                        reason,
                    },
                    None => client.error(&format!("{what} (eth_estimateGas)"), source),
                }
            })?;
        // A margin over the estimate: state can move between estimate and inclusion.
        let gas_limit = estimate.saturating_mul(5) / 4 + 20_000;
        let nonce = client
            .rpc(
                "eth_getTransactionCount",
                provider.get_transaction_count(from).latest(),
            )
            .await?;
        let fees = client
            .rpc("eth_feeHistory", provider.estimate_eip1559_fees())
            .await?;
        let cap = self.fees.max_fee_per_gas;
        let mut max_fee = fees.max_fee_per_gas.min(cap);
        let mut tip = fees.max_priority_fee_per_gas.max(1).min(max_fee);
        // A blob transaction replaces another only with every fee doubled (geth's blob pool).
        let bump_percent = match tx.blobs {
            Some(_) => self.fees.bump_percent.max(100),
            None => self.fees.bump_percent,
        };
        let mut sent: Vec<B256> = Vec::new();
        loop {
            let envelope = self.sign(&tx, nonce, gas_limit, max_fee.max(tip), tip, blob_fee)?;
            let hash = *envelope.tx_hash();
            match provider
                .send_raw_transaction(&envelope.encoded_2718())
                .await
            {
                Ok(_) => {
                    debug!(target: "keel::l1", %what, %hash, nonce, max_fee, tip, blob_fee, "sent");
                    sent.push(hash);
                }
                // Ours is already there (an earlier attempt of this very loop), or the L1
                // node has another of our transactions at this nonce: keep waiting on them.
                Err(error) => {
                    let message = error.to_string();
                    if message.contains("already known")
                        || message.contains("underpriced")
                        || message.contains("nonce too low")
                    {
                        debug!(target: "keel::l1", %what, %hash, %message, "not re-sent");
                    } else {
                        return Err(
                            client.error(&format!("{what} (eth_sendRawTransaction)"), error)
                        );
                    }
                }
            }
            let deadline = Instant::now() + self.timeout;
            while Instant::now() < deadline {
                for hash in &sent {
                    match provider.get_transaction_receipt(*hash).await {
                        Ok(Some(receipt)) => return self.check(what, receipt),
                        Ok(None) => {}
                        Err(error) => {
                            debug!(target: "keel::l1", %what, %error, "receipt query failed; retrying")
                        }
                    }
                }
                if let Ok(mined) = provider.get_transaction_count(from).latest().await
                    && mined > nonce
                {
                    // The nonce is used: by one of ours (its receipt shows up on the next poll)
                    // or by someone else.
                    tokio::time::sleep(RECEIPT_POLL).await;
                    for hash in &sent {
                        if let Ok(Some(receipt)) = provider.get_transaction_receipt(*hash).await {
                            return self.check(what, receipt);
                        }
                    }
                    return Err(L1Error::NonceTaken {
                        what: what.to_owned(),
                        sender: from,
                        nonce,
                    });
                }
                tokio::time::sleep(RECEIPT_POLL).await;
            }
            let before = (max_fee, tip, blob_fee);
            max_fee = FeePolicy::bump(max_fee, bump_percent, cap);
            tip = FeePolicy::bump(tip, bump_percent, max_fee);
            if tx.blobs.is_some() {
                blob_fee = FeePolicy::bump(blob_fee, bump_percent, self.fees.max_fee_per_blob_gas);
            }
            if (max_fee, tip, blob_fee) == before {
                warn!(target: "keel::l1", %what, nonce, max_fee, tip, blob_fee, timeout = ?self.timeout, "not mined in time, and the fees are at their caps (l1.max_fee_per_gas, l1.max_fee_per_blob_gas); waiting at the cap");
            } else {
                warn!(target: "keel::l1", %what, nonce, max_fee, tip, blob_fee, timeout = ?self.timeout, "not mined in time; re-sending with higher fees");
            }
        }
    }

    /// One signed attempt of `tx`: EIP-1559, or EIP-4844 with its sidecar when it has blobs.
    fn sign(
        &self,
        tx: &Outgoing,
        nonce: u64,
        gas_limit: u64,
        max_fee_per_gas: u128,
        max_priority_fee_per_gas: u128,
        max_fee_per_blob_gas: u128,
    ) -> L1Result<TxEnvelope> {
        let Some(sidecar) = &tx.blobs else {
            let unsigned = TxEip1559 {
                chain_id: self.chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas,
                max_priority_fee_per_gas,
                to: tx.to,
                value: tx.value,
                access_list: Default::default(),
                input: tx.input.clone(),
            };
            let signature = self.signer.sign_hash_sync(&unsigned.signature_hash())?;
            return Ok(unsigned.into_signed(signature).into());
        };
        let TxKind::Call(to) = tx.to else {
            return Err(L1Error::Mismatch(
                "a blob transaction cannot create a contract".to_owned(),
            ));
        };
        let unsigned = TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar {
            tx: TxEip4844 {
                chain_id: self.chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas,
                max_priority_fee_per_gas,
                to,
                value: tx.value,
                access_list: Default::default(),
                blob_versioned_hashes: sidecar.versioned_hashes().collect(),
                max_fee_per_blob_gas,
                input: tx.input.clone(),
            },
            sidecar: BlobTransactionSidecarVariant::Eip4844(sidecar.clone()),
        });
        let signature = self.signer.sign_hash_sync(&unsigned.signature_hash())?;
        Ok(TxEnvelope::Eip4844(unsigned.into_signed(signature)))
    }

    fn check(&self, what: &str, receipt: TransactionReceipt) -> L1Result<TransactionReceipt> {
        let block = receipt.block_number.unwrap_or_default();
        if !receipt.status() {
            return Err(L1Error::Reverted {
                what: what.to_owned(),
                tx: receipt.transaction_hash,
                block,
            });
        }
        info!(target: "keel::l1", %what, tx = %receipt.transaction_hash, block, gas_used = receipt.gas_used, "mined");
        Ok(receipt)
    }
}

/// One transaction to land: its call, and the blobs it carries (if any).
#[derive(Debug, Clone)]
struct Outgoing {
    to: TxKind,
    input: Bytes,
    value: U256,
    blobs: Option<BlobTransactionSidecar>,
}

/// Parses a hex private key (`l1.sequencer_key`: a based node also signs its gossiped blocks
/// with it); the error never repeats the key.
pub fn parse_key(key: &str) -> L1Result<PrivateKeySigner> {
    key.trim()
        .parse::<PrivateKeySigner>()
        .map_err(|_| L1Error::Key("expected \"0x\" and 64 hex digits".to_owned()))
}
