//! One daemon per database: `run` and `once` hold an exclusive lock on a file beside it
//! (`PATH.lock`, holding the holder's PID) for as long as they run. At start a daemon frees what
//! a previous one left leased, which would pull work from under a second one running beside it.
//! The commands that only read take no lock: SQLite's WAL lets them read beside a daemon.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use super::StoreError;

/// The exclusive hold on a database; released when dropped (or when the process dies, however).
#[derive(Debug)]
pub struct DbLock {
    /// Kept open: closing it releases the lock.
    _file: File,
}

/// The lock file of the database at `db`.
#[must_use]
pub fn lock_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

impl DbLock {
    /// Takes the lock of the database at `db`, or says who holds it.
    ///
    /// # Errors
    /// [`StoreError::InUse`] naming the PID of the process holding it; [`StoreError::Lock`] when
    /// the lock file cannot be opened or locked.
    pub fn acquire(db: &Path) -> Result<Self, StoreError> {
        let path = lock_path(db);
        let lock_err = |source| StoreError::Lock { path: path.clone(), source };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(lock_err)?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0).map_err(lock_err)?;
                file.rewind().map_err(lock_err)?;
                writeln!(file, "{}", std::process::id()).map_err(lock_err)?;
                Ok(Self { _file: file })
            }
            Err(TryLockError::WouldBlock) => {
                let mut text = String::new();
                let pid = file.read_to_string(&mut text).ok().and_then(|_| text.trim().parse().ok());
                Err(StoreError::InUse { path: db.to_path_buf(), pid })
            }
            Err(TryLockError::Error(source)) => Err(lock_err(source)),
        }
    }
}

/// "pid 1234", or that it is not known (a holder that has not written it yet).
pub(super) fn holder(pid: Option<u32>) -> String {
    pid.map_or_else(|| "a process whose pid is not known yet".to_string(), |p| format!("pid {p}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_hold_is_refused_naming_the_first_then_granted_once_it_is_gone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("f.db");
        let first = DbLock::acquire(&db).expect("free");
        match DbLock::acquire(&db) {
            Err(StoreError::InUse { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("a second hold: {other:?}"),
        }
        drop(first);
        DbLock::acquire(&db).expect("free again");
    }
}
