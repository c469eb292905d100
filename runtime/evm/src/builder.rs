//! Building one block: execute transactions one at a time, then seal.

use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Eip658Value, Header, Receipt, ReceiptEnvelope, Sealable,
    Transaction as _, TxEnvelope,
    proofs::{calculate_receipt_root, calculate_transaction_root},
};
use alloy_eips::Encodable2718;
use alloy_primitives::{Address, B256, Bloom, Bytes, Log, Sealed, U256};
use keel_primitives::{
    ChainSpec, DataFee, DepositTx, KeelReceipt, KeelTx, L1_FEE_ORACLE_ADDRESS,
    L1_FEE_VAULT_ADDRESS, L2_BRIDGE_ADDRESS, SealedBlock, StateReader,
    bridge::withdrawal_event,
    data_fee::{ORACLE_BLOB_BASE_FEE_SLOT, ORACLE_DATA_PRICE_SLOT},
};
use keel_trie::{
    AccountChange, AccountInfo as TrieAccountInfo, NodeReader, StaleNodes, StateRootUpdate,
    apply_state_changes,
};
use revm::{
    Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext,
    context::Journal,
    context::{
        BlockEnv, CfgEnv, TxEnv,
        result::{EVMError, InvalidTransaction},
    },
    database::{State, states::bundle_state::BundleRetention},
    database_interface::{Database, DatabaseCommit, WrapDatabaseRef, bal::EvmDatabaseError},
    handler::MainnetEvm,
};
use tracing::trace;

use crate::{
    EvmError, EvmResult,
    db::{ReaderDb, ReaderDbError},
    env::{block_env, cfg_env, tx_env},
};

type BlockDb<R> = State<WrapDatabaseRef<ReaderDb<R>>>;
type BlockEvm<R> =
    MainnetEvm<Context<BlockEnv, TxEnv, CfgEnv, BlockDb<R>, Journal<BlockDb<R>>, ()>>;

/// The fields of a new block that the proposer chooses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockAttributes {
    /// Block timestamp, seconds.
    pub timestamp: u64,
    /// Receives the priority fees.
    pub coinbase: Address,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Base fee per gas, from the [`crate::BaseFeeRule`].
    pub base_fee: u64,
    /// Header extra data (≤ 32 bytes).
    pub extra_data: Bytes,
    /// What each transaction pays for its bytes on L1, from the fee rule.
    pub data_fee: DataFee,
}

/// What happened to a transaction offered to the builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxOutcome {
    /// Executed and included (successfully or reverted).
    Included {
        /// Gas the transaction used.
        gas_used: u64,
        /// Whether it succeeded (receipt status 1).
        success: bool,
    },
    /// Does not fit in the gas left in this block; it stays valid for a later block.
    DoesNotFit,
    /// Invalid against this block's state (nonce, balance, fee, …): must be dropped.
    Invalid(InvalidTransaction),
    /// Executed, but the caller's check refused what it did (a bridge rule on its
    /// withdrawals): left out, the block as if it had never been offered.
    Refused(String),
}

/// A sealed block with everything storage needs to persist it.
#[derive(Debug)]
pub struct BuiltBlock {
    /// The sealed block.
    pub block: SealedBlock,
    /// One receipt per transaction.
    pub receipts: Vec<KeelReceipt>,
    /// The account-level changes the block made (flat-state writes).
    pub changes: Vec<AccountChange>,
    /// New trie nodes and updated accounts.
    pub state: StateRootUpdate,
    /// Contract code deployed by the block, by hash.
    pub codes: Vec<(B256, Bytes)>,
}

/// Maps a failure of the block's state backend to [`EvmError::State`].
fn state_error(error: EvmDatabaseError<ReaderDbError>) -> EvmError {
    match error {
        EvmDatabaseError::Database(ReaderDbError(e)) => EvmError::State(e),
        other => EvmError::State(Box::new(other)),
    }
}

/// Executes transactions on top of a parent block and seals the result.
///
/// Invalid transactions are skipped (reported, never included) so a bad transaction can never
/// stall the chain; only a failing state backend is an error.
pub struct BlockBuilder<R: StateReader> {
    evm: BlockEvm<R>,
    parent_hash: B256,
    parent_state_root: B256,
    number: u64,
    attributes: BlockAttributes,
    gas_used: u64,
    transactions: Vec<KeelTx>,
    senders: Vec<Address>,
    receipts: Vec<KeelReceipt>,
    /// Whether the block's data fee is in the `L1FeeOracle` yet (done before the first
    /// transaction or deposit, or at sealing).
    data_fee_recorded: bool,
    /// Whether sealing finds the trie nodes the block made stale.
    stale_nodes: StaleNodes,
}

impl<R: StateReader> core::fmt::Debug for BlockBuilder<R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BlockBuilder")
            .field("number", &self.number)
            .field("gas_used", &self.gas_used)
            .field("transactions", &self.transactions.len())
            .finish_non_exhaustive()
    }
}

impl<R: StateReader> BlockBuilder<R> {
    /// Starts block `parent.number + 1` on the post-state of `parent`, read through `state`.
    pub fn new(
        spec: &ChainSpec,
        state: R,
        parent: &alloy_consensus::Sealed<Header>,
        attributes: BlockAttributes,
    ) -> Self {
        let number = parent.number + 1;
        let header = Header {
            number,
            beneficiary: attributes.coinbase,
            timestamp: attributes.timestamp,
            gas_limit: attributes.gas_limit,
            base_fee_per_gas: Some(attributes.base_fee),
            ..Default::default()
        };
        let db = State::builder()
            .with_database_ref(ReaderDb(state))
            .with_bundle_update()
            .build();
        let evm = Context::mainnet()
            .with_db(db)
            .with_cfg(cfg_env(spec))
            .with_block(block_env(&header))
            .build_mainnet();
        Self {
            evm,
            parent_hash: parent.hash(),
            parent_state_root: parent.state_root,
            number,
            attributes,
            gas_used: 0,
            transactions: Vec::new(),
            senders: Vec::new(),
            receipts: Vec::new(),
            data_fee_recorded: false,
            stale_nodes: StaleNodes::Ignore,
        }
    }

    /// Whether [`BlockBuilder::finish`] finds the trie nodes the block made stale
    /// ([`StateRootUpdate::stale`]): a node that prunes old state needs them; by default they
    /// are not looked for.
    pub fn with_stale_nodes(mut self, stale_nodes: StaleNodes) -> Self {
        self.stale_nodes = stale_nodes;
        self
    }

    /// Gas still available in this block.
    pub fn gas_remaining(&self) -> u64 {
        self.attributes.gas_limit - self.gas_used
    }

    /// Number of transactions included so far.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// Whether no transaction was included yet.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// Executes `tx` (signed by `sender`) on the block's current state.
    pub fn push(&mut self, tx: TxEnvelope, sender: Address) -> EvmResult<TxOutcome> {
        self.push_checked(tx, sender, |_| Ok(()))
    }

    /// Executes `tx` (signed by `sender`) and, if it succeeded, asks `check` about its logs
    /// before the state changes are committed: an `Err(reason)` leaves the transaction out
    /// ([`TxOutcome::Refused`]) and the state as it was.
    pub fn push_checked(
        &mut self,
        tx: TxEnvelope,
        sender: Address,
        check: impl FnOnce(&[Log]) -> Result<(), String>,
    ) -> EvmResult<TxOutcome> {
        if tx.gas_limit() > self.gas_remaining() {
            return Ok(TxOutcome::DoesNotFit);
        }
        self.record_data_fee()?;
        // The L1 data fee is taken before the transaction runs, so that the balance revm checks
        // against gas and value is what is left after it (as on OP Stack chains); it goes back
        // if the transaction is left out.
        let l1_fee = self.attributes.data_fee.fee(tx.encode_2718_len());
        if !l1_fee.is_zero() {
            let mut account = self.system_account(sender)?;
            let balance = account.info.balance;
            if balance < l1_fee {
                return Ok(TxOutcome::Invalid(
                    InvalidTransaction::LackOfFundForMaxFee {
                        fee: Box::new(l1_fee),
                        balance: Box::new(balance),
                    },
                ));
            }
            account.info.balance = balance - l1_fee;
            self.commit_system(sender, account);
        }
        let executed = self.evm.transact_one(tx_env(&tx, sender));
        if let Ok(result) = &executed
            && result.is_success()
            && let Err(reason) = check(result.logs())
        {
            // Drop the journal: nothing of the transaction reaches the block's state.
            let _ = self.evm.finalize();
            self.credit(sender, l1_fee)?;
            return Ok(TxOutcome::Refused(reason));
        }
        let result = match executed {
            Ok(result) => {
                self.evm.commit_inner();
                self.credit(L1_FEE_VAULT_ADDRESS, l1_fee)?;
                result
            }
            Err(error) => {
                // A failed transaction's journal is cleared, never committed.
                let _ = self.evm.finalize();
                // The data fee goes back: the transaction is not in the block.
                self.credit(sender, l1_fee)?;
                match error {
                    EVMError::Transaction(invalid) => {
                        trace!(target: "keel::evm", hash = %tx.tx_hash(), %invalid, "invalid transaction skipped");
                        return Ok(TxOutcome::Invalid(invalid));
                    }
                    EVMError::Database(EvmDatabaseError::Database(ReaderDbError(e))) => {
                        return Err(EvmError::State(e));
                    }
                    other => {
                        return Err(EvmError::Execution {
                            hash: *tx.tx_hash(),
                            reason: other.to_string(),
                        });
                    }
                }
            }
        };
        let gas_used = result.tx_gas_used();
        let success = result.is_success();
        self.gas_used += gas_used;
        let logs: Vec<Log> = result.into_logs();
        if success {
            self.burn_withdrawn(&logs, *tx.tx_hash())?;
        }
        let receipt = Receipt {
            status: Eip658Value::Eip658(success),
            cumulative_gas_used: self.gas_used,
            logs,
        };
        self.receipts
            .push(KeelReceipt::Ethereum(ReceiptEnvelope::from_typed(
                tx.tx_type(),
                receipt,
            )));
        self.transactions.push(KeelTx::Ethereum(tx));
        self.senders.push(sender);
        Ok(TxOutcome::Included { gas_used, success })
    }

    /// Includes an L1 message (see [`DepositTx`]): mints its value to its L2 sender, then moves
    /// a deposit's value to the recipient, or runs a call as the sender at gas price zero. A
    /// refunded deposit leaves the state alone (its value becomes a withdrawal back to the L1
    /// sender). A call that reverts, or that revm refuses (too little gas for its calldata,
    /// a value the sender cannot pay), is included as failed, the minted ETH kept by the
    /// sender: a message from L1 is never left out. It only waits ([`TxOutcome::DoesNotFit`])
    /// for a block with room for its gas limit.
    pub fn push_deposit(&mut self, deposit: Sealed<DepositTx>) -> EvmResult<TxOutcome> {
        if deposit.gas_limit > self.gas_remaining() {
            return Ok(TxOutcome::DoesNotFit);
        }
        self.record_data_fee()?;
        let hash = deposit.hash();
        let (success, gas_used, logs) = if deposit.refund {
            if !deposit.refundable() {
                return Err(EvmError::Execution {
                    hash,
                    reason:
                        "a call from L1 is never refunded: only a deposit of ETH or a token may be"
                            .to_owned(),
                });
            }
            (true, 0, Vec::new())
        } else {
            self.credit(deposit.from, deposit.mint)?;
            if deposit.is_call() {
                self.run_l1_call(&deposit, hash)?
            } else {
                self.transfer(deposit.from, deposit.recipient, deposit.value, hash)?;
                (true, 0, Vec::new())
            }
        };
        self.gas_used += gas_used;
        self.receipts
            .push(KeelReceipt::l1_call(success, self.gas_used, logs));
        self.senders.push(deposit.from);
        self.transactions.push(KeelTx::Deposit(deposit));
        Ok(TxOutcome::Included { gas_used, success })
    }

    /// Runs an L1 message's call: `(success, gas used, logs)`.
    fn run_l1_call(&mut self, call: &DepositTx, hash: B256) -> EvmResult<(bool, u64, Vec<Log>)> {
        let nonce = self
            .db()
            .basic(call.from)
            .map_err(state_error)?
            .map_or(0, |account| account.nonce);
        let env = TxEnv {
            tx_type: 0,
            caller: call.from,
            gas_limit: call.gas_limit,
            gas_price: 0,
            kind: alloy_primitives::TxKind::Call(call.recipient),
            value: call.value,
            data: call.data.clone(),
            nonce,
            chain_id: None,
            ..Default::default()
        };
        // The L1 sender paid for this gas on L1: it runs below the base fee, and pays none.
        self.evm.ctx.cfg.disable_base_fee = true;
        let executed = self.evm.transact_one(env);
        self.evm.ctx.cfg.disable_base_fee = false;
        match executed {
            Ok(result) => {
                self.evm.commit_inner();
                let gas_used = result.tx_gas_used();
                let success = result.is_success();
                let logs = result.into_logs();
                if success {
                    self.burn_withdrawn(&logs, hash)?;
                }
                Ok((success, gas_used, logs))
            }
            Err(error) => {
                let _ = self.evm.finalize();
                match error {
                    EVMError::Transaction(invalid) => {
                        trace!(target: "keel::evm", %hash, %invalid, "L1 call cannot run; included as failed");
                        Ok((false, 0, Vec::new()))
                    }
                    EVMError::Database(EvmDatabaseError::Database(ReaderDbError(e))) => {
                        Err(EvmError::State(e))
                    }
                    other => Err(EvmError::Execution {
                        hash,
                        reason: other.to_string(),
                    }),
                }
            }
        }
    }

    /// Moves `amount` from `from` to `to` (a system write: a deposit's credit).
    fn transfer(&mut self, from: Address, to: Address, amount: U256, hash: B256) -> EvmResult<()> {
        if amount.is_zero() || from == to {
            return Ok(());
        }
        let mut account = self.system_account(from)?;
        account.info.balance =
            account
                .info
                .balance
                .checked_sub(amount)
                .ok_or_else(|| EvmError::Execution {
                    hash,
                    reason: format!("the deposit moves {amount} wei its sender was not minted"),
                })?;
        self.commit_system(from, account);
        self.credit(to, amount)
    }

    /// Burns what the transaction just withdrew through the L2 bridge predeploy: the predeploy
    /// keeps the value it is paid, and the chain removes exactly the amounts its
    /// `WithdrawalInitiated` events name, so L2 supply falls by what L1 will pay out.
    fn burn_withdrawn(&mut self, logs: &[Log], hash: B256) -> EvmResult<()> {
        let withdrawn = logs
            .iter()
            .filter_map(withdrawal_event)
            .fold(U256::ZERO, |sum, (_, _, amount)| sum.saturating_add(amount));
        if withdrawn.is_zero() {
            return Ok(());
        }
        let mut bridge = self.system_account(L2_BRIDGE_ADDRESS)?;
        let held = bridge.info.balance;
        bridge.info.balance = held
            .checked_sub(withdrawn)
            .ok_or_else(|| EvmError::Execution {
                hash,
                reason: format!(
                    "the bridge predeploy holds {held} wei but its events withdraw {withdrawn}"
                ),
            })?;
        self.commit_system(L2_BRIDGE_ADDRESS, bridge);
        Ok(())
    }

    /// Writes the block's data fee into the `L1FeeOracle` predeploy, once, before anything
    /// else runs: what `blobBaseFee()`, `dataPrice()` and `getL1Fee` answer during the block.
    fn record_data_fee(&mut self) -> EvmResult<()> {
        if self.data_fee_recorded {
            return Ok(());
        }
        self.data_fee_recorded = true;
        let fee = self.attributes.data_fee;
        let mut account = self.system_account(L1_FEE_ORACLE_ADDRESS)?;
        for (slot, value) in [
            (ORACLE_BLOB_BASE_FEE_SLOT, fee.l1_blob_base_fee),
            (ORACLE_DATA_PRICE_SLOT, fee.price),
        ] {
            let original = self
                .db()
                .storage(L1_FEE_ORACLE_ADDRESS, slot)
                .map_err(state_error)?;
            let value = U256::from(value);
            if original != value {
                account.storage.insert(
                    slot,
                    revm::state::EvmStorageSlot::new_changed(
                        original,
                        value,
                        revm::state::TransactionId::ZERO,
                    ),
                );
            }
        }
        if !account.storage.is_empty() {
            self.commit_system(L1_FEE_ORACLE_ADDRESS, account);
        }
        Ok(())
    }

    /// `address`'s account in the block's current state, to change outside any transaction
    /// (a system write of the block: the data fee, the burn of withdrawn value, the oracle's
    /// slots) and hand to [`Self::commit_system`].
    fn system_account(&mut self, address: Address) -> EvmResult<revm::state::Account> {
        let info = self
            .db()
            .basic(address)
            .map_err(state_error)?
            .unwrap_or_default();
        Ok(revm::state::Account::from(info))
    }

    /// Commits a system write to `address`'s account.
    fn commit_system(&mut self, address: Address, mut account: revm::state::Account) {
        account.mark_touch();
        self.db()
            .commit_iter(&mut core::iter::once((address, account)));
    }

    /// Adds `amount` to `address`'s balance (a system write; nothing for zero).
    fn credit(&mut self, address: Address, amount: U256) -> EvmResult<()> {
        if !amount.is_zero() {
            let mut account = self.system_account(address)?;
            account.info.balance = account.info.balance.saturating_add(amount);
            self.commit_system(address, account);
        }
        Ok(())
    }

    fn db(&mut self) -> &mut BlockDb<R> {
        &mut self.evm.ctx.journaled_state.database
    }

    /// The database, for a tracing EVM that runs on the block's state so far.
    #[cfg(feature = "tracing-inspectors")]
    pub(crate) fn db_mut(&mut self) -> &mut BlockDb<R> {
        self.db()
    }

    /// The block's configuration and block environment.
    #[cfg(feature = "tracing-inspectors")]
    pub(crate) fn envs(&self) -> (CfgEnv, BlockEnv) {
        (self.evm.ctx.cfg.clone(), self.evm.ctx.block.clone())
    }

    /// What [`BlockBuilder::push_checked`] does before running a transaction of `encoded_len`
    /// bytes from `sender`: records the block's data fee, takes the transaction's (an error
    /// if the balance cannot pay it).
    #[cfg(feature = "tracing-inspectors")]
    pub(crate) fn take_data_fee(&mut self, sender: Address, encoded_len: usize) -> EvmResult<()> {
        self.record_data_fee()?;
        let l1_fee = self.attributes.data_fee.fee(encoded_len);
        if !l1_fee.is_zero() {
            let mut account = self.system_account(sender)?;
            account.info.balance = account.info.balance.saturating_sub(l1_fee);
            self.commit_system(sender, account);
        }
        Ok(())
    }

    /// Computes the post-state root through `nodes` (the trie nodes of the parent state) and
    /// seals the block.
    pub fn finish(mut self, nodes: &impl NodeReader) -> EvmResult<BuiltBlock> {
        self.record_data_fee()?;
        let Self {
            evm,
            parent_hash,
            parent_state_root,
            number,
            attributes,
            gas_used,
            transactions,
            senders,
            receipts,
            data_fee_recorded: _,
            stale_nodes,
        } = self;
        let mut db = evm.ctx.journaled_state.database;
        db.merge_transitions(BundleRetention::PlainState);
        let bundle = db.take_bundle();

        let mut changes = Vec::with_capacity(bundle.state.len());
        for (address, account) in bundle.state {
            let wiped = account.was_destroyed();
            if !wiped && account.info == account.original_info && account.storage.is_empty() {
                continue;
            }
            let storage = account
                .storage
                .iter()
                // After a wipe every surviving non-zero slot must be rewritten, changed or not.
                .filter(|(_, slot)| {
                    if wiped {
                        !slot.present_value.is_zero()
                    } else {
                        slot.is_changed()
                    }
                })
                .map(|(key, slot)| (*key, slot.present_value))
                .collect();
            changes.push(AccountChange {
                address,
                info: account.info.map(|info| TrieAccountInfo {
                    nonce: info.nonce,
                    balance: info.balance,
                    code_hash: info.code_hash,
                }),
                storage_wiped: wiped,
                storage,
            });
        }
        changes.sort_unstable_by_key(|change| change.address);
        let codes = bundle
            .contracts
            .into_iter()
            .map(|(hash, code)| (hash, code.original_bytes()))
            .collect();

        let state = apply_state_changes(nodes, parent_state_root, &changes, stale_nodes)?;
        let logs_bloom = receipts.iter().fold(Bloom::ZERO, |mut bloom, receipt| {
            bloom.accrue_bloom(&receipt.logs_bloom());
            bloom
        });
        let header = Header {
            parent_hash,
            ommers_hash: EMPTY_OMMER_ROOT_HASH,
            beneficiary: attributes.coinbase,
            state_root: state.root,
            transactions_root: calculate_transaction_root(&transactions),
            receipts_root: calculate_receipt_root(&receipts),
            logs_bloom,
            number,
            gas_limit: attributes.gas_limit,
            gas_used,
            timestamp: attributes.timestamp,
            extra_data: attributes.extra_data,
            base_fee_per_gas: Some(attributes.base_fee),
            ..Default::default()
        };
        let block = SealedBlock {
            header: header.seal_slow(),
            transactions,
            senders,
            data_fee: attributes.data_fee,
        };
        Ok(BuiltBlock {
            block,
            receipts,
            changes,
            state,
            codes,
        })
    }
}
