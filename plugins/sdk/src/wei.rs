//! Amounts of wei written the way the node's config writes them (`"1 gwei"`, `"10000 ether"`).

use core::fmt;
use core::str::FromStr;

use crate::U256;

/// An amount of wei parsed from a setting, in the node config's grammar (surrounding whitespace
/// ignored):
///
/// - a decimal integer, `_` allowed as a digit separator: `"1_000_000_000"`;
/// - `0x` and hex digits: `"0x3b9aca00"`;
/// - a decimal number and a unit, `wei`, `gwei` (10⁹) or `ether`/`eth` (10¹⁸), case-insensitive,
///   with or without a space: `"1.5 gwei"`, `"7wei"`. Fractions must come to a whole number of
///   wei.
///
/// `T` is the integer wanted: `Wei<u64>`, `Wei<u128>` or `Wei<U256>`; an amount that does not
/// fit is an error.
///
/// ```
/// # use keel_plugin_sdk::Wei;
/// let Wei(fee) = "1.5 gwei".parse::<Wei<u64>>()?;
/// assert_eq!(fee, 1_500_000_000);
/// # Ok::<(), keel_plugin_sdk::ParseWeiError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Wei<T>(pub T);

/// Why a string is not an amount of wei.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseWeiError(String);

impl fmt::Display for ParseWeiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl core::error::Error for ParseWeiError {}

const UNITS: [(&str, usize); 4] = [("wei", 0), ("gwei", 9), ("ether", 18), ("eth", 18)];

fn err(msg: impl Into<String>) -> ParseWeiError {
    ParseWeiError(msg.into())
}

fn parse_u256(text: &str) -> Result<U256, ParseWeiError> {
    let text = text.trim();
    if let Some(digits) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err("not hex digits"));
        }
        let mut value = U256::ZERO;
        for b in digits.bytes() {
            let digit = char::from(b).to_digit(16).unwrap_or(0);
            value = value
                .checked_mul_add_small(16, u64::from(digit))
                .ok_or_else(|| err("more than 32 bytes"))?;
        }
        return Ok(value);
    }
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    let (number, unit) = (text[..split].trim_end(), &text[split..]);
    let decimals = if unit.is_empty() {
        0
    } else {
        UNITS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(unit))
            .map(|(_, decimals)| *decimals)
            .ok_or_else(|| {
                err(format!(
                    "unknown unit \"{unit}\"; the units are wei, gwei and ether"
                ))
            })?
    };
    let number = number.replace('_', "");
    let (int, frac) = number.split_once('.').unwrap_or((&number, ""));
    if int.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(err("not a non-negative number"));
    }
    let frac = frac.trim_end_matches('0');
    if frac.len() > decimals {
        return Err(err("not a whole number of wei"));
    }
    let mut value = U256::ZERO;
    let zeros = decimals - frac.len();
    for b in int
        .bytes()
        .chain(frac.bytes())
        .chain(core::iter::repeat_n(b'0', zeros))
    {
        value = value
            .checked_mul_add_small(10, u64::from(b - b'0'))
            .ok_or_else(|| err("more than 2^256 - 1 wei"))?;
    }
    Ok(value)
}

impl FromStr for Wei<U256> {
    type Err = ParseWeiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_u256(s).map(Wei)
    }
}

impl FromStr for Wei<u128> {
    type Err = ParseWeiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value = parse_u256(s)?;
        value.to_u128().map(Wei).ok_or_else(|| {
            err(format!(
                "{value} wei is more than the largest u128 ({})",
                u128::MAX
            ))
        })
    }
}

impl FromStr for Wei<u64> {
    type Err = ParseWeiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let value = parse_u256(s)?;
        value
            .to_u128()
            .and_then(|v| u64::try_from(v).ok())
            .map(Wei)
            .ok_or_else(|| {
                err(format!(
                    "{value} wei is more than the largest u64 ({})",
                    u64::MAX
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wei(s: &str) -> Result<U256, String> {
        s.parse::<Wei<U256>>()
            .map(|w| w.0)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_the_config_grammar() {
        for (text, value) in [
            ("0", 0u128),
            ("7", 7),
            ("1_000_000", 1_000_000),
            (" 42 ", 42),
            ("0x3b9aca00", 1_000_000_000),
            ("0X10", 16),
            ("7 wei", 7),
            ("7wei", 7),
            ("1 gwei", 1_000_000_000),
            ("1.5 GWEI", 1_500_000_000),
            ("0.000000001 gwei", 1),
            ("2 ether", 2_000_000_000_000_000_000),
            ("1.25 eth", 1_250_000_000_000_000_000),
            ("1.000 wei", 1),
        ] {
            assert_eq!(wei(text), Ok(U256::from(value)), "{text}");
        }
    }

    #[test]
    fn rejects_with_a_reason() {
        for (text, reason) in [
            ("", "not a non-negative number"),
            ("-1", "not a non-negative number"),
            (
                "1e18",
                "unknown unit \"e18\"; the units are wei, gwei and ether",
            ),
            (
                "1 gwoi",
                "unknown unit \"gwoi\"; the units are wei, gwei and ether",
            ),
            ("1.5 wei", "not a whole number of wei"),
            ("1.0000000001 gwei", "not a whole number of wei"),
            ("0x", "not hex digits"),
            ("0xg", "not hex digits"),
            (".5 gwei", "not a non-negative number"),
        ] {
            assert_eq!(wei(text), Err(reason.into()), "{text}");
        }
        assert_eq!(
            wei(&format!("0x1{}", "0".repeat(64))),
            Err("more than 32 bytes".into())
        );
        assert_eq!(
            wei("115792089237316195423570985008687907853269984665640564039457584007913129639936"),
            Err("more than 2^256 - 1 wei".into())
        );
    }

    #[test]
    fn narrows_to_the_integer_asked_for() {
        assert_eq!(
            "18446744073709551615".parse::<Wei<u64>>(),
            Ok(Wei(u64::MAX))
        );
        assert_eq!(
            "18446744073709551616"
                .parse::<Wei<u64>>()
                .map_err(|e| e.to_string()),
            Err(
                "18446744073709551616 wei is more than the largest u64 (18446744073709551615)"
                    .into()
            )
        );
        assert_eq!(
            "1000 ether".parse::<Wei<u128>>(),
            Ok(Wei(1_000 * 10u128.pow(18)))
        );
        assert!(
            "0x1ffffffffffffffffffffffffffffffff"
                .parse::<Wei<u128>>()
                .is_err()
        );
    }
}
