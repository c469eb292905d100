//! The L2 side of the bridge: the withdrawal predeploy, withdrawals and their Merkle tree, and
//! the deposits rolling hash. Every hash here is one the L1 contracts (`contracts/src`)
//! recompute, so each rule is written down once, next to its pinned test.

use alloy_primitives::{Address, B256, Bytes, Log, U160, U256, address, b256, hex, keccak256};
use alloy_rlp::{RlpDecodable, RlpEncodable};

use crate::{DepositTx, KeelReceipt, KeelTx};

/// Where the L2 bridge predeploy (`contracts/src/l2/L2Bridge.sol`) lives from genesis on.
pub const L2_BRIDGE_ADDRESS: Address = address!("000000000000000000000000000000000000ff01");

/// `keccak256("WithdrawalInitiated(address,address,uint256)")`: the event
/// `L2Bridge.withdraw(l1Receiver)` emits, topics `[sig, l2Sender, l1Receiver]`, data `amount`.
pub const WITHDRAWAL_INITIATED: B256 =
    b256!("bb2689ff876f7ef453cf8865dde5ab10349d222e2e1383c5152fbdb083f02da2");

/// What `CommonBridge` adds to a contract's L1 address to give the L2 address its messages run
/// as (`ALIAS_OFFSET`, OP Stack's and Arbitrum's): the contract's L1 address says nothing about
/// who controls that address on L2.
pub const L2_ALIAS_OFFSET: Address = address!("1111000000000000000000000000000000001111");

/// The L2 address a message from L1 contract `l1_sender` runs as: `l1_sender + offset`
/// (mod 2^160). An externally owned account runs as itself.
pub fn l2_alias(l1_sender: Address) -> Address {
    let sum = U160::from_be_bytes(l1_sender.into_array())
        .wrapping_add(U160::from_be_bytes(L2_ALIAS_OFFSET.into_array()));
    Address::from(sum.to_be_bytes::<20>())
}

/// `keccak256("TokenWithdrawalInitiated(address,address,address,uint256)")`: the event
/// `L2Bridge.withdrawToken` emits, topics `[sig, l1Token, l2Sender, l1Receiver]`, data `amount`.
pub const TOKEN_WITHDRAWAL_INITIATED: B256 =
    b256!("921807a814df32a6e7223e8c108c6754cb9a478c4786c36c6d1ec36dcc085171");

/// The L2 sender of the messages the L1 `CommonBridge` queues itself (ERC-20 deposits calling
/// `L2Bridge.finalizeTokenDeposit`): no L1 account runs as it.
pub const L1_BRIDGE_SENDER: Address = address!("000000000000000000000000000000000000ff04");

/// The selector of `L2Bridge.finalizeTokenDeposit(address l1Token, address l1Sender, address
/// to, uint256 amount, string name, string symbol, uint8 decimals)`, the call an ERC-20 deposit
/// queues.
pub const FINALIZE_TOKEN_DEPOSIT: [u8; 4] = hex!("e57253c2");

/// An ERC-20 deposit, read from the L1 message that carries it: a call from
/// [`L1_BRIDGE_SENDER`] to the predeploy's `finalizeTokenDeposit`. Only `CommonBridge` sends
/// as `L1_BRIDGE_SENDER`, so its calldata has the shape `depositERC20` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenDeposit {
    /// The token on L1 (held in `CommonBridge`'s escrow).
    pub l1_token: Address,
    /// Who deposited on L1 (receives a refund).
    pub l1_sender: Address,
    /// Who is minted the canonical L2 token.
    pub l2_recipient: Address,
    /// In the token's smallest unit.
    pub amount: U256,
}

impl TokenDeposit {
    /// The token deposit a message from `from` to `to` with calldata `data` is, if it is one.
    pub fn decode(from: Address, to: Address, data: &[u8]) -> Option<Self> {
        if from != L1_BRIDGE_SENDER || to != L2_BRIDGE_ADDRESS {
            return None;
        }
        let args = data.strip_prefix(&FINALIZE_TOKEN_DEPOSIT)?;
        // Four static words, then the offsets and tails of name, symbol and the decimals word.
        if args.len() < 7 * 32 {
            return None;
        }
        let word = |i: usize| &args[i * 32..(i + 1) * 32];
        let address = |i: usize| {
            let word = word(i);
            word[..12]
                .iter()
                .all(|b| *b == 0)
                .then(|| Address::from_slice(&word[12..]))
        };
        Some(Self {
            l1_token: address(0)?,
            l1_sender: address(1)?,
            l2_recipient: address(2)?,
            amount: U256::from_be_slice(word(3)),
        })
    }

    /// The token withdrawal that gives the deposit back to its L1 sender, made by L2
    /// transaction `l2_tx_hash`.
    pub fn refund(&self, l2_tx_hash: B256) -> Withdrawal {
        Withdrawal {
            l2_tx_hash,
            index_in_tx: 0,
            l2_sender: self.l2_recipient,
            l1_receiver: self.l1_sender,
            amount: self.amount,
            token: self.l1_token,
        }
    }
}

/// A message as the L1 bridge queued it (`CommonBridge.MessageQueued`: a deposit or an L2 call
/// from L1), seen by the node's L1 watcher and waiting for L2 inclusion.
#[derive(Debug, Clone, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct L1Deposit {
    /// Its index in the bridge's queue.
    pub deposit_id: u64,
    /// Who sent it on L1.
    pub l1_sender: Address,
    /// Who it runs as on L2 (`l1_sender`, aliased for a contract).
    pub from: Address,
    /// Who is credited or called on L2.
    pub recipient: Address,
    /// Wei paid on L1, minted to `from`.
    pub mint: U256,
    /// Wei moved from `from` to `recipient`.
    pub value: U256,
    /// L2 gas of the call; zero for a deposit.
    pub gas_limit: u64,
    /// The call's calldata.
    pub data: Bytes,
    /// The L1 timestamp by which a committed batch must include it (Unix seconds); after it the
    /// bridge refuses every batch that does not.
    pub deadline: u64,
    /// The L1 block it was made in.
    pub l1_block: u64,
    /// The L1 transaction that made it.
    pub l1_tx_hash: B256,
}

impl L1Deposit {
    /// The L2 transaction that includes it; `refund` when the bridge rules refused it (only a
    /// deposit of ETH or a token may be: `refund` is ignored for any other call).
    pub fn to_tx(&self, refund: bool) -> DepositTx {
        let mut tx = DepositTx {
            deposit_id: self.deposit_id,
            l1_sender: self.l1_sender,
            from: self.from,
            recipient: self.recipient,
            mint: self.mint,
            value: self.value,
            gas_limit: self.gas_limit,
            data: self.data.clone(),
            refund: false,
        };
        tx.refund = refund && tx.refundable();
        tx
    }
}

/// A withdrawal: value burnt on L2, claimable on L1 once its batch is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Withdrawal {
    /// The L2 transaction that made it (a `withdraw` call, or a refunded deposit).
    pub l2_tx_hash: B256,
    /// Its position among the withdrawals of that transaction (0 unless a contract withdrew
    /// several times in one transaction).
    pub index_in_tx: u64,
    /// Who burnt the value on L2 (for a refund: the deposit's L2 recipient).
    pub l2_sender: Address,
    /// Who may claim it on L1.
    pub l1_receiver: Address,
    /// Wei of ETH, or units of `token`.
    pub amount: U256,
    /// The L1 ERC-20 withdrawn; zero for ETH.
    pub token: Address,
}

impl Withdrawal {
    /// Whether this withdraws ETH (not a token).
    pub fn is_eth(&self) -> bool {
        self.token.is_zero()
    }

    /// The tree leaf `CommonBridge.claimWithdrawal` rebuilds for ETH,
    /// `keccak256(abi.encode(bytes32 l2TxHash, uint256 indexInTx, address l1Receiver, uint256 amount))`,
    /// or `claimTokenWithdrawal` for a token, the same with `address l1Token` appended.
    pub fn leaf(&self) -> B256 {
        let mut words = [0u8; 160];
        words[..32].copy_from_slice(self.l2_tx_hash.as_slice());
        words[56..64].copy_from_slice(&self.index_in_tx.to_be_bytes());
        words[76..96].copy_from_slice(self.l1_receiver.as_slice());
        words[96..128].copy_from_slice(&self.amount.to_be_bytes::<32>());
        if self.is_eth() {
            return keccak256(&words[..128]);
        }
        words[140..160].copy_from_slice(self.token.as_slice());
        keccak256(words)
    }
}

/// The withdrawals one transaction made, from its receipt: every `WithdrawalInitiated` and
/// `TokenWithdrawalInitiated` log of the predeploy in a successful transaction (an L1 call's
/// too), or the refund of a refused deposit. A token deposit whose L2 call failed is refunded
/// too: its tokens would otherwise sit in the L1 escrow with nothing on L2 to claim them.
pub fn tx_withdrawals(tx: &KeelTx, receipt: &KeelReceipt) -> Vec<Withdrawal> {
    let l2_tx_hash = tx.hash();
    if let Some(deposit) = tx.as_deposit() {
        if let Some(token) = deposit.token_deposit() {
            if deposit.refund || !receipt.success() {
                return vec![token.refund(l2_tx_hash)];
            }
        } else if deposit.refund {
            return vec![Withdrawal {
                l2_tx_hash,
                index_in_tx: 0,
                l2_sender: deposit.recipient,
                l1_receiver: deposit.l1_sender,
                amount: deposit.mint,
                token: Address::ZERO,
            }];
        }
    }
    if !receipt.success() {
        return Vec::new();
    }
    receipt
        .logs()
        .iter()
        .filter_map(|log| {
            withdrawal_event(log)
                .map(|(sender, receiver, amount)| (Address::ZERO, sender, receiver, amount))
                .or_else(|| token_withdrawal_event(log))
        })
        .enumerate()
        .map(
            |(index, (token, l2_sender, l1_receiver, amount))| Withdrawal {
                l2_tx_hash,
                index_in_tx: index as u64,
                l2_sender,
                l1_receiver,
                amount,
                token,
            },
        )
        .collect()
}

/// `(l1Token, l2Sender, l1Receiver, amount)` of a `TokenWithdrawalInitiated` log of the
/// predeploy.
pub fn token_withdrawal_event(log: &Log) -> Option<(Address, Address, Address, U256)> {
    let topics = log.topics();
    if log.address != L2_BRIDGE_ADDRESS
        || topics.len() != 4
        || topics[0] != TOKEN_WITHDRAWAL_INITIATED
        || log.data.data.len() != 32
    {
        return None;
    }
    Some((
        Address::from_word(topics[1]),
        Address::from_word(topics[2]),
        Address::from_word(topics[3]),
        U256::from_be_slice(&log.data.data),
    ))
}

/// `(l2Sender, l1Receiver, amount)` of a `WithdrawalInitiated` log of the predeploy.
pub fn withdrawal_event(log: &Log) -> Option<(Address, Address, U256)> {
    let topics = log.topics();
    if log.address != L2_BRIDGE_ADDRESS
        || topics.len() != 3
        || topics[0] != WITHDRAWAL_INITIATED
        || log.data.data.len() != 32
    {
        return None;
    }
    Some((
        Address::from_word(topics[1]),
        Address::from_word(topics[2]),
        U256::from_be_slice(&log.data.data),
    ))
}

/// The Merkle tree over a batch's withdrawal leaves, as `CommonBridge` checks it: leaves padded
/// with zero words up to a power of two, `parent = keccak256(left ‖ right)`. No leaves give the
/// zero root ([`crate::NO_WITHDRAWALS`]); one leaf is its own root.
#[derive(Debug, Clone)]
pub struct WithdrawalTree {
    /// `levels[0]` are the padded leaves, the last level is the root alone.
    levels: Vec<Vec<B256>>,
}

impl WithdrawalTree {
    /// Builds the tree over `leaves`, in batch order.
    pub fn new(leaves: impl IntoIterator<Item = B256>) -> Self {
        let mut level: Vec<B256> = leaves.into_iter().collect();
        if level.is_empty() {
            return Self { levels: Vec::new() };
        }
        level.resize(level.len().next_power_of_two(), B256::ZERO);
        let mut levels = vec![level];
        while levels.last().is_some_and(|level| level.len() > 1) {
            let next = levels
                .last()
                .into_iter()
                .flat_map(|level| level.chunks_exact(2))
                .map(|pair| hash_pair(pair[0], pair[1]))
                .collect();
            levels.push(next);
        }
        Self { levels }
    }

    /// The root ([`crate::NO_WITHDRAWALS`] when there are no leaves).
    pub fn root(&self) -> B256 {
        self.levels.last().map_or(B256::ZERO, |level| level[0])
    }

    /// The siblings from leaf `index` up to the root, or `None` if there is no such leaf.
    pub fn proof(&self, index: usize) -> Option<Vec<B256>> {
        if index >= self.levels.first()?.len() {
            return None;
        }
        let mut proof = Vec::with_capacity(self.levels.len() - 1);
        let mut position = index;
        for level in &self.levels[..self.levels.len() - 1] {
            proof.push(level[position ^ 1]);
            position /= 2;
        }
        Some(proof)
    }

    /// Recomputes the root from a leaf, its index and its proof, as the contract does.
    pub fn root_from_proof(leaf: B256, index: usize, proof: &[B256]) -> B256 {
        proof
            .iter()
            .enumerate()
            .fold(leaf, |node, (level, sibling)| {
                if (index >> level) & 1 == 0 {
                    hash_pair(node, *sibling)
                } else {
                    hash_pair(*sibling, node)
                }
            })
    }
}

fn hash_pair(left: B256, right: B256) -> B256 {
    let mut both = [0u8; 64];
    both[..32].copy_from_slice(left.as_slice());
    both[32..].copy_from_slice(right.as_slice());
    keccak256(both)
}

/// The rolling hash of the deposits a batch consumed, in order: starts at zero
/// ([`crate::NO_DEPOSITS`]) and becomes `keccak256(rolling ‖ depositHash)` for each deposit —
/// what `CommonBridge.consumeDeposits` returns for the same queue entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DepositsRollingHash {
    hash: B256,
    count: u64,
}

impl DepositsRollingHash {
    /// Folds in the next deposit's hash.
    pub fn push(&mut self, deposit_hash: B256) {
        self.hash = hash_pair(self.hash, deposit_hash);
        self.count += 1;
    }

    /// The rolling hash so far.
    pub fn hash(&self) -> B256 {
        self.hash
    }

    /// How many deposits were folded in.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// What a batch hands to L1 besides its state: the withdrawals it made and the deposits it
/// consumed, accumulated block by block by the STF and by the node alike.
#[derive(Debug, Clone, Default)]
pub struct BatchSettlement {
    /// Every withdrawal, in block and transaction order.
    pub withdrawals: Vec<Withdrawal>,
    /// The deposits consumed.
    pub deposits: DepositsRollingHash,
}

impl BatchSettlement {
    /// Adds one block's transactions and receipts.
    pub fn add_block(&mut self, transactions: &[KeelTx], receipts: &[KeelReceipt]) {
        for (tx, receipt) in transactions.iter().zip(receipts) {
            if let Some(deposit) = tx.as_deposit() {
                self.deposits.push(deposit.deposit_hash());
            }
            self.withdrawals.extend(tx_withdrawals(tx, receipt));
        }
    }

    /// The withdrawals Merkle root.
    pub fn withdrawals_root(&self) -> B256 {
        WithdrawalTree::new(self.withdrawals.iter().map(Withdrawal::leaf)).root()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{NO_DEPOSITS, NO_WITHDRAWALS};
    use alloy_primitives::{LogData, keccak256};

    #[test]
    fn event_signature_matches_its_text() {
        assert_eq!(
            keccak256("WithdrawalInitiated(address,address,uint256)"),
            WITHDRAWAL_INITIATED
        );
    }

    #[test]
    fn tree_roots_and_proofs() {
        assert_eq!(WithdrawalTree::new([]).root(), NO_WITHDRAWALS);
        let one = B256::repeat_byte(1);
        let single = WithdrawalTree::new([one]);
        assert_eq!(single.root(), one);
        assert_eq!(single.proof(0), Some(Vec::new()));

        let leaves: Vec<B256> = (1..=5u8).map(B256::repeat_byte).collect();
        let tree = WithdrawalTree::new(leaves.clone());
        let zero = B256::ZERO;
        let l = |i: usize| leaves[i];
        let expected = hash_pair(
            hash_pair(hash_pair(l(0), l(1)), hash_pair(l(2), l(3))),
            hash_pair(hash_pair(l(4), zero), hash_pair(zero, zero)),
        );
        assert_eq!(tree.root(), expected);
        for (index, leaf) in leaves.iter().enumerate() {
            let proof = tree.proof(index).unwrap();
            assert_eq!(proof.len(), 3);
            assert_eq!(
                WithdrawalTree::root_from_proof(*leaf, index, &proof),
                expected
            );
            assert_ne!(
                WithdrawalTree::root_from_proof(*leaf, index ^ 1, &proof),
                expected
            );
        }
        assert_eq!(tree.proof(8), None);
    }

    #[test]
    fn token_withdrawals_count_with_eth_ones_and_their_leaf_appends_the_token() {
        let (token, sender, receiver) = (
            Address::repeat_byte(0x70),
            Address::repeat_byte(0xbb),
            Address::repeat_byte(0xaa),
        );
        let token_log = Log {
            address: L2_BRIDGE_ADDRESS,
            data: LogData::new_unchecked(
                vec![
                    TOKEN_WITHDRAWAL_INITIATED,
                    token.into_word(),
                    sender.into_word(),
                    receiver.into_word(),
                ],
                U256::from(5u64).to_be_bytes::<32>().to_vec().into(),
            ),
        };
        let eth_log = Log {
            address: L2_BRIDGE_ADDRESS,
            data: LogData::new_unchecked(
                vec![
                    WITHDRAWAL_INITIATED,
                    sender.into_word(),
                    receiver.into_word(),
                ],
                U256::from(7u64).to_be_bytes::<32>().to_vec().into(),
            ),
        };
        let tx = KeelTx::from(DepositTx::deposit(0, sender, receiver, U256::from(1)));
        let receipt = KeelReceipt::l1_call(true, 0, vec![eth_log, token_log]);
        let made = tx_withdrawals(&tx, &receipt);
        assert_eq!(made.len(), 2);
        assert!(made[0].is_eth() && made[0].amount == U256::from(7u64));
        assert_eq!((made[1].token, made[1].index_in_tx), (token, 1));
        let mut words = Vec::new();
        words.extend_from_slice(made[1].l2_tx_hash.as_slice());
        words.extend_from_slice(&U256::from(1u64).to_be_bytes::<32>());
        words.extend_from_slice(receiver.into_word().as_slice());
        words.extend_from_slice(&U256::from(5u64).to_be_bytes::<32>());
        words.extend_from_slice(token.into_word().as_slice());
        assert_eq!(made[1].leaf(), keccak256(&words));
        let as_eth = Withdrawal {
            token: Address::ZERO,
            ..made[1]
        };
        assert_eq!(as_eth.leaf(), keccak256(&words[..128]));
    }

    #[test]
    fn a_token_deposit_is_read_from_the_abi_encoded_call_and_refunded_as_a_token_leaf() {
        alloy_sol_types::sol! {
            function finalizeTokenDeposit(
                address l1Token,
                address l1Sender,
                address to,
                uint256 amount,
                string name,
                string symbol,
                uint8 decimals
            );
        }
        use alloy_sol_types::SolCall;
        assert_eq!(finalizeTokenDepositCall::SELECTOR, FINALIZE_TOKEN_DEPOSIT);
        let (token, depositor, recipient) = (
            Address::repeat_byte(0x70),
            Address::repeat_byte(0xaa),
            Address::repeat_byte(0xbb),
        );
        let data: Bytes = finalizeTokenDepositCall {
            l1Token: token,
            l1Sender: depositor,
            to: recipient,
            amount: U256::from(12_345u64),
            name: "Test Token".into(),
            symbol: "TT".into(),
            decimals: 18,
        }
        .abi_encode()
        .into();
        let message = DepositTx {
            deposit_id: 3,
            l1_sender: depositor,
            from: L1_BRIDGE_SENDER,
            recipient: L2_BRIDGE_ADDRESS,
            mint: U256::ZERO,
            value: U256::ZERO,
            gas_limit: 1_500_000,
            data: data.clone(),
            refund: false,
        };
        let expected = TokenDeposit {
            l1_token: token,
            l1_sender: depositor,
            l2_recipient: recipient,
            amount: U256::from(12_345u64),
        };
        assert_eq!(message.token_deposit(), Some(expected));
        assert!(message.is_call() && message.refundable());

        // Only the L1 bridge's own messages to the predeploy are token deposits.
        let forged = DepositTx {
            from: depositor,
            ..message.clone()
        };
        assert_eq!(forged.token_deposit(), None);
        assert!(!forged.refundable(), "a user's call is never refunded");
        let elsewhere = DepositTx {
            recipient: Address::repeat_byte(1),
            ..message.clone()
        };
        assert_eq!(elsewhere.token_deposit(), None);
        assert_eq!(
            TokenDeposit::decode(L1_BRIDGE_SENDER, L2_BRIDGE_ADDRESS, &data[..100]),
            None
        );

        // Refused, or its L2 call failed: the tokens go back to the depositor as a token leaf.
        let refused = KeelTx::from(DepositTx {
            refund: true,
            ..message.clone()
        });
        let made = tx_withdrawals(&refused, &KeelReceipt::deposit(0));
        assert_eq!(made, vec![expected.refund(refused.hash())]);
        assert_eq!(
            (made[0].token, made[0].l1_receiver, made[0].amount),
            (token, depositor, U256::from(12_345u64))
        );
        let failed = KeelTx::from(message);
        assert_eq!(
            tx_withdrawals(&failed, &KeelReceipt::l1_call(false, 0, Vec::new())),
            vec![expected.refund(failed.hash())]
        );
        assert!(tx_withdrawals(&failed, &KeelReceipt::l1_call(true, 0, Vec::new())).is_empty());
    }

    #[test]
    fn contracts_are_aliased_by_the_offset_mod_2_160() {
        assert_eq!(l2_alias(Address::ZERO), L2_ALIAS_OFFSET);
        assert_eq!(
            l2_alias(address!("ffffffffffffffffffffffffffffffffffffffff")),
            address!("1111000000000000000000000000000000001110"),
            "wraps around"
        );
        assert_eq!(
            l2_alias(address!("00000000000000000000000000000000000000ff")),
            address!("1111000000000000000000000000000000001210")
        );
    }

    #[test]
    fn withdrawals_come_from_predeploy_logs_of_successful_txs_and_refunds() {
        let receiver = Address::repeat_byte(0xaa);
        let sender = Address::repeat_byte(0xbb);
        let log = |address| Log {
            address,
            data: LogData::new_unchecked(
                vec![
                    WITHDRAWAL_INITIATED,
                    sender.into_word(),
                    receiver.into_word(),
                ],
                U256::from(400u64).to_be_bytes::<32>().to_vec().into(),
            ),
        };
        let receipt = |success: bool, logs: Vec<Log>| {
            KeelReceipt::Ethereum(alloy_consensus::ReceiptEnvelope::Eip1559(
                alloy_consensus::Receipt {
                    status: success.into(),
                    cumulative_gas_used: 0,
                    logs,
                }
                .into(),
            ))
        };
        let deposit = |refund| {
            KeelTx::from(DepositTx {
                refund,
                ..DepositTx::deposit(0, receiver, sender, U256::from(9u64))
            })
        };
        let call = KeelTx::Ethereum(alloy_consensus::TxEnvelope::Legacy(
            alloy_consensus::Signed::new_unhashed(
                alloy_consensus::TxLegacy::default(),
                alloy_primitives::Signature::new(U256::from(1), U256::from(2), false),
            ),
        ));
        let logs = vec![
            log(L2_BRIDGE_ADDRESS),
            log(Address::ZERO),
            log(L2_BRIDGE_ADDRESS),
        ];
        let made = tx_withdrawals(&call, &receipt(true, logs.clone()));
        assert_eq!(made.len(), 2, "only the predeploy's logs count");
        assert_eq!(made[1].index_in_tx, 1);
        assert_eq!(made[0].l2_tx_hash, call.hash());
        assert_eq!((made[0].l2_sender, made[0].l1_receiver), (sender, receiver));
        assert!(
            tx_withdrawals(&call, &receipt(false, logs)).is_empty(),
            "a revert withdraws nothing"
        );
        assert!(tx_withdrawals(&deposit(false), &KeelReceipt::deposit(0)).is_empty());

        let mut settlement = BatchSettlement::default();
        settlement.add_block(&[deposit(true)], &[KeelReceipt::deposit(0)]);
        assert_eq!(settlement.withdrawals.len(), 1);
        assert_eq!(settlement.withdrawals[0].l1_receiver, receiver);
        assert_eq!(settlement.withdrawals[0].amount, U256::from(9u64));
        assert_eq!(settlement.deposits.count(), 1);
        assert_ne!(settlement.deposits.hash(), NO_DEPOSITS);
        assert_ne!(settlement.withdrawals_root(), NO_WITHDRAWALS);

        let events: Vec<_> = [log(L2_BRIDGE_ADDRESS), log(Address::ZERO)]
            .iter()
            .filter_map(withdrawal_event)
            .collect();
        assert_eq!(events, vec![(sender, receiver, U256::from(400u64))]);
    }
}
