//! [`Violation`]: a value that parses but cannot work.

/// A rule a config section breaks: the key (relative to the section, e.g. `max_body_bytes`, or
/// a full path once the loader has placed it) and the message (`must be > 0, got 0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The key.
    pub key: String,
    /// The rule and the value found.
    pub message: String,
}

impl Violation {
    /// A violation of `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }

    /// The same violation with its key placed inside `section` (`rpc` + `gas_cap` →
    /// `rpc.gas_cap`).
    pub fn in_section(self, section: &str) -> Self {
        Self {
            key: format!("{section}.{}", self.key),
            ..self
        }
    }
}

/// `Err(Violation)` of `key` unless `ok`; `message` is built only when it is needed.
pub fn ensure(ok: bool, key: &str, message: impl FnOnce() -> String) -> Result<(), Violation> {
    if ok {
        Ok(())
    } else {
        Err(Violation::new(key, message()))
    }
}
