//! Ordering-policy plugins: which pooled transactions go into a block, in what order.

use std::path::Path;

use crate::{
    PluginEngine, PluginError, PluginId, PluginLimits, PluginResult,
    invariants::{OrderingViolation, SenderNonce, check_ordering},
    store::{HostState, Loaded},
};
use alloy_primitives::Address;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit/v0.1.0",
        world: "ordering-policy",
    });
}

use bindings::{OrderingPolicyPre, exports::keel::plugins::ordering::BlockContext};

/// Size of one packed candidate record (see `wit/v0.1.0/ordering.wit`).
pub const CANDIDATE_BYTES: usize = 128;

/// One candidate as the host describes it to an ordering plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Transaction hash.
    pub hash: [u8; 32],
    /// Sender.
    pub sender: Address,
    /// Nonce.
    pub nonce: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Max fee per gas (legacy: gas price).
    pub max_fee: u128,
    /// Max priority fee per gas (legacy: gas price).
    pub max_priority_fee: u128,
    /// Encoded size, bytes.
    pub size: u32,
    /// EIP-2718 type.
    pub tx_type: u8,
    /// Arrival sequence in the pool.
    pub arrival: u64,
}

impl Candidate {
    /// Appends the packed 128-byte record.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.hash);
        out.extend_from_slice(self.sender.as_slice());
        out.extend_from_slice(&self.nonce.to_le_bytes());
        out.extend_from_slice(&self.gas_limit.to_le_bytes());
        out.extend_from_slice(&self.max_fee.to_le_bytes());
        out.extend_from_slice(&self.max_priority_fee.to_le_bytes());
        out.extend_from_slice(&self.size.to_le_bytes());
        out.push(self.tx_type);
        out.extend_from_slice(&[0; 7]);
        out.extend_from_slice(&self.arrival.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
    }
}

/// The block an ordering is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderingContext {
    /// Block number.
    pub number: u64,
    /// Timestamp.
    pub timestamp: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Base fee.
    pub base_fee: u64,
}

/// What an ordering call produced once the host checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordering {
    /// Candidate indices to execute, in order; every invariant holds.
    pub order: Vec<usize>,
    /// Entries the host dropped, with the reason.
    pub dropped: Vec<OrderingViolation>,
}

/// A compiled ordering plugin, ready to instantiate once per block.
#[derive(Debug)]
pub struct OrderingPlugin(pub(crate) Loaded<OrderingPolicyPre<HostState>>);

impl OrderingPlugin {
    /// Compiles `bytes` (named `origin` in errors) and checks it implements `ordering-policy`.
    pub fn new(
        engine: &PluginEngine,
        origin: &Path,
        id: PluginId,
        bytes: &[u8],
        limits: PluginLimits,
        settings: Vec<(String, String)>,
    ) -> PluginResult<Self> {
        Loaded::new(
            engine,
            origin,
            "ordering-policy",
            id,
            bytes,
            limits,
            settings,
            OrderingPolicyPre::new,
        )
        .map(Self)
    }

    /// The plugin's identity.
    pub fn id(&self) -> &PluginId {
        self.0.id()
    }

    /// Asks the plugin for an order of `candidates` and checks it: out-of-range, repeated and
    /// nonce-breaking entries are dropped and reported; a trap, fuel exhaustion, memory overrun
    /// or a refusal is an error.
    pub fn order(
        &self,
        engine: &PluginEngine,
        ctx: OrderingContext,
        candidates: &[Candidate],
    ) -> PluginResult<Ordering> {
        let site = self.0.site("order");
        let mut packed = Vec::with_capacity(candidates.len() * CANDIDATE_BYTES);
        for candidate in candidates {
            candidate.encode(&mut packed);
        }
        let count = u32::try_from(candidates.len()).map_err(|_| PluginError::Invariant {
            site: site.clone(),
            violation: format!(
                "{} candidates exceed the interface's u32 count",
                candidates.len()
            ),
        })?;
        let context = BlockContext {
            number: ctx.number,
            timestamp: ctx.timestamp,
            gas_limit: ctx.gas_limit,
            base_fee: ctx.base_fee,
        };
        let order = self
            .0
            .call(engine, &site, |pre, settings, store| {
                let plugin = pre.instantiate(&mut *store)?;
                plugin
                    .keel_plugins_ordering()
                    .call_order(store, context, settings, count, &packed)
            })?
            .map_err(|reason| PluginError::Refused { site, reason })?;
        let senders: Vec<SenderNonce> = candidates
            .iter()
            .map(|c| SenderNonce {
                sender: c.sender,
                nonce: c.nonce,
            })
            .collect();
        let (order, dropped) = check_ordering(&senders, &order);
        Ok(Ordering { order, dropped })
    }
}
