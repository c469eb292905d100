//! `KEEL_<SECTION>__<KEY>` environment overrides, applied to the parsed table before it is
//! deserialised, so they go through exactly the same checks as the file.

use crate::ConfigError;

const PREFIX: &str = "KEEL_";
const SEPARATOR: &str = "__";

/// Applies every override in `env` to `table`. Returns (key path, variable) for each, so an
/// error at that key can say where the value came from.
pub(crate) fn apply_overrides(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<(String, String)>, ConfigError> {
    let mut applied = Vec::new();
    let mut vars: Vec<(String, String)> = env
        .into_iter()
        .filter(|(name, _)| {
            name.to_ascii_uppercase().starts_with(PREFIX) && name.contains(SEPARATOR)
        })
        .collect();
    vars.sort();
    for (var, value) in vars {
        let path: Vec<String> = var[PREFIX.len()..]
            .split(SEPARATOR)
            .map(str::to_ascii_lowercase)
            .collect();
        if path.iter().any(String::is_empty) {
            return Err(ConfigError::Override {
                var,
                key: path.join("."),
                reason: "has an empty path segment".into(),
            });
        }
        let key = path.join(".");
        let (leaf, parents) = path
            .split_last()
            .expect("split on a non-empty string yields a segment");
        let mut current = &mut *table;
        for segment in parents {
            let entry = current
                .entry(segment.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            current = match entry {
                toml::Value::Table(inner) => inner,
                _ => {
                    return Err(ConfigError::Override {
                        var,
                        key,
                        reason: format!("cannot go inside `{segment}`, which is not a section"),
                    });
                }
            };
        }
        current.insert(leaf.clone(), parse_value(&value));
        applied.push((key, var));
    }
    Ok(applied)
}

/// An override's value: a TOML integer, float or boolean if it reads as one, else a string.
fn parse_value(text: &str) -> toml::Value {
    match format!("v = {text}").parse::<toml::Table>() {
        Ok(mut table) => match table.remove("v") {
            Some(
                value @ (toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Boolean(_)),
            ) => value,
            _ => toml::Value::String(text.to_owned()),
        },
        Err(_) => toml::Value::String(text.to_owned()),
    }
}
