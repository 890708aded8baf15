//! [`ScratchDirectory`]: where an on-disk lexical index keeps its files. Reads go through
//! tantivy's [`MmapDirectory`], so segments are memory-mapped (the kernel's page cache
//! holds them, not the process's heap); writes are never fsync'd.
//!
//! Why no fsync: the lexical index is derived data that the store's owner rebuilds by
//! replaying its store of record at every open (the folder is emptied first), so a crash can
//! lose nothing that matters, while an fsync per segment file would add milliseconds to
//! every single-item write (each write commits, and a commit writes several files).

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, TerminatingWrite, WatchCallback,
    WatchHandle, WritePtr,
};

/// A tantivy directory over a folder: memory-mapped reads, unsynced writes.
#[derive(Debug, Clone)]
pub(crate) struct ScratchDirectory {
    root: PathBuf,
    mmap: MmapDirectory,
}

impl ScratchDirectory {
    /// Empties `root` (creating it if needed) and opens it.
    pub(crate) fn create_empty(root: &Path) -> Result<Self, OpenDirectoryError> {
        let wrap = |e: io::Error| OpenDirectoryError::wrap_io_error(e, root.to_path_buf());
        match std::fs::remove_dir_all(root) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(wrap(e)),
        }
        std::fs::create_dir_all(root).map_err(wrap)?;
        Ok(ScratchDirectory { root: root.to_path_buf(), mmap: MmapDirectory::open(root)? })
    }
}

/// A file writer whose `terminate` flushes but does not sync.
struct Unsynced(File);

impl Write for Unsynced {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl TerminatingWrite for Unsynced {
    fn terminate_ref(&mut self, _: AntiCallToken) -> io::Result<()> {
        self.0.flush()
    }
}

impl Directory for ScratchDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.mmap.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mmap.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mmap.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        let file = OpenOptions::new().write(true).create_new(true).open(self.root.join(path)).map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                OpenWriteError::FileAlreadyExists(path.to_path_buf())
            } else {
                OpenWriteError::wrap_io_error(e, path.to_path_buf())
            }
        })?;
        Ok(BufWriter::new(Box::new(Unsynced(file))))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mmap.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        // Readers never see a half-written meta.json: write aside, then rename over.
        let target = self.root.join(path);
        let mut staged = target.clone().into_os_string();
        staged.push(".tmp");
        std::fs::write(&staged, data)?;
        std::fs::rename(&staged, &target)
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mmap.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mmap.watch(watch_callback)
    }
}
