//! The devnet's prefunded accounts and the chain id from `configs/devnet.toml`.

use alloy::{
    primitives::{Address, U256, address, keccak256},
    signers::local::PrivateKeySigner,
    uint,
};

/// Chain id of the devnet (`configs/devnet.toml`).
pub const CHAIN_ID: u64 = 65_536_999;

/// Genesis balance of every dev account: 10 000 ETH.
pub const DEV_BALANCE: U256 = uint!(10_000_000_000_000_000_000_000_U256);

/// Private keys of the first ten accounts of the test mnemonic
/// (`test test test test test test test test test test test junk`, path `m/44'/60'/0'/0/i`),
/// the same as anvil's and hardhat's defaults.
pub const DEV_PRIVATE_KEYS: [&str; 10] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
    "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
    "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
    "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/// Addresses of [`DEV_PRIVATE_KEYS`], in the same order.
pub const DEV_ADDRESSES: [Address; 10] = [
    address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
    address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8"),
    address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
    address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906"),
    address!("0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"),
    address!("0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"),
    address!("0x976EA74026E726554dB657fA54763abd0C3a0aa9"),
    address!("0x14dC79964da2C08b23698B3D3cc7Ca32193d9955"),
    address!("0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"),
    address!("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"),
];

/// The ten dev accounts as signers, in the order of [`DEV_PRIVATE_KEYS`].
pub fn dev_accounts() -> Vec<PrivateKeySigner> {
    DEV_PRIVATE_KEYS
        .iter()
        .map(|key| {
            key.parse()
                .expect("dev private keys are valid secp256k1 keys")
        })
        .collect()
}

/// A deterministic address nobody holds a key for, distinct for every `(tag, index)`:
/// a "fresh" recipient on a new chain that is reproducible between runs.
pub fn derived_address(tag: &str, index: u64) -> Address {
    Address::from_word(keccak256(format!("keel-e2e/{tag}/{index}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_match_addresses() {
        let derived: Vec<Address> = dev_accounts()
            .iter()
            .map(PrivateKeySigner::address)
            .collect();
        assert_eq!(derived, DEV_ADDRESSES);
    }

    #[test]
    fn dev_balance_is_ten_thousand_ether() {
        assert_eq!(
            DEV_BALANCE,
            U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18u64))
        );
    }

    #[test]
    fn derived_addresses_are_distinct() {
        assert_ne!(derived_address("a", 0), derived_address("a", 1));
        assert_ne!(derived_address("a", 0), derived_address("b", 0));
        assert_eq!(derived_address("a", 7), derived_address("a", 7));
    }
}
