//! The archive's stored series ledger (see [`crate::storage::index`]'s
//! `ledger_*` tables): what the digest layer reads and writes through the
//! archive, and the list lock a writer of the ledger takes.

use super::{Archive, Result};
use crate::storage::index::{LedgerMark, LedgerRow, TimeField};
use crate::storage::mirror::{self, ListLock};

impl Archive {
    /// The list's lock when nobody else holds it; None when another run
    /// does (a reader then uses what is stored).
    pub fn try_lock(&self) -> Result<Option<ListLock>> {
        match self.mirror.lock() {
            Ok(l) => Ok(Some(l)),
            Err(mirror::Error::Locked { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The mark the stored ledger was derived at.
    pub fn ledger_mark(&self) -> Result<Option<LedgerMark>> {
        Ok(self.index.ledger_mark()?)
    }

    /// The index as it stands now, under `fingerprint`.
    pub fn ledger_mark_now(&self, fingerprint: &str) -> Result<LedgerMark> {
        Ok(self.index.ledger_mark_now(fingerprint)?)
    }

    /// Did the index only gain mails since `mark`?
    pub fn ledger_only_appended(&self, mark: &LedgerMark, now: &LedgerMark) -> bool {
        self.index.ledger_only_appended(mark, now)
    }

    /// Thread ids of the mails indexed after row `max_id`.
    pub fn thread_ids_after(&self, max_id: i64) -> Result<Vec<i64>> {
        Ok(self.index.thread_ids_after(max_id)?)
    }

    /// Every thread id.
    pub fn all_thread_ids(&self) -> Result<Vec<i64>> {
        Ok(self.index.all_thread_ids()?)
    }

    /// Keys of the stored series holding any of `mids`.
    pub fn ledger_keys_of(&self, mids: &[&str]) -> Result<Vec<String>> {
        Ok(self.index.ledger_keys_of(mids)?)
    }

    /// Thread ids of the stored series `keys`.
    pub fn ledger_thread_ids(&self, keys: &[String]) -> Result<Vec<i64>> {
        Ok(self.index.ledger_thread_ids(keys)?)
    }

    /// Replace stored series in one transaction (see
    /// [`Index::ledger_write`](crate::storage::index::Index::ledger_write)).
    pub fn ledger_write(
        &mut self,
        clear: bool,
        remove: &[String],
        rows: &[LedgerRow],
        mark: &LedgerMark,
    ) -> Result<()> {
        Ok(self.index.ledger_write(clear, remove, rows, mark)?)
    }

    /// Every stored series, newest activity first.
    pub fn ledger_all(&self) -> Result<Vec<LedgerRow>> {
        Ok(self.index.ledger_all()?)
    }

    /// The stored series with a mail in `[start, end)`.
    pub fn ledger_in_window(
        &self,
        field: TimeField,
        start: i64,
        end: i64,
    ) -> Result<Vec<LedgerRow>> {
        Ok(self.index.ledger_in_window(field, start, end)?)
    }

    /// The stored series holding the mail `mid`.
    pub fn ledger_of_message(&self, mid: &str) -> Result<Option<LedgerRow>> {
        Ok(self.index.ledger_of_message(mid)?)
    }
}
