//! Values larger than a page, stored in page-sized pieces under `(key, piece)`.
//!
//! redb gives an entry that does not fit one 4 KiB page a region of a power-of-two number of
//! pages: a 690 KB block body took 1 MiB, and a third of the bodies table was that rounding.
//! Pieces of [`PIECE_BYTES`] each fill one page, appended in key order.

use redb::{ReadableTable, Table};

use crate::StorageResult;

/// The largest piece: a page less the leaf's header, the entry's offsets and its key.
pub(crate) const PIECE_BYTES: usize = 4000;

/// A table of values stored in pieces.
pub(crate) type PiecesTable<'txn> = Table<'txn, (u64, u32), &'static [u8]>;

/// Stores `bytes` under `key`, in pieces.
pub(crate) fn write_pieces(
    table: &mut PiecesTable<'_>,
    key: u64,
    bytes: &[u8],
) -> StorageResult<()> {
    for (piece, chunk) in bytes.chunks(PIECE_BYTES).enumerate() {
        table.insert((key, piece as u32), chunk)?;
    }
    Ok(())
}

/// The value stored under `key`, its pieces joined; `None` if there is none.
pub(crate) fn read_pieces(
    table: &impl ReadableTable<(u64, u32), &'static [u8]>,
    key: u64,
) -> StorageResult<Option<Vec<u8>>> {
    let mut value: Option<Vec<u8>> = None;
    for entry in table.range((key, 0)..=(key, u32::MAX))? {
        value
            .get_or_insert_with(Vec::new)
            .extend_from_slice(entry?.1.value());
    }
    Ok(value)
}

/// Every value with a key of at least `first`, in key order, pieces joined.
pub(crate) fn read_pieces_from(
    table: &impl ReadableTable<(u64, u32), &'static [u8]>,
    first: u64,
) -> StorageResult<Vec<(u64, Vec<u8>)>> {
    let mut values: Vec<(u64, Vec<u8>)> = Vec::new();
    for entry in table.range((first, 0)..)? {
        let (key, piece) = entry?;
        let key = key.value().0;
        match values.last_mut() {
            Some((last, bytes)) if *last == key => bytes.extend_from_slice(piece.value()),
            _ => values.push((key, piece.value().to_vec())),
        }
    }
    Ok(values)
}

/// Removes the value stored under `key`, if any.
pub(crate) fn remove_pieces(table: &mut PiecesTable<'_>, key: u64) -> StorageResult<()> {
    table.retain_in((key, 0)..=(key, u32::MAX), |_, _| false)?;
    Ok(())
}

/// Removes every value with a key of at most `last`; returns how many values went.
pub(crate) fn remove_pieces_to(table: &mut PiecesTable<'_>, last: u64) -> StorageResult<usize> {
    let mut removed = 0;
    let mut previous = None;
    table.retain_in(..=(last, u32::MAX), |(key, _), _| {
        if previous != Some(key) {
            removed += 1;
            previous = Some(key);
        }
        false
    })?;
    Ok(removed)
}

/// Removes the value stored under `key`; returns it, pieces joined, if there was one.
pub(crate) fn take_pieces(table: &mut PiecesTable<'_>, key: u64) -> StorageResult<Option<Vec<u8>>> {
    let value = read_pieces(table, key)?;
    if value.is_some() {
        remove_pieces(table, key)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Storage, tables::BODIES};

    /// Pieces round-trip, and 700 KB values take about their size in pages, not the next power
    /// of two (1 MiB each, as one entry would).
    #[test]
    fn large_values_fill_their_pages() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open(&dir.path().join("keel.redb")).unwrap();
        let value = |key: u64| -> Vec<u8> {
            (0..700_000u64)
                .map(|i| (i.wrapping_mul(key + 7) >> 3) as u8)
                .collect()
        };
        let txn = storage.begin_write().unwrap();
        {
            let mut table = txn.open_table(BODIES).unwrap();
            for key in 1..=20 {
                write_pieces(&mut table, key, &value(key)).unwrap();
            }
            write_pieces(&mut table, 21, &[]).unwrap();
            assert_eq!(read_pieces(&table, 3).unwrap(), Some(value(3)));
            assert_eq!(
                read_pieces(&table, 21).unwrap(),
                None,
                "nothing stored for nothing"
            );
            assert_eq!(take_pieces(&mut table, 20).unwrap(), Some(value(20)));
            assert_eq!(read_pieces(&table, 20).unwrap(), None);
            let from: Vec<u64> = read_pieces_from(&table, 18)
                .unwrap()
                .into_iter()
                .map(|(key, bytes)| {
                    assert_eq!(bytes, value(key));
                    key
                })
                .collect();
            assert_eq!(from, [18, 19]);
        }
        txn.commit().unwrap();
        let bodies = storage
            .table_sizes()
            .unwrap()
            .into_iter()
            .find(|table| table.name == "bodies")
            .unwrap();
        assert_eq!(bodies.stored_bytes, 19 * 700_000 + 19 * 175 * 12);
        let ratio = bodies.total_bytes() as f64 / bodies.stored_bytes as f64;
        assert!(ratio < 1.1, "pages hold {ratio:.2}× the bytes stored");
    }
}
