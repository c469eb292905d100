//! Reading the end of the node's log file for failure reports.

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::Path,
};

/// How many trailing lines of the node log a failure report shows.
pub const TAIL_LINES: usize = 80;

/// At most this many bytes are read from the end of the log.
const TAIL_BYTES: u64 = 64 * 1024;

/// The last `lines` lines of the file at `path` (lossily decoded), or a note why it can't be read.
pub fn tail(path: &Path, lines: usize) -> String {
    match read_tail(path, lines) {
        Ok(text) if text.trim().is_empty() => "(the log is empty)".to_owned(),
        Ok(text) => text,
        Err(err) => format!("(cannot read {}: {err})", path.display()),
    }
}

fn read_tail(path: &Path, lines: usize) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let start = len.saturating_sub(TAIL_BYTES);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    // When we started mid-file the first line is probably partial: drop it.
    let skip_partial = usize::from(start > 0 && all.len() > 1);
    let from = all.len().saturating_sub(lines).max(skip_partial);
    Ok(all[from..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_last_lines() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("log");
        std::fs::write(&path, "a\nb\nc\nd\n")?;
        assert_eq!(tail(&path, 2), "c\nd");
        assert_eq!(tail(&path, 10), "a\nb\nc\nd");
        std::fs::write(&path, "")?;
        assert_eq!(tail(&path, 2), "(the log is empty)");
        assert!(tail(&dir.path().join("missing"), 2).starts_with("(cannot read"));
        Ok(())
    }
}
