//! BLS12-381's scalar field on OpenVM's modular intrinsics, for binding blobs: `keel_da`'s
//! barycentric evaluation (`keel_da::evaluate_in`) runs on it, so each field multiplication is
//! one VM instruction instead of ~1,850 RISC-V ones of `bls12_381`'s software Montgomery
//! arithmetic. `openvm.toml` lists the modulus; `openvm::init!()` sets it up.

use keel_da::BlobField;
use openvm_algebra_guest::{DivUnsafe, IntMod, moduli_macros::moduli_declare};

moduli_declare! {
    // r, the order of BLS12-381's G1: EIP-4844's field of blob elements.
    Bls12381Scalar { modulus = "0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001" },
}

impl BlobField for Bls12381Scalar {
    fn zero() -> Self {
        <Self as IntMod>::ZERO
    }

    fn one() -> Self {
        <Self as IntMod>::ONE
    }

    fn from_limbs(limbs: [u64; 4]) -> Self {
        let mut bytes = [0u8; 32];
        for (chunk, limb) in bytes.chunks_exact_mut(8).zip(limbs) {
            chunk.copy_from_slice(&limb.to_le_bytes());
        }
        Self::from_le_bytes_unchecked(&bytes)
    }

    fn from_be(bytes: &[u8; 32]) -> Option<Self> {
        Self::from_be_bytes(bytes)
    }

    fn to_be(&self) -> [u8; 32] {
        // Canonical bytes: the intrinsics may leave a result unreduced.
        self.assert_reduced();
        let mut out = [0u8; 32];
        out.copy_from_slice(self.to_be_bytes().as_ref());
        out
    }

    fn add(&self, other: &Self) -> Self {
        self.clone() + other
    }

    fn sub(&self, other: &Self) -> Self {
        self.clone() - other
    }

    fn mul(&self, other: &Self) -> Self {
        self.clone() * other
    }

    fn invert(&self) -> Self {
        <Self as IntMod>::ONE.div_unsafe(self)
    }
}

/// Makes `keel_da::bind_blobs` evaluate on the intrinsic field.
pub(crate) fn install() {
    keel_da::install_evaluator(keel_da::evaluate_in::<Bls12381Scalar>);
}
