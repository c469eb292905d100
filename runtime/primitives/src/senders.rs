//! Recovered senders, remembered: the node's signature recovery for alloy
//! ([`install_sender_cache`]). Recovery is a pure function of the signature and the signing
//! hash, so a transaction the pool recovered at ingestion is not recovered again when the
//! sealer's self-check (the STF) or a replay meets it: tens of µs of libsecp256k1 saved per
//! transaction on the sealer's path. The prover guest installs its own provider instead.

use std::sync::Arc;

use alloy_consensus::crypto::{CryptoProvider, RecoveryError, install_default_provider};
use alloy_primitives::{Address, B256, keccak256, map::B256Map};
use parking_lot::Mutex;
use secp256k1::{
    Message, PublicKey, SECP256K1,
    ecdsa::{RecoverableSignature, RecoveryId, Signature},
};

/// Entries per generation: two are kept, so at most twice this many senders (~30 MB of hash
/// tables), more than a pool and the batches being sealed hold.
const GENERATION: usize = 1 << 17;

/// Makes alloy's sender recovery in this process go through the cache; `false` if a crypto
/// provider was installed already (it stays).
pub fn install_sender_cache() -> bool {
    install_default_provider(Arc::new(SenderCache::default())).is_ok()
}

/// Two generations of (signature, signing hash) → sender: the current one takes insertions,
/// and when full becomes the previous one, whose entries are still found.
#[derive(Debug, Default)]
struct SenderCache {
    generations: Mutex<[B256Map<Address>; 2]>,
}

impl SenderCache {
    fn get(&self, key: &B256) -> Option<Address> {
        let generations = self.generations.lock();
        generations.iter().find_map(|map| map.get(key).copied())
    }

    fn insert(&self, key: B256, sender: Address) {
        let mut generations = self.generations.lock();
        if generations[0].len() >= GENERATION {
            generations[1] = std::mem::take(&mut generations[0]);
        }
        generations[0].insert(key, sender);
    }
}

/// What a recovery is keyed by: both inputs, hashed.
fn key(sig: &[u8; 65], msg: &[u8; 32]) -> B256 {
    let mut preimage = [0u8; 97];
    preimage[..65].copy_from_slice(sig);
    preimage[65..].copy_from_slice(msg);
    keccak256(preimage)
}

fn address_of(public: &PublicKey) -> Address {
    Address::from_raw_public_key(&public.serialize_uncompressed()[1..])
}

impl CryptoProvider for SenderCache {
    fn recover_signer_unchecked(
        &self,
        sig: &[u8; 65],
        msg: &[u8; 32],
    ) -> Result<Address, RecoveryError> {
        let key = key(sig, msg);
        if let Some(sender) = self.get(&key) {
            return Ok(sender);
        }
        let recovery =
            RecoveryId::try_from(i32::from(sig[64])).map_err(|_| RecoveryError::new())?;
        let signature = RecoverableSignature::from_compact(&sig[..64], recovery)
            .map_err(|_| RecoveryError::new())?;
        let public = SECP256K1
            .recover_ecdsa(&Message::from_digest(*msg), &signature)
            .map_err(|_| RecoveryError::new())?;
        let sender = address_of(&public);
        self.insert(key, sender);
        Ok(sender)
    }

    fn verify_and_compute_signer_unchecked(
        &self,
        pubkey: &[u8; 65],
        sig: &[u8; 64],
        msg: &[u8; 32],
    ) -> Result<Address, RecoveryError> {
        let public = PublicKey::from_slice(pubkey).map_err(|_| RecoveryError::new())?;
        let signature = Signature::from_compact(sig).map_err(|_| RecoveryError::new())?;
        SECP256K1
            .verify_ecdsa(&Message::from_digest(*msg), &signature, &public)
            .map_err(|_| RecoveryError::new())?;
        Ok(address_of(&public))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::B256;
    use secp256k1::SecretKey;

    #[test]
    fn a_cached_recovery_is_the_recovery_and_keys_take_the_signature() {
        let cache = SenderCache::default();
        let secret = SecretKey::from_slice(&[7; 32]).unwrap();
        let msg = [9u8; 32];
        let (recovery, compact) = SECP256K1
            .sign_ecdsa_recoverable(&Message::from_digest(msg), &secret)
            .serialize_compact();
        let mut sig = [0u8; 65];
        sig[..64].copy_from_slice(&compact);
        sig[64] = i32::from(recovery) as u8;
        let signer = address_of(&PublicKey::from_secret_key(SECP256K1, &secret));
        assert_eq!(cache.recover_signer_unchecked(&sig, &msg).unwrap(), signer);
        // Now from the cache, and the same.
        assert_eq!(cache.get(&key(&sig, &msg)), Some(signer));
        assert_eq!(cache.recover_signer_unchecked(&sig, &msg).unwrap(), signer);
        // Another signature over the same hash is another key: it recovers on its own.
        let other = SecretKey::from_slice(&[8; 32]).unwrap();
        let (recovery, compact) = SECP256K1
            .sign_ecdsa_recoverable(&Message::from_digest(msg), &other)
            .serialize_compact();
        sig[..64].copy_from_slice(&compact);
        sig[64] = i32::from(recovery) as u8;
        let other_signer = address_of(&PublicKey::from_secret_key(SECP256K1, &other));
        assert_eq!(
            cache.recover_signer_unchecked(&sig, &msg).unwrap(),
            other_signer
        );
        // A bad recovery id is an error, never a cached sender.
        sig[64] = 9;
        assert!(cache.recover_signer_unchecked(&sig, &msg).is_err());
        assert_ne!(B256::ZERO, key(&sig, &msg));
    }

    #[test]
    fn generations_keep_the_previous_one_findable() {
        let cache = SenderCache::default();
        for i in 0..GENERATION as u64 + 1 {
            cache.insert(B256::from(alloy_primitives::U256::from(i)), Address::ZERO);
        }
        let generations = cache.generations.lock();
        assert_eq!(generations[1].len(), GENERATION);
        assert_eq!(generations[0].len(), 1);
    }
}
