//! BN254 (alt_bn128) for revm's ECADD, ECMUL and ECPAIRING precompiles on OpenVM's
//! extensions: G1 points are intrinsic short-Weierstrass points (`Bn254G1Affine`), G2 points are
//! affine points over the intrinsic quadratic extension, and the pairing check runs OpenVM's
//! Miller loop with its final-exponentiation hint.
//!
//! Inputs are validated as EIP-196/197 and revm's software backend do: every coordinate below
//! the field modulus, (0, 0) as the point at infinity, every other point on its curve, and
//! G2 points in the order-r subgroup (G1 has cofactor 1, so on the curve is enough). The halt
//! reasons are revm's.

use openvm_algebra_guest::IntMod;
use openvm_ecc_guest::{AffinePoint, Group, msm, weierstrass::WeierstrassPoint};
use openvm_pairing::{
    PairingCheck,
    bn254::{Bn254, Fp, Fp2, G1Affine, G2Affine, Scalar},
};
use revm::precompile::PrecompileHalt;

const FQ_LEN: usize = 32;

/// The group order r, big-endian.
const ORDER: [u8; 32] =
    crate::crypto::hex("30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001");

fn read_fq(bytes: &[u8]) -> Result<Fp, PrecompileHalt> {
    Fp::from_be_bytes(&bytes[..FQ_LEN]).ok_or(PrecompileHalt::Bn254FieldPointNotAMember)
}

/// EIP-197 writes the imaginary part first.
fn read_fq2(bytes: &[u8]) -> Result<Fp2, PrecompileHalt> {
    let imaginary = read_fq(&bytes[..FQ_LEN])?;
    let real = read_fq(&bytes[FQ_LEN..2 * FQ_LEN])?;
    Ok(Fp2::new(real, imaginary))
}

/// 64 bytes: x ‖ y.
fn read_g1(bytes: &[u8]) -> Result<G1Affine, PrecompileHalt> {
    let x = read_fq(&bytes[..FQ_LEN])?;
    let y = read_fq(&bytes[FQ_LEN..2 * FQ_LEN])?;
    // SAFETY: `from_xy` checks the curve equation (and takes (0, 0) as the identity); BN254's
    // G1 is the whole curve group, so no subgroup check is due.
    unsafe { G1Affine::from_xy(x, y) }.ok_or(PrecompileHalt::Bn254AffineGFailedToCreate)
}

/// 128 bytes: x ‖ y, each an Fp2 element.
fn read_g2(bytes: &[u8]) -> Result<G2Affine, PrecompileHalt> {
    let x = read_fq2(&bytes[..2 * FQ_LEN])?;
    let y = read_fq2(&bytes[2 * FQ_LEN..4 * FQ_LEN])?;
    // SAFETY: `from_xy` checks the twist's curve equation; the subgroup is checked below.
    let point =
        unsafe { G2Affine::from_xy(x, y) }.ok_or(PrecompileHalt::Bn254AffineGFailedToCreate)?;
    if !in_order_r_subgroup(&point) {
        return Err(PrecompileHalt::Bn254AffineGFailedToCreate);
    }
    Ok(point)
}

/// r·Q = O, by double-and-add over r's bits. The twist has points outside the order-r
/// subgroup (its cofactor is 2p − r), and EIP-197 refuses them. The twist's group order is
/// odd, so no doubling meets a point of order two.
fn in_order_r_subgroup(point: &G2Affine) -> bool {
    let mut acc = <G2Affine as Group>::IDENTITY;
    for byte in ORDER {
        for bit in (0..8).rev() {
            acc.double_assign();
            if byte >> bit & 1 == 1 {
                acc += point;
            }
        }
    }
    acc.is_identity()
}

fn encode_g1(point: G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    if point.is_identity() {
        return out;
    }
    let (x, y) = point.into_coords();
    // Canonical coordinates, so the output bytes are unique.
    x.assert_reduced();
    y.assert_reduced();
    out[..FQ_LEN].copy_from_slice(x.to_be_bytes().as_ref());
    out[FQ_LEN..].copy_from_slice(y.to_be_bytes().as_ref());
    out
}

/// ECADD: `p1` and `p2` are 64 bytes each (revm pads the input).
pub(crate) fn g1_add(p1: &[u8], p2: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
    let sum = read_g1(p1)? + read_g1(p2)?;
    Ok(encode_g1(sum))
}

/// ECMUL: a 64-byte point times a 32-byte big-endian scalar (any 256-bit integer: the group
/// has order r, so it acts as its residue).
pub(crate) fn g1_mul(point: &[u8], scalar: &[u8]) -> Result<[u8; 64], PrecompileHalt> {
    let point = read_g1(point)?;
    // `msm` reads the scalar's limbs as an integer; it need not be reduced.
    let scalar = Scalar::from_be_bytes_unchecked(&scalar[..FQ_LEN]);
    Ok(encode_g1(msm(&[scalar], &[point])))
}

/// ECPAIRING: whether ∏ e(Pᵢ, Qᵢ) = 1; pairs with a point at infinity contribute 1.
pub(crate) fn pairing_check(pairs: &[(&[u8], &[u8])]) -> Result<bool, PrecompileHalt> {
    let mut g1 = Vec::with_capacity(pairs.len());
    let mut g2 = Vec::with_capacity(pairs.len());
    for (p, q) in pairs {
        // Both are read (and so validated) even when the other is the identity.
        let p = read_g1(p)?;
        let q = read_g2(q)?;
        if p.is_identity() || q.is_identity() {
            continue;
        }
        let (px, py) = p.into_coords();
        let (qx, qy) = q.into_coords();
        g1.push(AffinePoint::new(px, py));
        g2.push(AffinePoint::new(qx, qy));
    }
    if g1.is_empty() {
        return Ok(true);
    }
    Ok(Bn254::pairing_check(&g1, &g2).is_ok())
}
