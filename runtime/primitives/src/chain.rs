//! Chain-wide parameters execution and validation need.

use alloy_primitives::{B256, keccak256};

/// What execution needs to know about the chain: its id, the EIP-1559 parameters and the bounds
/// every block must keep.
///
/// Built by the node from its config; kept here so every crate (and the prover guest) agrees on
/// one definition. The prover is handed it with each batch, so its [`Self::hash`] is in every
/// batch commitment and pinned on L1 at deployment: a prover cannot pick bounds of its own.
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
    /// Largest gas limit a block may have (the genesis block's).
    pub max_block_gas: u64,
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
            max_block_gas: u64::MAX,
        }
    }

    /// The version of [`Self::hash`]'s encoding.
    pub const HASH_VERSION: u64 = 1;

    /// What `OnChainProposer.chainSpecHash` pins and every batch commitment carries:
    /// `keccak256(abi.encode(uint256 version, chainId, elasticityMultiplier,
    /// baseFeeMaxChangeDenominator, minBaseFee, maxBaseFee, maxBlockGas))`, all `uint256`.
    pub fn hash(&self) -> B256 {
        let fields = [
            Self::HASH_VERSION,
            self.chain_id,
            self.elasticity_multiplier,
            self.base_fee_max_change_denominator,
            self.min_base_fee,
            self.max_base_fee,
            self.max_block_gas,
        ];
        let mut words = [0u8; 32 * 7];
        for (chunk, field) in words.chunks_exact_mut(32).zip(fields) {
            chunk[24..].copy_from_slice(&field.to_be_bytes());
        }
        keccak256(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_the_abi_encoding_of_version_and_fields() {
        let spec = ChainSpec {
            chain_id: 65_536_999,
            elasticity_multiplier: 2,
            base_fee_max_change_denominator: 8,
            min_base_fee: 1_000_000_000,
            max_base_fee: 1_000_000_000_000,
            max_block_gas: 30_000_000,
        };
        let mut words = Vec::new();
        for field in [
            1u64,
            65_536_999,
            2,
            8,
            1_000_000_000,
            1_000_000_000_000,
            30_000_000,
        ] {
            words.extend_from_slice(&alloy_primitives::U256::from(field).to_be_bytes::<32>());
        }
        assert_eq!(spec.hash(), keccak256(&words));
        let other = ChainSpec {
            max_block_gas: 30_000_001,
            ..spec
        };
        assert_ne!(spec.hash(), other.hash(), "every field counts");
    }
}
