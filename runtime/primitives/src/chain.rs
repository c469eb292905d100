//! Chain-wide parameters execution and validation need.

/// What execution needs to know about the chain: its id and the EIP-1559 parameters.
///
/// Built by the node from its config; kept here so every crate (and the prover guest) agrees on
/// one definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, alloy_rlp::RlpEncodable, alloy_rlp::RlpDecodable)]
pub struct ChainSpec {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// EIP-1559 elasticity multiplier (Ethereum: 2).
    pub elasticity_multiplier: u64,
    /// EIP-1559 base-fee max change denominator (Ethereum: 8).
    pub base_fee_max_change_denominator: u64,
    /// Lowest base fee the chain will ever charge, in wei.
    pub min_base_fee: u64,
    /// Highest base fee the chain will ever charge, in wei.
    pub max_base_fee: u64,
}

impl ChainSpec {
    /// A spec with Ethereum's EIP-1559 parameters and no base-fee bounds.
    pub const fn ethereum_like(chain_id: u64) -> Self {
        Self {
            chain_id,
            elasticity_multiplier: 2,
            base_fee_max_change_denominator: 8,
            min_base_fee: 0,
            max_base_fee: u64::MAX,
        }
    }
}
