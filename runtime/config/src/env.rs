//! `KEEL_<SECTION>__<KEY>` environment overrides. They are applied to the parsed TOML table
//! before it is deserialised, so an overridden value goes through exactly the checks a value in
//! the file does, and an unknown key is refused the same way.

use std::{borrow::Cow, collections::BTreeMap, path::Path};

use toml::{
    Spanned,
    de::{DeTable, DeValue},
};

use crate::{ConfigError, Location};

/// Prefix of every override variable (matched case-insensitively).
pub const ENV_PREFIX: &str = "KEEL_";
/// Separates the path segments of an override: `KEEL_SEQUENCER__BLOCK_TIME` is
/// `sequencer.block_time`. Single underscores belong to key names.
pub const ENV_SEPARATOR: &str = "__";

/// A key no config will ever have, deserialised into each section to make serde list the
/// section's keys (`unknown field …, expected one of …`).
const PROBE: &str = "__keel_schema_probe__";

/// Every section of the config file and the keys it takes, as the schema itself (the serde
/// structs) knows them: read from the unknown-key error of a probe, so the list cannot drift
/// from the structs. Used to tell `KEEL_L1_RPC_URL` (a typo of `KEEL_L1__RPC_URL`) from
/// another program's variable such as `KEEL_PROVER_DEV_KEY`.
pub(crate) fn schema() -> &'static BTreeMap<String, Vec<String>> {
    static SCHEMA: std::sync::OnceLock<BTreeMap<String, Vec<String>>> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let keys = |toml: &str| -> Vec<String> {
            match toml::from_str::<crate::Config>(toml) {
                Ok(_) => Vec::new(),
                Err(error) => crate::load::unknown_field(error.message()).unwrap_or_default(),
            }
        };
        keys(&format!("{PROBE} = 0"))
            .into_iter()
            .map(|section| {
                let inner = keys(&format!("[{section}]\n{PROBE} = 0"));
                (section, inner)
            })
            .collect()
    })
}

/// One `KEEL_*` variable that names a config key.
#[derive(Debug, Clone)]
pub(crate) struct Override {
    /// The variable, as spelt in the environment.
    var: String,
    /// Lower-cased path segments, at least two.
    path: Vec<String>,
    /// The raw value.
    value: String,
}

/// Picks the overrides out of `env`, sorted by variable name. Variables without the prefix, and
/// `KEEL_*` variables without a double underscore (`KEEL_BIN`, `KEEL_PROVER_DEV_KEY`, …:
/// settings of scripts and of the other binaries, each in its own `KEEL_<PROGRAM>_` namespace),
/// are not overrides — except `KEEL_<SECTION>_<KEY>` where `<KEY>` is a key of that section
/// (`KEEL_L1_RPC_URL`), a typo of an override, which is an error.
pub(crate) fn collect(
    env: impl IntoIterator<Item = (String, String)>,
    file: &Path,
) -> Result<Vec<Override>, ConfigError> {
    let mut overrides = Vec::new();
    for (var, value) in env {
        let Some(rest) = strip_prefix(&var) else {
            continue;
        };
        if !rest.contains(ENV_SEPARATOR) {
            let lower = rest.to_ascii_lowercase();
            let typo = schema().iter().find(|(section, keys)| {
                lower
                    .strip_prefix(section.as_str())
                    .and_then(|tail| tail.strip_prefix('_'))
                    .is_some_and(|key| keys.iter().any(|k| k == key))
            });
            if let Some((section, _)) = typo {
                let (head, tail) = rest.split_at(section.len());
                let fix = format!(
                    "{}{head}{ENV_SEPARATOR}{}",
                    &var[..ENV_PREFIX.len()],
                    &tail[1..]
                );
                return Err(error(
                    file,
                    &var,
                    format!(
                        "looks like an override of `{section}.{}` but has a single underscore after \
                         the section; path segments are separated by a double underscore: {fix}",
                        tail[1..].to_ascii_lowercase()
                    ),
                ));
            }
            continue;
        }
        let path: Vec<String> = rest
            .split(ENV_SEPARATOR)
            .map(str::to_ascii_lowercase)
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(error(
                file,
                &var,
                format!(
                    "empty key in the path `{}`; write {ENV_PREFIX}<SECTION>{ENV_SEPARATOR}<KEY> with \
                     exactly two underscores between segments",
                    path.join(".")
                ),
            ));
        }
        overrides.push(Override { var, path, value });
    }
    overrides.sort_by(|a, b| a.var.cmp(&b.var));
    let mut seen: BTreeMap<&[String], &str> = BTreeMap::new();
    for o in &overrides {
        if let Some(first) = seen.insert(o.path.as_slice(), &o.var) {
            return Err(error(
                file,
                &o.var,
                format!(
                    "sets `{}`, which {first} also sets; unset one of them",
                    o.path.join(".")
                ),
            ));
        }
    }
    Ok(overrides)
}

/// The rest of `var` after a case-insensitive [`ENV_PREFIX`].
fn strip_prefix(var: &str) -> Option<&str> {
    let prefix = var.get(..ENV_PREFIX.len())?;
    prefix
        .eq_ignore_ascii_case(ENV_PREFIX)
        .then(|| &var[ENV_PREFIX.len()..])
}

/// Applies `overrides` to `table`. Path segments match existing keys case-insensitively (so
/// `KEEL_GENESIS__ALLOC__0XF39F…__BALANCE` reaches `[genesis.alloc."0xf39F…"]`); missing tables
/// are created. Returns, for each key path set or created, the variable responsible.
pub(crate) fn apply<'a>(
    table: &mut DeTable<'a>,
    overrides: &'a [Override],
    file: &Path,
) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut origins = BTreeMap::new();
    for o in overrides {
        let Some((leaf, parents)) = o.path.split_last() else {
            continue;
        };
        let mut node = &mut *table;
        let mut path: Vec<String> = Vec::new();
        for (i, segment) in parents.iter().enumerate() {
            let key = existing_key(node, segment).unwrap_or_else(|| segment.clone());
            path.push(key.clone());
            if !node.contains_key(key.as_str()) {
                node.insert(
                    spanned(Cow::Owned(key.clone())),
                    spanned(DeValue::Table(DeTable::new())),
                );
                origins.insert(path.join("."), o.var.clone());
            }
            node = match node.get_mut(key.as_str()).map(Spanned::get_mut) {
                Some(DeValue::Table(inner)) => inner,
                _ => {
                    return Err(error(
                        file,
                        &o.var,
                        format!(
                            "`{}` is a value, not a table, so it has no key `{}`",
                            path.join("."),
                            o.path[i + 1]
                        ),
                    ));
                }
            };
        }
        let key = existing_key(node, leaf).unwrap_or_else(|| leaf.clone());
        path.push(key.clone());
        node.insert(spanned(Cow::Owned(key)), spanned(value(&o.value)));
        origins.insert(path.join("."), o.var.clone());
    }
    Ok(origins)
}

/// The key of `table` equal to `segment` ignoring ASCII case, if any.
fn existing_key(table: &DeTable<'_>, segment: &str) -> Option<String> {
    table
        .keys()
        .map(|k| k.get_ref())
        .find(|k| k.eq_ignore_ascii_case(segment))
        .map(|k| k.to_string())
}

/// A value that is not in the file: an empty span.
fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}

/// An override's value: `true`/`false` are booleans, a decimal integer that fits a TOML integer
/// is an integer, anything else is a string. (Hex such as `0x01` stays a string: it is an
/// address, bytes or a word far more often than a number, and amounts take hex strings.)
fn value(raw: &str) -> DeValue<'_> {
    let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
    let decimal = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && raw.parse::<i64>().is_ok();
    match raw {
        "true" => DeValue::Boolean(true),
        "false" => DeValue::Boolean(false),
        _ if decimal => match DeValue::parse(raw) {
            Ok(parsed) if matches!(parsed.get_ref(), DeValue::Integer(_)) => parsed.into_inner(),
            _ => DeValue::String(Cow::Borrowed(raw)),
        },
        _ => DeValue::String(Cow::Borrowed(raw)),
    }
}

/// An error about variable `var` (overriding `file`).
pub(crate) fn error(file: &Path, var: &str, message: String) -> ConfigError {
    ConfigError::Env {
        location: Location {
            file: file.to_owned(),
            line_column: None,
            env_var: Some(var.to_owned()),
        },
        message,
    }
}
