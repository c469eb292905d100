#!/usr/bin/env node
// dApp end-to-end check: drives viem 2 and ethers 6, the two JavaScript libraries most dApps and
// wallets are built on, against a running Keel L2 node, through the calls they make on their own
// (fee estimation, receipts, filters, subscriptions). The Rust e2e suite speaks alloy; this script
// catches answers that alloy accepts but these libraries read differently.
//
//   cd e2e/js && npm ci && node dapp.mjs http://127.0.0.1:1729 <funded private key>
//
// The WebSocket URL is the HTTP one with http replaced by ws (Keel serves both on one port).
// Checks, in order (one line each, "ok   <check>: <detail>" or "FAIL <check>: <error>"):
//   - fee estimation: viem estimateFeesPerGas/getGasPrice/estimateGas, ethers getFeeData/estimateGas;
//   - an ETH transfer sent and its receipt awaited, with each library;
//   - the Token contract below deployed with each library (receipt, address, runtime code);
//   - a call that reverts with require(..., "too much"): the reason must reach viem's
//     ContractFunctionRevertedError (simulateContract, estimateContractGas) and ethers'
//     CALL_EXCEPTION error (staticCall, estimateGas);
//   - viem getContractEvents finds the emitted Transfer event (also by its indexed argument);
//   - viem createContractEventFilter + getFilterChanges (eth_newFilter / eth_getFilterChanges);
//   - ethers contract.on("Transfer") over HTTP (ethers installs a filter and polls it);
//   - viem watchBlockNumber over HTTP (polling) sees the head advance;
//   - viem getProof (EIP-1186) for an account, a contract and an absent account: the proof is walked
//     here from the block's stateRoot and its leaf must match getBalance/getTransactionCount/getCode;
//   - over WebSocket: viem watchBlocks (eth_subscribe newHeads), viem watchContractEvent
//     (eth_subscribe logs) and ethers WebSocketProvider on("block").
// Every wait has its own timeout (WAIT_MS), so a missing feature fails instead of hanging. Exits 0
// only when every check passed.

import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  fromRlp,
  getContractAddress,
  http,
  isAddressEqual,
  keccak256,
  parseGwei,
  webSocket,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { ethers } from 'ethers';

/** How long one wait (a receipt, an event, a block, a subscription) may take. */
const WAIT_MS = 30_000;
/** A whole check, as a backstop for a library call that never settles. */
const CHECK_MS = 120_000;
/** Polling interval for both libraries over HTTP (the node seals a block every 0.5-1 s). */
const POLL_MS = 250;

// The contract every contract check uses, compiled once with solc 0.8.30 (npm `solc`, standard
// JSON, optimizer on with 200 runs, evmVersion prague: Keel runs revm with SpecId::PRAGUE):
//
//   // SPDX-License-Identifier: MIT
//   pragma solidity ^0.8.20;
//
//   contract Token {
//       event Transfer(address indexed from, address indexed to, uint256 value);
//
//       function transfer(address to, uint256 value) external returns (bool) {
//           require(value <= 1000, "too much");
//           emit Transfer(msg.sender, to, value);
//           return true;
//       }
//   }
const TOKEN_ABI = [
  {
    anonymous: false,
    inputs: [
      { indexed: true, internalType: 'address', name: 'from', type: 'address' },
      { indexed: true, internalType: 'address', name: 'to', type: 'address' },
      { indexed: false, internalType: 'uint256', name: 'value', type: 'uint256' },
    ],
    name: 'Transfer',
    type: 'event',
  },
  {
    inputs: [
      { internalType: 'address', name: 'to', type: 'address' },
      { internalType: 'uint256', name: 'value', type: 'uint256' },
    ],
    name: 'transfer',
    outputs: [{ internalType: 'bool', name: '', type: 'bool' }],
    stateMutability: 'nonpayable',
    type: 'function',
  },
];
// Creation code (evm.bytecode.object).
const TOKEN_BYTECODE =
  '0x6080604052348015600e575f5ffd5b5061014a8061001c5f395ff3fe608060405234801561000f575f5ffd5b50' +
  '60043610610029575f3560e01c8063a9059cbb1461002d575b5f5ffd5b61004061003b3660046100df565b610054' +
  '565b604051901515815260200160405180910390f35b5f6103e88211156100965760405162461bcd60e51b8152602060' +
  '0482015260086024820152670e8dede40daeac6d60c31b604482015260640160405180910390fd5b6040518281526001' +
  '600160a01b0384169033907fddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef90602001' +
  '60405180910390a350600192915050565b5f5f604083850312156100f0575f5ffd5b82356001600160a01b0381168114' +
  '610106575f5ffd5b94602093909301359350505056fea26469706673582212205c268911007f5849c999407355b2b7' +
  '5b479ff95e80dddb0491a910ec910571bf64736f6c634300081e0033';
// Runtime code (evm.deployedBytecode.object): what eth_getCode must return after the deployment.
// It is the creation code's tail from byte 0x1c on (the constructor CODECOPYs from offset 0x1c).
const TOKEN_RUNTIME = `0x${TOKEN_BYTECODE.slice(2 + 0x1c * 2)}`;
/** The revert reason of transfer(to, value > 1000). */
const REVERT_REASON = 'too much';

/** keccak256 of the empty trie's RLP (0x80): the storage root of an account without storage. */
const EMPTY_TRIE_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';
/** keccak256 of no bytes: the code hash of an account without code. */
const EMPTY_CODE_HASH = keccak256('0x');

// ---------------------------------------------------------------------------------------------
// Helpers

class CheckError extends Error {}

function assert(condition, message) {
  if (!condition) throw new CheckError(message);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` after `ms`. The timer never outlives the race. */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new CheckError(`timed out after ${ms / 1000} s waiting for ${what}`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `probe` every POLL_MS until it returns something other than undefined. */
async function pollUntil(probe, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new CheckError(`timed out after ${ms / 1000} s waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** Awaits `promise` and returns the error it rejects with; throws if it resolves instead. */
async function expectRevert(promise, what) {
  try {
    const value = await promise;
    throw new CheckError(`${what} succeeded (returned ${stringify(value)}), but it must revert`);
  } catch (error) {
    if (error instanceof CheckError) throw error;
    return error;
  }
}

function stringify(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
}

/** One line saying what went wrong, with what viem or ethers knows about the RPC error. */
function describe(error) {
  if (error instanceof CheckError) return error.message;
  const parts = [];
  if (error instanceof BaseError) {
    parts.push(error.shortMessage);
    if (error.details) parts.push(`details: ${error.details}`);
    const rpc = error.walk((e) => typeof e?.code === 'number');
    if (rpc && rpc !== error) parts.push(`rpc code ${rpc.code}`);
  } else if (error && typeof error === 'object' && 'code' in error && 'shortMessage' in error) {
    // An ethers error.
    parts.push(`${error.code}: ${error.shortMessage}`);
    if (error.info) parts.push(`info: ${stringify(error.info)}`);
    if (error.error) parts.push(`rpc error: ${stringify(error.error)}`);
  } else {
    parts.push(error?.message ?? String(error));
  }
  return parts.join(' | ').replace(/\s*\n\s*/g, ' ');
}

/** Resolves when ethers' HTTP provider sends a request for `method` (seen through its "debug" events). */
function ethersRequestSent(provider, method) {
  let listener;
  const promise = new Promise((resolve) => {
    listener = (event) => {
      if (event.action !== 'sendRpcPayload') return;
      if ([].concat(event.payload).some((request) => request.method === method)) resolve();
    };
  });
  provider.on('debug', listener);
  return { promise, stop: () => provider.off('debug', listener) };
}

// ---------------------------------------------------------------------------------------------
// EIP-1186 account proof verification (Merkle-Patricia trie, as in the yellow paper, appendix D)

/** An RLP integer (big-endian bytes, no leading zeros, none for 0) as a bigint. */
function rlpInteger(hex, what) {
  assert(typeof hex === 'string', `${what} is a list, not bytes`);
  assert(!hex.startsWith('0x00'), `${what} ${hex} has a leading zero byte (non-canonical RLP)`);
  return hex === '0x' ? 0n : BigInt(hex);
}

function nibbles(hex) {
  return [...hex.slice(2)].map((c) => parseInt(c, 16));
}

/** Decodes a hex-prefix encoded path (yellow paper, appendix C). */
function hexPrefixDecode(hex) {
  assert(typeof hex === 'string' && hex.length > 2, `bad hex-prefix path ${stringify(hex)}`);
  const all = nibbles(hex);
  const flag = all[0];
  assert(flag <= 3, `bad hex-prefix flag ${flag} in ${hex}`);
  const odd = (flag & 1) === 1;
  assert(odd || all[1] === 0, `even hex-prefix path ${hex} has a non-zero padding nibble`);
  return { leaf: flag >= 2, path: all.slice(odd ? 1 : 2) };
}

/**
 * Walks `proof` (the RLP nodes from the root down) for `address` starting at `stateRoot`.
 * Returns the account leaf `{ nonce, balance, storageRoot, codeHash }`, or null when the proof
 * shows the account is absent. Throws when the proof does not hash up to `stateRoot`.
 */
function verifyAccountProof(stateRoot, address, proof) {
  const key = nibbles(keccak256(address));
  let reference = stateRoot.toLowerCase(); // a 32-byte hash, or an embedded (decoded) node
  let depth = 0; // nibbles of the key consumed
  let used = 0; // proof nodes consumed
  let leafValue = null;
  for (;;) {
    let node;
    if (typeof reference === 'string') {
      assert(used < proof.length, `the proof ends after ${used} nodes, before the key is resolved`);
      const raw = proof[used].toLowerCase();
      const hash = keccak256(raw);
      assert(hash === reference, `proof node ${used} hashes to ${hash}, but its parent references ${reference}`);
      node = fromRlp(raw, 'hex');
      used += 1;
    } else {
      node = reference;
    }
    assert(Array.isArray(node), `proof node ${used - 1} is not an RLP list`);
    let child;
    if (node.length === 17) {
      assert(depth < key.length, 'the key ends at a branch node (account keys are 32 bytes)');
      child = node[key[depth]];
      depth += 1;
      if (child === '0x') break; // empty slot: the account is absent
    } else if (node.length === 2) {
      const { leaf, path } = hexPrefixDecode(node[0]);
      const matches =
        depth + path.length <= key.length && path.every((nibble, i) => nibble === key[depth + i]);
      if (!matches) break; // the path diverges: the account is absent
      depth += path.length;
      if (leaf) {
        assert(depth === key.length, `a leaf ends the key after ${depth} of ${key.length} nibbles`);
        leafValue = node[1];
        break;
      }
      child = node[1];
    } else {
      throw new CheckError(`proof node ${used - 1} has ${node.length} items (neither branch nor leaf/extension)`);
    }
    if (typeof child === 'string') {
      assert(child.length === 66, `a child reference ${child} is neither a 32-byte hash nor an embedded node`);
    }
    reference = child;
  }
  assert(used === proof.length, `the proof has ${proof.length - used} node(s) past the one that resolves the key`);
  if (leafValue === null) return null;
  assert(typeof leafValue === 'string', 'the leaf value is a list, not the RLP of an account');
  const account = fromRlp(leafValue, 'hex');
  assert(Array.isArray(account) && account.length === 4, `the leaf is not [nonce, balance, storageRoot, codeHash]: ${stringify(account)}`);
  const [nonce, balance, storageRoot, codeHash] = account;
  assert(typeof storageRoot === 'string' && storageRoot.length === 66, `leaf storageRoot ${stringify(storageRoot)} is not 32 bytes`);
  assert(typeof codeHash === 'string' && codeHash.length === 66, `leaf codeHash ${stringify(codeHash)} is not 32 bytes`);
  return {
    nonce: rlpInteger(nonce, 'leaf nonce'),
    balance: rlpInteger(balance, 'leaf balance'),
    storageRoot,
    codeHash,
  };
}

// ---------------------------------------------------------------------------------------------
// Set-up

const [httpUrl, keyArg] = process.argv.slice(2);
if (!httpUrl || !keyArg || !/^https?:\/\//.test(httpUrl)) {
  console.error('usage: node dapp.mjs <http-rpc-url> <private-key-hex>');
  process.exit(2);
}
const wsUrl = httpUrl.replace(/^http/, 'ws');
const privateKey = keyArg.startsWith('0x') ? keyArg : `0x${keyArg}`;

const account = privateKeyToAccount(privateKey);
// Fresh addresses each run: a recipient (its balance starts at 0) and one that never exists.
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const absent = privateKeyToAccount(generatePrivateKey()).address;
const VALUE = parseGwei('1000'); // wei sent by each ETH transfer

// retryCount 0: an RPC error is reported as the node answered it, not after retries.
const bootstrap = createPublicClient({ transport: http(httpUrl, { retryCount: 0, timeout: 10_000 }) });
let chainId;
try {
  chainId = await bootstrap.getChainId();
} catch (error) {
  console.log(`FAIL connect to ${httpUrl}: ${describe(error)}`);
  process.exit(1);
}
const chain = defineChain({
  id: chainId,
  name: 'Keel',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: [httpUrl], webSocket: [wsUrl] } },
});
const httpTransport = http(httpUrl, { retryCount: 0, timeout: 10_000 });
const publicClient = createPublicClient({ chain, transport: httpTransport, pollingInterval: POLL_MS });
const walletClient = createWalletClient({ chain, account, transport: httpTransport, pollingInterval: POLL_MS });

const provider = new ethers.JsonRpcProvider(httpUrl, chainId, {
  staticNetwork: true,
  pollingInterval: POLL_MS,
});
provider.pollingInterval = POLL_MS;
const wallet = new ethers.Wallet(privateKey, provider);

// Opened by the WebSocket checks, closed at the end.
let wsClient;
let wsProvider;

/** What earlier checks leave for later ones. */
const ctx = {};

// ethers' filter poller reports a failed eth_newFilter/eth_getFilterChanges only with
// console.log("@TODO", error), once per block. Keep those out of the output and let the check
// that waits on the filter quote the first one.
const ethersBackgroundErrors = [];
const consoleLog = console.log;
console.log = (...args) => {
  if (args[0] === '@TODO') ethersBackgroundErrors.push(args[1]);
  else consoleLog(...args);
};
// A library's background task (a poller, an unsubscribe) that fails must fail the run, not end it.
let backgroundFailures = 0;
process.on('unhandledRejection', (reason) => {
  backgroundFailures += 1;
  console.log(`FAIL a library's background task: ${describe(reason)}`);
});

async function waitReceipt(hash) {
  return publicClient.waitForTransactionReceipt({ hash, timeout: WAIT_MS, pollingInterval: POLL_MS });
}

/** The balance change of `address` made by block `blockNumber`. */
async function balanceDelta(address, blockNumber) {
  const [before, after] = await Promise.all([
    publicClient.getBalance({ address, blockNumber: blockNumber - 1n }),
    publicClient.getBalance({ address, blockNumber }),
  ]);
  return after - before;
}

/** Checks that `error` (from viem) carries a ContractFunctionRevertedError with the reason. */
function assertViemRevert(error, what) {
  assert(error instanceof BaseError, `${what} failed with a non-viem error: ${describe(error)}`);
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  assert(reverted, `${what} failed without a ContractFunctionRevertedError: ${describe(error)}`);
  assert(
    reverted.reason === REVERT_REASON,
    `${what}: ContractFunctionRevertedError.reason is ${stringify(reverted.reason)}, expected "${REVERT_REASON}" (${describe(error)})`,
  );
  assert(
    reverted.data?.errorName === 'Error' && reverted.data?.args?.[0] === REVERT_REASON,
    `${what}: the revert data did not decode to Error("${REVERT_REASON}"): data=${stringify(reverted.data)} raw=${reverted.raw}`,
  );
  assert(error.message.includes(REVERT_REASON), `${what}: the error message does not mention "${REVERT_REASON}"`);
  return reverted;
}

/** Checks that `error` (from ethers) is a CALL_EXCEPTION with the reason. */
function assertEthersRevert(error, what) {
  assert(ethers.isError(error, 'CALL_EXCEPTION'), `${what} failed with ${describe(error)}, not CALL_EXCEPTION`);
  assert(error.reason === REVERT_REASON, `${what}: error.reason is ${stringify(error.reason)}, expected "${REVERT_REASON}" (${describe(error)})`);
  assert(
    error.revert?.name === 'Error' && error.revert?.args?.[0] === REVERT_REASON,
    `${what}: error.revert is ${stringify(error.revert)}, expected Error("${REVERT_REASON}")`,
  );
  return error;
}

/** An account's proof at `blockNumber`, verified against that block's stateRoot. */
async function provenAccount(address, blockNumber) {
  const [block, proof] = await Promise.all([
    publicClient.getBlock({ blockNumber }),
    publicClient.getProof({ address, storageKeys: [], blockNumber }),
  ]);
  assert(isAddressEqual(proof.address, address), `getProof answered for ${proof.address}, asked for ${address}`);
  assert(Array.isArray(proof.accountProof) && proof.accountProof.length > 0, 'accountProof is empty');
  assert(Array.isArray(proof.storageProof) && proof.storageProof.length === 0, `storageProof has ${proof.storageProof?.length} entries for no keys`);
  const leaf = verifyAccountProof(block.stateRoot, address, proof.accountProof);
  return { block, proof, leaf };
}

// ---------------------------------------------------------------------------------------------
// Checks, in order. `needs` names what earlier checks must have left in ctx.

const checks = [
  {
    name: 'viem fee estimation',
    async run() {
      const [fees, gasPrice, block] = await Promise.all([
        publicClient.estimateFeesPerGas(),
        publicClient.getGasPrice(),
        publicClient.getBlock(),
      ]);
      const gas = await publicClient.estimateGas({ account, to: recipient, value: VALUE });
      assert(typeof block.baseFeePerGas === 'bigint', 'the latest block has no baseFeePerGas');
      assert(fees.maxPriorityFeePerGas >= 0n, `maxPriorityFeePerGas ${fees.maxPriorityFeePerGas} < 0`);
      assert(
        fees.maxFeePerGas >= block.baseFeePerGas + fees.maxPriorityFeePerGas,
        `maxFeePerGas ${fees.maxFeePerGas} < baseFee ${block.baseFeePerGas} + priority ${fees.maxPriorityFeePerGas}`,
      );
      assert(gasPrice > 0n, `eth_gasPrice is ${gasPrice}`);
      assert(gas === 21000n, `estimateGas for an ETH transfer is ${gas}, expected 21000`);
      return `maxFeePerGas=${fees.maxFeePerGas} maxPriorityFeePerGas=${fees.maxPriorityFeePerGas} gasPrice=${gasPrice} baseFee=${block.baseFeePerGas} transfer gas=${gas}`;
    },
  },
  {
    name: 'ethers fee estimation',
    async run() {
      const fee = await provider.getFeeData();
      assert(fee.gasPrice != null && fee.gasPrice > 0n, `getFeeData().gasPrice is ${fee.gasPrice}`);
      assert(fee.maxFeePerGas != null, 'getFeeData().maxFeePerGas is null (no EIP-1559 fields: is baseFeePerGas missing?)');
      assert(fee.maxPriorityFeePerGas != null, 'getFeeData().maxPriorityFeePerGas is null');
      assert(fee.maxFeePerGas >= fee.maxPriorityFeePerGas, `maxFeePerGas ${fee.maxFeePerGas} < maxPriorityFeePerGas ${fee.maxPriorityFeePerGas}`);
      const gas = await provider.estimateGas({ from: wallet.address, to: recipient, value: VALUE });
      assert(gas === 21000n, `estimateGas for an ETH transfer is ${gas}, expected 21000`);
      return `maxFeePerGas=${fee.maxFeePerGas} maxPriorityFeePerGas=${fee.maxPriorityFeePerGas} gasPrice=${fee.gasPrice} transfer gas=${gas}`;
    },
  },
  {
    name: 'viem transfer + receipt',
    async run() {
      const hash = await walletClient.sendTransaction({ to: recipient, value: VALUE });
      const receipt = await waitReceipt(hash);
      assert(receipt.transactionHash === hash, `receipt for ${receipt.transactionHash}, sent ${hash}`);
      assert(receipt.status === 'success', `status ${receipt.status}`);
      assert(isAddressEqual(receipt.from, account.address), `receipt.from ${receipt.from}`);
      assert(receipt.to && isAddressEqual(receipt.to, recipient), `receipt.to ${receipt.to}`);
      assert(receipt.gasUsed === 21000n, `gasUsed ${receipt.gasUsed}`);
      assert(receipt.type === 'eip1559', `receipt.type ${receipt.type}, viem sends EIP-1559 transactions`);
      const tx = await publicClient.getTransaction({ hash });
      assert(tx.blockNumber === receipt.blockNumber, `getTransaction says block ${tx.blockNumber}, receipt ${receipt.blockNumber}`);
      const delta = await balanceDelta(recipient, receipt.blockNumber);
      assert(delta === VALUE, `the recipient's balance moved by ${delta} in block ${receipt.blockNumber}, expected ${VALUE}`);
      return `${hash} in block ${receipt.blockNumber}, gasUsed=${receipt.gasUsed} effectiveGasPrice=${receipt.effectiveGasPrice}`;
    },
  },
  {
    name: 'ethers transfer + receipt',
    async run() {
      const tx = await wallet.sendTransaction({ to: recipient, value: VALUE });
      const receipt = await tx.wait(1, WAIT_MS);
      assert(receipt, 'tx.wait() returned no receipt');
      assert(receipt.hash === tx.hash, `receipt for ${receipt.hash}, sent ${tx.hash}`);
      assert(receipt.status === 1, `status ${receipt.status}`);
      assert(receipt.gasUsed === 21000n, `gasUsed ${receipt.gasUsed}`);
      const delta = await balanceDelta(recipient, BigInt(receipt.blockNumber));
      assert(delta === VALUE, `the recipient's balance moved by ${delta} in block ${receipt.blockNumber}, expected ${VALUE}`);
      return `${tx.hash} (type ${tx.type}) in block ${receipt.blockNumber}, gasUsed=${receipt.gasUsed} gasPrice=${receipt.gasPrice}`;
    },
  },
  {
    name: 'viem deploy contract',
    async run() {
      const nonce = await publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' });
      const hash = await walletClient.deployContract({ abi: TOKEN_ABI, bytecode: TOKEN_BYTECODE, nonce });
      const receipt = await waitReceipt(hash);
      assert(receipt.status === 'success', `status ${receipt.status}`);
      assert(receipt.contractAddress, 'the receipt has no contractAddress');
      const expected = getContractAddress({ from: account.address, nonce: BigInt(nonce) });
      assert(isAddressEqual(receipt.contractAddress, expected), `contractAddress ${receipt.contractAddress}, expected ${expected} (CREATE from nonce ${nonce})`);
      const code = await publicClient.getCode({ address: receipt.contractAddress, blockNumber: receipt.blockNumber });
      assert(code === TOKEN_RUNTIME, `eth_getCode returned ${code?.length ?? 0} hex chars, not the runtime code`);
      ctx.viemToken = receipt.contractAddress;
      ctx.viemTokenBlock = receipt.blockNumber;
      return `${receipt.contractAddress} in block ${receipt.blockNumber}, gasUsed=${receipt.gasUsed}`;
    },
  },
  {
    name: 'ethers deploy contract',
    async run() {
      const factory = new ethers.ContractFactory(TOKEN_ABI, TOKEN_BYTECODE, wallet);
      const contract = await factory.deploy();
      const receipt = await contract.deploymentTransaction().wait(1, WAIT_MS);
      assert(receipt?.status === 1, `status ${receipt?.status}`);
      const address = await contract.getAddress();
      assert(receipt.contractAddress === address, `receipt.contractAddress ${receipt.contractAddress}, ethers computed ${address}`);
      await withTimeout(contract.waitForDeployment(), WAIT_MS, 'waitForDeployment');
      const code = await provider.getCode(address, receipt.blockNumber);
      assert(code === TOKEN_RUNTIME, `eth_getCode returned ${code.length} hex chars, not the runtime code`);
      ctx.ethersToken = contract;
      return `${address} in block ${receipt.blockNumber}, gasUsed=${receipt.gasUsed}`;
    },
  },
  {
    name: 'viem simulateContract revert reason',
    needs: ['viemToken'],
    async run() {
      const call = { account, address: ctx.viemToken, abi: TOKEN_ABI, functionName: 'transfer' };
      const passing = await publicClient.simulateContract({ ...call, args: [recipient, 1000n] });
      assert(passing.result === true, `transfer(to, 1000) simulated to ${passing.result}, expected true`);
      const error = await expectRevert(publicClient.simulateContract({ ...call, args: [recipient, 1001n] }), 'simulateContract transfer(to, 1001)');
      const reverted = assertViemRevert(error, 'simulateContract');
      return `${error.constructor.name} → ContractFunctionRevertedError reason="${reverted.reason}"`;
    },
  },
  {
    name: 'viem estimateContractGas revert reason',
    needs: ['viemToken'],
    async run() {
      const error = await expectRevert(
        publicClient.estimateContractGas({ account, address: ctx.viemToken, abi: TOKEN_ABI, functionName: 'transfer', args: [recipient, 1001n] }),
        'estimateContractGas transfer(to, 1001)',
      );
      const reverted = assertViemRevert(error, 'estimateContractGas');
      return `${error.constructor.name} → ContractFunctionRevertedError reason="${reverted.reason}"`;
    },
  },
  {
    name: 'ethers staticCall revert reason',
    needs: ['ethersToken'],
    async run() {
      const contract = ctx.ethersToken;
      const passing = await contract.transfer.staticCall(recipient, 1000n);
      assert(passing === true, `transfer(to, 1000) staticCall returned ${passing}, expected true`);
      const error = await expectRevert(contract.transfer.staticCall(recipient, 1001n), 'staticCall transfer(to, 1001)');
      assertEthersRevert(error, 'staticCall');
      return `CALL_EXCEPTION reason="${error.reason}" data=${error.data?.slice(0, 10)}…`;
    },
  },
  {
    name: 'ethers estimateGas revert reason',
    needs: ['ethersToken'],
    async run() {
      const error = await expectRevert(ctx.ethersToken.transfer.estimateGas(recipient, 1001n), 'estimateGas transfer(to, 1001)');
      assertEthersRevert(error, 'estimateGas');
      return `CALL_EXCEPTION reason="${error.reason}"`;
    },
  },
  {
    name: 'viem getContractEvents',
    needs: ['viemToken'],
    async run() {
      const hash = await walletClient.writeContract({ address: ctx.viemToken, abi: TOKEN_ABI, functionName: 'transfer', args: [recipient, 7n] });
      const receipt = await waitReceipt(hash);
      assert(receipt.status === 'success', `status ${receipt.status}`);
      assert(receipt.logs.length === 1, `the receipt has ${receipt.logs.length} logs, expected 1`);
      const range = { address: ctx.viemToken, abi: TOKEN_ABI, eventName: 'Transfer', fromBlock: ctx.viemTokenBlock, toBlock: receipt.blockNumber };
      const events = await publicClient.getContractEvents(range);
      assert(events.length === 1, `getContractEvents returned ${events.length} events between blocks ${range.fromBlock} and ${range.toBlock}, expected 1`);
      const [event] = events;
      assert(event.eventName === 'Transfer', `eventName ${event.eventName}`);
      assert(event.transactionHash === hash, `the event's transactionHash is ${event.transactionHash}, expected ${hash}`);
      assert(event.blockHash === receipt.blockHash && event.blockNumber === receipt.blockNumber, `the event's block ${event.blockNumber} ${event.blockHash} is not the receipt's`);
      assert(event.logIndex === receipt.logs[0].logIndex, `logIndex ${event.logIndex}, receipt says ${receipt.logs[0].logIndex}`);
      assert(isAddressEqual(event.args.from, account.address) && isAddressEqual(event.args.to, recipient) && event.args.value === 7n, `decoded args ${stringify(event.args)}`);
      const byTo = await publicClient.getContractEvents({ ...range, args: { to: recipient } });
      assert(byTo.length === 1 && byTo[0].transactionHash === hash, `filtering on the indexed "to" returned ${byTo.length} events, expected this one`);
      const byOther = await publicClient.getContractEvents({ ...range, args: { to: absent } });
      assert(byOther.length === 0, `filtering on another "to" returned ${byOther.length} events, expected 0`);
      return `Transfer(from=${event.args.from}, to=${event.args.to}, value=${event.args.value}) in block ${event.blockNumber}, also found by its indexed "to"`;
    },
  },
  {
    name: 'viem event filter + getFilterChanges',
    needs: ['viemToken'],
    async run() {
      const filter = await publicClient.createContractEventFilter({ address: ctx.viemToken, abi: TOKEN_ABI, eventName: 'Transfer' });
      try {
        const initial = await publicClient.getFilterChanges({ filter });
        assert(Array.isArray(initial) && initial.length === 0, `a new filter's first changes are ${stringify(initial)}, expected []`);
        const hash = await walletClient.writeContract({ address: ctx.viemToken, abi: TOKEN_ABI, functionName: 'transfer', args: [recipient, 9n] });
        const seen = [];
        const log = await pollUntil(async () => {
          const changes = await publicClient.getFilterChanges({ filter });
          seen.push(...changes);
          return seen.find((l) => l.transactionHash === hash);
        }, WAIT_MS, `getFilterChanges to return the Transfer of ${hash}`);
        assert(seen.length === 1, `getFilterChanges returned ${seen.length} logs, expected just the one Transfer`);
        assert(log.eventName === 'Transfer' && log.args.value === 9n && isAddressEqual(log.args.to, recipient), `decoded log ${stringify({ eventName: log.eventName, args: log.args })}`);
        // The cursor moved on: polling again after a later block must not repeat the log.
        const head = await publicClient.getBlockNumber();
        await pollUntil(async () => ((await publicClient.getBlockNumber()) > head ? true : undefined), WAIT_MS, 'a later block');
        const again = await publicClient.getFilterChanges({ filter });
        assert(again.length === 0, `a later poll returned ${again.length} logs again: ${stringify(again.map((l) => l.transactionHash))}`);
        return `Transfer(value=${log.args.value}) from ${hash} in block ${log.blockNumber}, not repeated by the next poll`;
      } finally {
        const removed = await publicClient.uninstallFilter({ filter });
        assert(removed === true, `eth_uninstallFilter returned ${removed}`);
      }
    },
  },
  {
    name: 'ethers contract.on("Transfer") over HTTP',
    needs: ['ethersToken'],
    async run() {
      const contract = ctx.ethersToken;
      let listener;
      const received = new Promise((resolve) => {
        listener = (from, to, value, payload) => resolve({ from, to, value, payload });
      });
      // ethers installs the filter (eth_newFilter) in the background; its first
      // eth_getFilterChanges means the filter exists, so the transfer below is after it.
      const polled = ethersRequestSent(provider, 'eth_getFilterChanges');
      const reported = ethersBackgroundErrors.length;
      try {
        await contract.on('Transfer', listener);
        await withTimeout(polled.promise, WAIT_MS, 'ethers to install its filter (eth_newFilter) and poll it (eth_getFilterChanges)');
        const tx = await contract.transfer(recipient, 5n);
        const receipt = await tx.wait(1, WAIT_MS);
        assert(receipt?.status === 1, `the transfer's status is ${receipt?.status}`);
        const event = await withTimeout(received, WAIT_MS, 'the Transfer event');
        assert(event.payload.log.transactionHash === tx.hash, `the event came from ${event.payload.log.transactionHash}, expected ${tx.hash}`);
        assert(event.from === wallet.address && event.to === recipient && event.value === 5n, `event args ${stringify([event.from, event.to, event.value])}`);
        return `Transfer(value=${event.value}) from ${tx.hash} in block ${event.payload.log.blockNumber}`;
      } catch (error) {
        const background = ethersBackgroundErrors[reported];
        if (background) throw new CheckError(`${describe(error)}; ethers' filter poller failed with: ${describe(background)}`);
        throw error;
      } finally {
        polled.stop();
        await contract.off('Transfer', listener);
      }
    },
  },
  {
    name: 'viem watchBlockNumber over HTTP',
    async run() {
      const numbers = [];
      let unwatch;
      try {
        await withTimeout(new Promise((resolve, reject) => {
          unwatch = publicClient.watchBlockNumber({
            poll: true,
            pollingInterval: POLL_MS,
            emitOnBegin: true,
            onBlockNumber(number) {
              numbers.push(number);
              if (numbers.length >= 3) resolve();
            },
            onError: reject,
          });
        }), WAIT_MS, 'the block number to advance twice');
      } finally {
        unwatch?.();
      }
      for (let i = 1; i < numbers.length; i += 1) {
        assert(numbers[i] > numbers[i - 1], `block numbers went ${numbers.join(' → ')}`);
      }
      return `saw ${numbers.join(' → ')}`;
    },
  },
  {
    name: 'viem getProof (sender account)',
    async run() {
      const blockNumber = await publicClient.getBlockNumber();
      const { block, proof, leaf } = await provenAccount(account.address, blockNumber);
      assert(leaf, `the proof shows ${account.address} absent from block ${blockNumber}'s state`);
      const [balance, nonce] = await Promise.all([
        publicClient.getBalance({ address: account.address, blockNumber }),
        publicClient.getTransactionCount({ address: account.address, blockNumber }),
      ]);
      assert(leaf.balance === balance, `the proven balance ${leaf.balance} ≠ getBalance ${balance} at block ${blockNumber}`);
      assert(leaf.nonce === BigInt(nonce), `the proven nonce ${leaf.nonce} ≠ getTransactionCount ${nonce}`);
      assert(proof.balance === leaf.balance && BigInt(proof.nonce) === leaf.nonce, `getProof's balance/nonce fields (${proof.balance}/${proof.nonce}) ≠ the leaf's (${leaf.balance}/${leaf.nonce})`);
      assert(proof.storageHash === leaf.storageRoot && proof.codeHash === leaf.codeHash, `getProof's storageHash/codeHash ≠ the leaf's (${leaf.storageRoot}/${leaf.codeHash})`);
      assert(leaf.codeHash === EMPTY_CODE_HASH && leaf.storageRoot === EMPTY_TRIE_ROOT, 'an EOA with code or storage');
      return `${proof.accountProof.length} nodes verified against stateRoot ${block.stateRoot} of block ${blockNumber}: balance=${leaf.balance} nonce=${leaf.nonce}`;
    },
  },
  {
    name: 'viem getProof (contract account)',
    needs: ['viemToken'],
    async run() {
      const blockNumber = await publicClient.getBlockNumber();
      const { proof, leaf } = await provenAccount(ctx.viemToken, blockNumber);
      assert(leaf, `the proof shows the contract ${ctx.viemToken} absent`);
      const code = await publicClient.getCode({ address: ctx.viemToken, blockNumber });
      assert(leaf.codeHash === keccak256(code), `the proven codeHash ${leaf.codeHash} ≠ keccak(getCode) ${keccak256(code)}`);
      assert(leaf.storageRoot === EMPTY_TRIE_ROOT, `the contract has no storage, but its proven storageRoot is ${leaf.storageRoot}`);
      assert(leaf.nonce === 1n, `a contract's nonce is ${leaf.nonce}, expected 1 (EIP-161)`);
      assert(proof.codeHash === leaf.codeHash && proof.storageHash === leaf.storageRoot, 'getProof\'s codeHash/storageHash fields ≠ the leaf\'s');
      return `${proof.accountProof.length} nodes verified: codeHash=${leaf.codeHash}`;
    },
  },
  {
    name: 'viem getProof (absent account)',
    async run() {
      const blockNumber = await publicClient.getBlockNumber();
      const { proof, leaf } = await provenAccount(absent, blockNumber);
      assert(leaf === null, `the proof shows a never-used address ${absent} present: ${stringify(leaf)}`);
      assert(proof.balance === 0n && proof.nonce === 0, `getProof says balance ${proof.balance}, nonce ${proof.nonce} for an absent account`);
      return `${proof.accountProof.length} nodes prove ${absent} absent at block ${blockNumber}`;
    },
  },
  {
    name: 'viem WebSocket watchBlocks (eth_subscribe newHeads)',
    async run() {
      wsClient = createPublicClient({ chain, transport: webSocket(wsUrl, { reconnect: false, retryCount: 0 }) });
      const rpc = await withTimeout(wsClient.transport.getRpcClient(), WAIT_MS, `the WebSocket ${wsUrl} to open`);
      const blocks = [];
      let unwatch;
      try {
        await withTimeout(new Promise((resolve, reject) => {
          unwatch = wsClient.watchBlocks({
            poll: false,
            onBlock(block) {
              blocks.push(block);
              if (blocks.length >= 2) resolve();
            },
            onError: reject,
          });
        }), WAIT_MS, 'two newHeads notifications');
        assert(rpc.subscriptions.size >= 1, 'the blocks did not come through an eth_subscribe subscription');
      } finally {
        unwatch?.();
      }
      const [a, b] = blocks;
      assert(b.number === a.number + 1n, `newHeads went from block ${a.number} to ${b.number}, skipping some`);
      assert(b.parentHash === a.hash, `block ${b.number}'s parentHash ${b.parentHash} ≠ block ${a.number}'s hash ${a.hash}`);
      for (const head of blocks) {
        const block = await publicClient.getBlock({ blockNumber: head.number });
        assert(block.hash === head.hash && block.stateRoot === head.stateRoot, `newHeads block ${head.number} (${head.hash}) ≠ eth_getBlockByNumber's (${block.hash})`);
      }
      return `blocks ${a.number} and ${b.number}, matching eth_getBlockByNumber`;
    },
  },
  {
    name: 'viem WebSocket watchContractEvent (eth_subscribe logs)',
    needs: ['viemToken'],
    async run() {
      wsClient ??= createPublicClient({ chain, transport: webSocket(wsUrl, { reconnect: false, retryCount: 0 }) });
      const rpc = await withTimeout(wsClient.transport.getRpcClient(), WAIT_MS, `the WebSocket ${wsUrl} to open`);
      const subscribed = rpc.subscriptions.size;
      let unwatch;
      let hash;
      const logs = [];
      try {
        const received = new Promise((resolve, reject) => {
          unwatch = wsClient.watchContractEvent({
            address: ctx.viemToken,
            abi: TOKEN_ABI,
            eventName: 'Transfer',
            poll: false,
            onLogs(batch) {
              logs.push(...batch);
              if (hash && logs.some((l) => l.transactionHash === hash)) resolve();
            },
            onError: reject,
          });
        });
        await pollUntil(() => (rpc.subscriptions.size > subscribed ? true : undefined), WAIT_MS, 'the eth_subscribe logs answer');
        hash = await walletClient.writeContract({ address: ctx.viemToken, abi: TOKEN_ABI, functionName: 'transfer', args: [recipient, 11n] });
        if (logs.some((l) => l.transactionHash === hash)) received.catch(() => {});
        else await withTimeout(received, WAIT_MS, `the logs notification for ${hash}`);
      } finally {
        unwatch?.();
      }
      const log = logs.find((l) => l.transactionHash === hash);
      assert(logs.length === 1, `${logs.length} logs pushed, expected only this Transfer`);
      assert(log.eventName === 'Transfer' && log.args.value === 11n && isAddressEqual(log.args.from, account.address), `decoded log ${stringify({ eventName: log.eventName, args: log.args })}`);
      return `Transfer(value=${log.args.value}) from ${hash} in block ${log.blockNumber}`;
    },
  },
  {
    name: 'ethers WebSocketProvider on("block")',
    async run() {
      wsProvider = new ethers.WebSocketProvider(wsUrl);
      // ethers sets no error handler on its socket (a refused connection would be an uncaught
      // 'error' event); this one fails the check instead.
      const socketFailed = new Promise((_, reject) => {
        wsProvider.websocket.onerror = (event) => reject(new CheckError(`the WebSocket ${wsUrl} failed: ${event.message ?? event.error?.message ?? event.type}`));
      });
      socketFailed.catch(() => {});
      const network = await withTimeout(Promise.race([wsProvider.getNetwork(), socketFailed]), WAIT_MS, 'eth_chainId over the WebSocket');
      assert(network.chainId === BigInt(chainId), `chain id over WebSocket ${network.chainId} ≠ ${chainId} over HTTP`);
      const start = await withTimeout(Promise.race([wsProvider.getBlockNumber(), socketFailed]), WAIT_MS, 'eth_blockNumber over the WebSocket');
      const numbers = [];
      let listener;
      try {
        const blocks = new Promise((resolve) => {
          listener = (number) => {
            numbers.push(number);
            if (numbers.filter((n) => n > start).length >= 2) resolve();
          };
          wsProvider.on('block', listener);
        });
        await withTimeout(Promise.race([blocks, socketFailed]), WAIT_MS, `two "block" events after block ${start}`);
      } finally {
        // off() sends eth_unsubscribe without awaiting it; one more round trip lets its answer
        // arrive before destroy() (which would cancel it as an unhandled rejection).
        await wsProvider.off('block', listener);
        await withTimeout(Promise.race([wsProvider.send('eth_blockNumber', []), socketFailed]), 5_000, 'eth_blockNumber').catch(() => {});
      }
      const fresh = numbers.filter((n) => n > start);
      assert(fresh[1] > fresh[0], `"block" events went ${numbers.join(' → ')}`);
      return `head ${start}, then "block" ${fresh.join(', ')}`;
    },
  },
];

// ---------------------------------------------------------------------------------------------
// Run

console.log(`keel dApp check: ${httpUrl} (ws ${wsUrl}), chain ${chainId}, sender ${account.address}, viem + ethers ${ethers.version}`);
let failed = 0;
for (const check of checks) {
  const missing = (check.needs ?? []).filter((key) => ctx[key] === undefined);
  if (missing.length > 0) {
    failed += 1;
    console.log(`FAIL ${check.name}: not run, needs ${missing.join(', ')} from an earlier check`);
    continue;
  }
  try {
    const detail = await withTimeout(check.run(), CHECK_MS, 'the whole check');
    console.log(`ok   ${check.name}: ${detail}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${check.name}: ${describe(error)}`);
  }
}

// Clean up: nothing may keep the process alive.
provider.destroy();
if (wsProvider) await wsProvider.destroy().catch(() => {});
if (wsClient) (await wsClient.transport.getRpcClient().catch(() => null))?.close();

if (backgroundFailures > 0) console.log(`${backgroundFailures} background task(s) failed`);
console.log(failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`);
process.exitCode = failed === 0 && backgroundFailures === 0 ? 0 : 1;
// A guard, not a way out: if a socket or timer is still open after 10 s, say so and fail.
setTimeout(() => {
  console.log('FAIL clean-up: the process did not exit by itself within 10 s (a socket or timer is still open)');
  process.exit(1);
}, 10_000).unref();
