//! Signature recovery and SHA-256 on OpenVM's extensions, installed as the crypto providers of
//! alloy (transaction senders) and revm (the ECRECOVER and SHA256 precompiles).
//!
//! secp256k1 points and scalars are OpenVM intrinsic types (`moduli_declare!`,
//! `sw_declare!`): every field operation and point addition is one VM instruction instead of
//! thousands of RISC-V ones. `openvm_init.rs` (written by the guest build from `openvm.toml`'s
//! `modular` and `ecc` sections) sets them up; `main` includes it with `openvm::init!()`.

use std::{ops::Neg as _, sync::Arc};

use alloy_consensus::crypto::{
    RecoveryError,
    backend::{CryptoProvider, install_default_provider},
};
use alloy_primitives::Address;
use openvm_algebra_guest::{DivUnsafe, IntMod, moduli_macros::moduli_declare};
use openvm_ecc_guest::{
    CyclicGroup, Group, msm,
    weierstrass::{CachedMulTable, FromCompressed, IntrinsicCurve, WeierstrassPoint},
};
use revm::precompile::{Crypto, PrecompileHalt};

moduli_declare! {
    // secp256k1's base field p and group order n.
    Secp256k1Coord { modulus = "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F" },
    Secp256k1Scalar { modulus = "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141" },
}

/// y² = x³ + 7.
const CURVE_B: Secp256k1Coord = Secp256k1Coord::from_const_bytes(le([
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
]));

openvm_ecc_guest::sw_macros::sw_declare! {
    Secp256k1Point { mod_type = Secp256k1Coord, b = CURVE_B },
}

/// The curve, for OpenVM's windowed multiplication ([`CachedMulTable`]).
struct Secp256k1;

impl IntrinsicCurve for Secp256k1 {
    type Scalar = Secp256k1Scalar;
    type Point = Secp256k1Point;

    fn msm(coeffs: &[Secp256k1Scalar], bases: &[Secp256k1Point]) -> Secp256k1Point {
        msm(coeffs, bases)
    }
}

/// Bits per window of the two-scalar multiplication in [`recover_public_key`]: a table of 14
/// multiples per base, then 256 doublings and one table addition per base and window. The
/// generic `msm` (1-bit windows for two bases) took ~3 point operations per bit: recovery cost
/// ~280,000 guest instructions, over half of an ETH transfer's.
const WINDOW_BITS: usize = 4;

/// The generator's coordinates (SEC 2), big-endian, and p − Gy for −G.
const GX: [u8; 32] = hex("79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798");
const GY: [u8; 32] = hex("483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8");
const NEG_GY: [u8; 32] = hex("B7C52588D95C3B9AA25B0403F1EEF75702E84BB7597AABE663B82F6F04EF2777");

impl CyclicGroup for Secp256k1Point {
    const GENERATOR: Self = Self {
        x: Secp256k1Coord::from_const_bytes(le(GX)),
        y: Secp256k1Coord::from_const_bytes(le(GY)),
    };
    const NEG_GENERATOR: Self = Self {
        x: Secp256k1Coord::from_const_bytes(le(GX)),
        y: Secp256k1Coord::from_const_bytes(le(NEG_GY)),
    };
}

/// Big-endian to the little-endian limbs the intrinsic types hold.
const fn le(be: [u8; 32]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = be[31 - i];
        i += 1;
    }
    out
}

pub(crate) const fn hex(digits: &str) -> [u8; 32] {
    let digits = digits.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(digits[2 * i]) << 4 | nibble(digits[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("not a hex digit"),
    }
}

/// The public key (x ‖ y, big-endian) that signed `prehash` with `(r ‖ s)` and y-parity
/// `parity` (0 or 1): Q = r⁻¹·(s·R − z·G), R the curve point with x = r and that parity.
/// `None` for r or s out of range or zero, an r that is no point's x, or Q at infinity.
/// (Ethereum signatures never use the "x reduced" recovery ids 2 and 3.)
fn recover_public_key(signature: &[u8; 64], parity: u8, prehash: &[u8; 32]) -> Option<[u8; 64]> {
    let (r_be, s_be) = signature.split_at(32);
    let r = Secp256k1Scalar::from_be_bytes(r_be)?;
    let s = Secp256k1Scalar::from_be_bytes(s_be)?;
    if r == Secp256k1Scalar::ZERO || s == Secp256k1Scalar::ZERO {
        return None;
    }
    // z may exceed n: only its residue matters.
    let z = Secp256k1Scalar::from_be_bytes_unchecked(prehash);
    // r < n < p, so r is a valid x coordinate as it is.
    let x = Secp256k1Coord::from_be_bytes(r_be)?;
    let big_r = Secp256k1Point::decompress(x, &parity)?;
    let neg_u1 = z.div_unsafe(&r);
    let u2 = s.div_unsafe(&r);
    // secp256k1's group has prime order, and R is on the curve and not the identity: what
    // `new_with_prime_order` needs for its unchecked table additions.
    let bases = [Secp256k1Point::NEG_GENERATOR, big_r];
    let q = CachedMulTable::<Secp256k1>::new_with_prime_order(&bases, WINDOW_BITS)
        .windowed_mul(&[neg_u1, u2]);
    if q.is_identity() {
        return None;
    }
    let (qx, qy) = q.into_coords();
    // Constrains the coordinates to their canonical form, so the bytes below are unique.
    qx.assert_reduced();
    qy.assert_reduced();
    let mut public_key = [0u8; 64];
    public_key[..32].copy_from_slice(qx.to_be_bytes().as_ref());
    public_key[32..].copy_from_slice(qy.to_be_bytes().as_ref());
    Some(public_key)
}

fn address_of(public_key: &[u8; 64]) -> Address {
    Address::from_raw_public_key(public_key)
}

/// alloy's sender recovery on the intrinsic curve.
#[derive(Debug)]
struct OpenVmSecp256k1;

impl CryptoProvider for OpenVmSecp256k1 {
    fn recover_signer_unchecked(
        &self,
        sig: &[u8; 65],
        msg: &[u8; 32],
    ) -> Result<Address, RecoveryError> {
        let (rs, v) = sig.split_at(64);
        let rs: &[u8; 64] = rs.try_into().map_err(|_| RecoveryError::new())?;
        recover_public_key(rs, v[0], msg)
            .map(|key| address_of(&key))
            .ok_or_else(RecoveryError::new)
    }

    fn verify_and_compute_signer_unchecked(
        &self,
        pubkey: &[u8; 65],
        sig: &[u8; 64],
        msg: &[u8; 32],
    ) -> Result<Address, RecoveryError> {
        // A valid signature by `pubkey` recovers to it under one of the two parities.
        let wanted = &pubkey[1..];
        (0..2)
            .filter_map(|parity| recover_public_key(sig, parity, msg))
            .find(|key| key.as_slice() == wanted)
            .map(|key| address_of(&key))
            .ok_or_else(RecoveryError::new)
    }
}

/// revm's precompiles: ECRECOVER on the intrinsic curve, SHA256 on the SHA-2 extension, ECADD,
/// ECMUL and ECPAIRING on the BN254 intrinsics (`crate::bn254`, feature `accelerated-bn254`);
/// the rest (MODEXP, whose
/// modulus is only known at run time, BLAKE2F, KZG, BLS12-381) stay revm's pure-Rust code.
#[derive(Debug)]
struct OpenVmPrecompiles;

impl Crypto for OpenVmPrecompiles {
    fn sha256(&self, input: &[u8]) -> [u8; 32] {
        let mut hasher = openvm_sha2::Sha256::new();
        hasher.update(input);
        hasher.finalize()
    }

    #[cfg(feature = "accelerated-bn254")]
    fn bn254_g1_add(&self, p1: &[u8], p2: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
        crate::bn254::g1_add(p1, p2)
    }

    #[cfg(feature = "accelerated-bn254")]
    fn bn254_g1_mul(&self, point: &[u8], scalar: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
        crate::bn254::g1_mul(point, scalar)
    }

    #[cfg(feature = "accelerated-bn254")]
    fn bn254_pairing_check(&self, pairs: &[(&[u8], &[u8])]) -> Result<bool, PrecompileHalt> {
        crate::bn254::pairing_check(pairs)
    }

    fn secp256k1_ecrecover(
        &self,
        sig: &[u8; 64],
        recid: u8,
        msg: &[u8; 32],
    ) -> Result<[u8; 32], PrecompileHalt> {
        let key =
            recover_public_key(sig, recid, msg).ok_or(PrecompileHalt::Secp256k1RecoverFailed)?;
        let mut word = [0u8; 32];
        word[12..].copy_from_slice(address_of(&key).as_slice());
        Ok(word)
    }
}

/// Installs both providers; call once, before the first transaction is recovered.
pub(crate) fn install() {
    // Both are process-wide and set once: a second call changes nothing.
    let _ = install_default_provider(Arc::new(OpenVmSecp256k1));
    let _ = revm::precompile::install_crypto(OpenVmPrecompiles);
}
