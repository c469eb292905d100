//! Simulating a call against some state without committing it: `eth_call` and
//! `eth_estimateGas`.

use alloy_consensus::Header;
use alloy_eips::eip2930::AccessList;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use keel_primitives::{ChainSpec, StateReader};
use revm::{
    Context, ExecuteEvm, MainBuilder, MainContext,
    context::{
        BlockEnv, CfgEnv, TxEnv,
        result::{EVMError, ExecutionResult},
    },
};

use crate::{
    EvmError, EvmResult,
    db::{ReaderDb, ReaderDbError},
    env::{block_env, cfg_env},
};

/// The intrinsic cost of the cheapest transaction; the floor of any gas estimate.
const MIN_TRANSACTION_GAS: u64 = 21_000;

/// A call to simulate, as `eth_call` receives it (fields the caller leaves out get defaults).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// Sender; zero address if absent.
    pub from: Option<Address>,
    /// Callee; `None` simulates a contract creation.
    pub to: Option<Address>,
    /// Gas limit; the simulator's cap if absent.
    pub gas: Option<u64>,
    /// Legacy gas price or EIP-1559 max fee; absent means "charge nothing".
    pub max_fee_per_gas: Option<u128>,
    /// EIP-1559 priority fee.
    pub max_priority_fee_per_gas: Option<u128>,
    /// Value sent.
    pub value: U256,
    /// Call data or init code.
    pub input: Bytes,
    /// Nonce; the nonce check is skipped if absent.
    pub nonce: Option<u64>,
    /// EIP-2930 access list.
    pub access_list: AccessList,
}

/// The result of a simulated call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// It succeeded.
    Success {
        /// Gas used.
        gas_used: u64,
        /// Return data (or deployed code for a creation).
        output: Bytes,
    },
    /// It reverted with `output` (ABI-encoded reason, if any).
    Revert {
        /// Gas used.
        gas_used: u64,
        /// Revert data.
        output: Bytes,
    },
    /// It halted (out of gas, invalid opcode, …).
    Halt {
        /// Gas used.
        gas_used: u64,
        /// revm's halt reason.
        reason: String,
    },
}

impl CallOutcome {
    /// Whether the call succeeded.
    pub const fn is_success(&self) -> bool {
        matches!(self, Self::Success { .. })
    }
}

/// Runs calls on the state after a given block.
#[derive(Debug, Clone)]
pub struct Simulator<'a> {
    spec: &'a ChainSpec,
    header: &'a Header,
    gas_cap: u64,
}

impl<'a> Simulator<'a> {
    /// Calls run in the environment of `header` (number, timestamp, base fee), with at most
    /// `gas_cap` gas.
    pub const fn new(spec: &'a ChainSpec, header: &'a Header, gas_cap: u64) -> Self {
        Self {
            spec,
            header,
            gas_cap,
        }
    }

    /// Executes `request` on `state` and discards the state changes.
    pub fn call<R: StateReader>(&self, state: &R, request: &CallRequest) -> EvmResult<CallOutcome> {
        let gas = request.gas.unwrap_or(self.gas_cap).min(self.gas_cap);
        self.run(state, request, gas)
    }

    /// The smallest gas limit with which `request` succeeds: a binary search over executions.
    /// A call that fails even with the cap returns that failing outcome as `Err`.
    pub fn estimate_gas<R: StateReader>(
        &self,
        state: &R,
        request: &CallRequest,
    ) -> EvmResult<Result<u64, CallOutcome>> {
        let mut hi = request.gas.unwrap_or(self.gas_cap).min(self.gas_cap);
        // Like geth: with a fee cap, the sender can only pay for so much gas; search below that
        // rather than fail with "insufficient funds" at the cap.
        if let (Some(fee), Some(from)) =
            (request.max_fee_per_gas.filter(|fee| *fee > 0), request.from)
        {
            let balance = state
                .account(&from)
                .map_err(|e| EvmError::State(Box::new(e)))?
                .map_or(U256::ZERO, |account| account.balance);
            let affordable = balance.saturating_sub(request.value) / U256::from(fee);
            hi = hi.min(affordable.saturating_to());
        }
        let outcome = self.run(state, request, hi)?;
        let CallOutcome::Success { gas_used, .. } = outcome else {
            return Ok(Err(outcome));
        };
        // Refunds and the 63/64 rule mean the limit can need to exceed `gas_used`; search the
        // gap. `lo` always fails (or is below the floor), `hi` always succeeds.
        let mut lo = gas_used.saturating_sub(1).max(MIN_TRANSACTION_GAS - 1);
        if lo >= hi {
            return Ok(Ok(hi));
        }
        // Most calls succeed with exactly what they used: try that first.
        if self.run(state, request, gas_used)?.is_success() {
            hi = gas_used;
        }
        while lo + 1 < hi {
            let mid = lo + (hi - lo) / 2;
            if self.run(state, request, mid)?.is_success() {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(Ok(hi))
    }

    /// Runs `request` on `state` under `tracer` (`debug_traceCall`).
    #[cfg(feature = "tracing-inspectors")]
    pub fn trace<R: StateReader>(
        &self,
        state: &R,
        request: &CallRequest,
        tracer: &crate::Tracer,
    ) -> EvmResult<alloy_rpc_types_trace::geth::GethTrace> {
        let gas = request.gas.unwrap_or(self.gas_cap).min(self.gas_cap);
        let (cfg, block, tx) = self.envs(request, gas);
        crate::trace::run_traced(
            cfg,
            block,
            &mut revm::database_interface::WrapDatabaseRef(ReaderDb(state)),
            tx,
            tracer,
        )
    }

    /// `eth_createAccessList`: the accounts and slots `request` touches (its sender, its target
    /// and the precompiles left out, as geth does), rerun with the list found until it no
    /// longer changes (at most a few times: a list can change which slots are read), and the
    /// outcome of the call with the final list.
    #[cfg(feature = "tracing-inspectors")]
    pub fn create_access_list<R: StateReader>(
        &self,
        state: &R,
        request: &CallRequest,
    ) -> EvmResult<(alloy_eips::eip2930::AccessList, CallOutcome)> {
        use revm::InspectEvm;
        use revm_inspectors::access_list::AccessListInspector;
        let gas = request.gas.unwrap_or(self.gas_cap).min(self.gas_cap);
        let mut request = request.clone();
        let mut list = request.access_list.clone();
        for _ in 0..4 {
            request.access_list = list.clone();
            let (cfg, block, tx) = self.envs(&request, gas);
            let mut inspector = AccessListInspector::new(list.clone());
            {
                let mut evm = Context::mainnet()
                    .with_ref_db(ReaderDb(state))
                    .with_cfg(cfg)
                    .with_block(block)
                    .build_mainnet_with_inspector(&mut inspector);
                match evm.inspect_tx(tx) {
                    Ok(_) => {}
                    Err(EVMError::Transaction(invalid)) => {
                        return Err(EvmError::InvalidCall(invalid));
                    }
                    Err(EVMError::Database(ReaderDbError(e))) => return Err(EvmError::State(e)),
                    Err(other) => return Err(EvmError::Call(other.to_string())),
                }
            }
            let found = inspector.into_access_list();
            if found == list {
                break;
            }
            list = found;
        }
        request.access_list = list.clone();
        let outcome = self.run(state, &request, gas)?;
        Ok((list, outcome))
    }

    /// The environment of a call of `request` with `gas`.
    fn envs(&self, request: &CallRequest, gas: u64) -> (CfgEnv, BlockEnv, TxEnv) {
        let mut cfg = cfg_env(self.spec);
        // eth_call semantics: no nonce check unless a nonce is given, no fee unless a price is
        // given, and the RPC gas cap rather than the block gas limit bounds the call.
        cfg.disable_nonce_check = request.nonce.is_none();
        cfg.disable_base_fee = request.max_fee_per_gas.is_none();
        cfg.disable_block_gas_limit = true;
        let mut block = block_env(self.header);
        block.gas_limit = block.gas_limit.max(gas);
        let priority = request.max_priority_fee_per_gas;
        let tx = TxEnv {
            tx_type: if priority.is_some() { 2 } else { 0 },
            caller: request.from.unwrap_or_default(),
            gas_limit: gas,
            gas_price: request.max_fee_per_gas.unwrap_or_default(),
            gas_priority_fee: priority,
            kind: request.to.map_or(TxKind::Create, TxKind::Call),
            value: request.value,
            data: request.input.clone(),
            nonce: request.nonce.unwrap_or_default(),
            chain_id: Some(self.spec.chain_id),
            access_list: request.access_list.clone(),
            ..Default::default()
        };
        (cfg, block, tx)
    }

    fn run<R: StateReader>(
        &self,
        state: &R,
        request: &CallRequest,
        gas: u64,
    ) -> EvmResult<CallOutcome> {
        let (cfg, block, tx) = self.envs(request, gas);
        let mut evm = Context::mainnet()
            .with_ref_db(ReaderDb(state))
            .with_cfg(cfg)
            .with_block(block)
            .build_mainnet();
        match evm.transact_one(tx) {
            Ok(ExecutionResult::Success { gas, output, .. }) => Ok(CallOutcome::Success {
                gas_used: gas.tx_gas_used(),
                output: output.into_data(),
            }),
            Ok(ExecutionResult::Revert { gas, output, .. }) => Ok(CallOutcome::Revert {
                gas_used: gas.tx_gas_used(),
                output,
            }),
            Ok(ExecutionResult::Halt { gas, reason, .. }) => Ok(CallOutcome::Halt {
                gas_used: gas.tx_gas_used(),
                reason: format!("{reason:?}"),
            }),
            Err(EVMError::Transaction(invalid)) => Err(EvmError::InvalidCall(invalid)),
            Err(EVMError::Database(ReaderDbError(e))) => Err(EvmError::State(e)),
            Err(other) => Err(EvmError::Call(other.to_string())),
        }
    }
}
