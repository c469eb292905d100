//! Human-friendly amounts: `"10000 ether"`, `"1 gwei"`, `"0x21e19e0c9bab2400000"`, `"123"`, `123`.

use alloy_primitives::U256;
use serde::{Deserialize, Deserializer, de::Error};

/// Parses an amount of wei: a plain integer, a hex (`0x…`) or decimal string, or a decimal with
/// a unit (`wei`, `gwei`, `ether`).
pub(crate) fn parse_wei(text: &str) -> Result<U256, String> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return U256::from_str_radix(hex, 16).map_err(|e| format!("bad hex amount {text:?}: {e}"));
    }
    let (number, scale) = match text.split_once(char::is_whitespace) {
        None => (text, 0u8),
        Some((number, unit)) => match unit.trim().to_ascii_lowercase().as_str() {
            "wei" => (number, 0),
            "gwei" => (number, 9),
            "ether" | "eth" => (number, 18),
            other => return Err(format!("unknown unit {other:?}; use wei, gwei or ether")),
        },
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if frac.len() > usize::from(scale) {
        return Err(format!("{text:?} has more decimals than its unit allows"));
    }
    let digits = format!("{int}{frac:0<width$}", width = usize::from(scale));
    U256::from_str_radix(&digits, 10).map_err(|_| format!("{text:?} is not an amount; write e.g. \"10000 ether\", \"1 gwei\" or \"0x21e19e0c9bab2400000\""))
}

/// serde adapter for [`parse_wei`].
pub(crate) fn wei<'de, D: Deserializer<'de>>(deserializer: D) -> Result<U256, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Amount {
        Int(u64),
        Text(String),
    }
    match Amount::deserialize(deserializer) {
        Ok(Amount::Int(n)) => Ok(U256::from(n)),
        Ok(Amount::Text(text)) => parse_wei(&text).map_err(D::Error::custom),
        Err(_) => Err(D::Error::custom(
            "expected an amount: an integer, or a string like \"10000 ether\" or \"0x…\"",
        )),
    }
}

/// serde adapter for a map of storage slot → value, both hex quantities of up to 32 bytes.
pub(crate) fn storage<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<std::collections::BTreeMap<U256, U256>, D::Error> {
    let raw = std::collections::BTreeMap::<String, String>::deserialize(deserializer)?;
    let hex = |text: &str| -> Result<U256, D::Error> {
        let digits = text
            .strip_prefix("0x")
            .ok_or_else(|| D::Error::custom(format!("storage {text:?} must be 0x-prefixed hex")))?;
        U256::from_str_radix(digits, 16)
            .map_err(|e| D::Error::custom(format!("storage {text:?}: {e}")))
    };
    raw.iter()
        .map(|(slot, value)| Ok((hex(slot)?, hex(value)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(
            parse_wei("10000 ether").unwrap(),
            U256::from(10u128.pow(22))
        );
        assert_eq!(parse_wei("1.5 gwei").unwrap(), U256::from(1_500_000_000u64));
        assert_eq!(
            parse_wei("0x21e19e0c9bab2400000").unwrap(),
            U256::from(10u128.pow(22))
        );
        assert_eq!(parse_wei("123").unwrap(), U256::from(123));
        assert!(
            parse_wei("1.0000000001 gwei")
                .unwrap_err()
                .contains("decimals")
        );
        assert!(parse_wei("5 bananas").unwrap_err().contains("unknown unit"));
        assert!(parse_wei("lots").is_err());
    }
}
