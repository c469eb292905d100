//! Intrinsic gas: what a transaction costs before its first opcode runs, under the chain's
//! spec ([`SPEC_ID`]), from revm's own gas table, so the pool's check at the door and execution
//! can never disagree and both follow the next fork together.

use alloy_consensus::{Transaction, TxEnvelope};
use revm::context_interface::cfg::gas::calculate_initial_tx_gas;

use crate::SPEC_ID;

/// The two lower bounds on a transaction's gas limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntrinsicGas {
    /// Base + calldata + creation + access list + authorizations.
    pub initial: u64,
    /// The EIP-7623 calldata floor.
    pub floor: u64,
}

/// The intrinsic gas of `tx` under [`SPEC_ID`].
pub fn intrinsic_gas(tx: &TxEnvelope) -> IntrinsicGas {
    let (accounts, storage_keys) = tx.access_list().map_or((0, 0), |list| {
        (
            list.len() as u64,
            list.iter().map(|item| item.storage_keys.len() as u64).sum(),
        )
    });
    let authorizations = tx.authorization_list().map_or(0, |list| list.len() as u64);
    let gas = calculate_initial_tx_gas(
        SPEC_ID,
        tx.input(),
        tx.kind().is_create(),
        accounts,
        storage_keys,
        authorizations,
        None,
    );
    IntrinsicGas {
        initial: gas.initial_regular_gas + gas.initial_state_gas,
        floor: gas.floor_gas,
    }
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{Signed, TxEip1559, TxLegacy};
    use alloy_eips::eip2930::{AccessList, AccessListItem};
    use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};

    use super::*;

    fn signed(tx: impl Into<TxEnvelope>) -> TxEnvelope {
        tx.into()
    }

    #[test]
    fn prague_costs() {
        let sig = Signature::new(U256::from(1), U256::from(1), false);
        let transfer = signed(Signed::new_unhashed(
            TxLegacy {
                to: TxKind::Call(Address::ZERO),
                ..Default::default()
            },
            sig,
        ));
        assert_eq!(
            intrinsic_gas(&transfer),
            IntrinsicGas {
                initial: 21_000,
                floor: 21_000
            }
        );
        // Four zero bytes and four non-zero bytes, a create: 21 000 + 4·4 + 4·16 + 32 000 +
        // one initcode word (2); floor 21 000 + (4 + 16)·10.
        let create = signed(Signed::new_unhashed(
            TxLegacy {
                to: TxKind::Create,
                input: Bytes::from(vec![0, 0, 0, 0, 1, 2, 3, 4]),
                ..Default::default()
            },
            sig,
        ));
        assert_eq!(
            intrinsic_gas(&create),
            IntrinsicGas {
                initial: 21_000 + 16 + 64 + 32_000 + 2,
                floor: 21_000 + 200
            }
        );
        // An access list of one address with two keys: 2 400 + 2 · 1 900.
        let listed = signed(Signed::new_unhashed(
            TxEip1559 {
                to: TxKind::Call(Address::ZERO),
                access_list: AccessList(vec![AccessListItem {
                    address: Address::ZERO,
                    storage_keys: vec![B256::ZERO, B256::ZERO],
                }]),
                ..Default::default()
            },
            sig,
        ));
        assert_eq!(intrinsic_gas(&listed).initial, 21_000 + 2_400 + 3_800);
    }
}
