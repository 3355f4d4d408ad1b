//! Files the embedded backend keeps, and files it takes in, handled so that interviews stay
//! private and a hostile file system cannot make it read or write what it should not.
//!
//! - What it keeps (the data dir, the bucket, the item store) is created owner-only: folders
//!   0700, files 0600, whatever the umask or the mode of the file it came from.
//! - What it takes in (a file handed to `process` or dropped in the watched folder) is opened
//!   without following a final symbolic link (`O_NOFOLLOW`), so swapping the file for a link to
//!   `~/.aws/credentials` between the scan and the copy gets an error, not the credentials in
//!   the bucket; opened non-blocking (`O_NONBLOCK`), so a FIFO cannot hang the open; then the
//!   opened handle itself is checked (`fstat`): only a regular file of bounded size is read,
//!   and never more bytes than it had when checked, so `/dev/zero` or a file that keeps growing
//!   cannot fill the disk.
//!
//! `O_NOFOLLOW` covers the last path component only: folders on the way are trusted, as the
//! user chose them.

use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of every folder the embedded backend creates.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file the embedded backend creates.
pub const FILE_MODE: u32 = 0o600;
/// The largest file taken in: S3's limit on a single PUT (5 GiB), the way files reach the
/// bucket on AWS. Smaller limits (`MAX_UPLOAD_BYTES`) are the pipeline's to enforce, on an item.
pub const MAX_SOURCE_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// Why a file could not be taken in. The messages name the problem, never the file's content.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The path's last component is a symbolic link.
    #[error("it is a symbolic link, which is not followed; pass or drop the file it points to instead")]
    Symlink,
    /// Not a regular file (a FIFO, a device, a socket, a folder).
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    /// Larger than [`MAX_SOURCE_BYTES`] (or the limit given).
    #[error("it is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// Size when opened.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// It grew while it was being copied: still being written. Retrying later helps.
    #[error("it grew past its size of {size} bytes while being copied (is it still being written?); try again when it is complete")]
    Grew {
        /// Size when opened.
        size: u64,
    },
    /// Anything the operating system refused.
    #[error("{0}")]
    Io(#[from] io::Error),
}

impl SourceError {
    /// Whether trying again later can succeed.
    pub fn retryable(&self) -> bool {
        matches!(self, SourceError::Grew { .. } | SourceError::Io(_))
    }
}

/// Creates `path` and any missing parents owner-only (0700). Existing folders are left as they
/// are: they may be the user's own.
pub fn create_private_dir_all(path: &Path) -> io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(path)
}

/// Creates (or truncates) a file owner-only (0600), never through a symbolic link.
pub fn create_private_file(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    // A file that existed before keeps its old mode through `open`; make it private too.
    file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    Ok(file)
}

/// Opens a file to take in: no symbolic link, no blocking open, a regular file of at most
/// `limit` bytes. Returns the handle and its size as checked on the handle.
pub fn open_source(path: &Path, limit: u64) -> Result<(File, u64), SourceError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        // ELOOP is how Linux reports O_NOFOLLOW meeting a link.
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => SourceError::Symlink,
            _ => SourceError::Io(e),
        })?;
    let meta = file.metadata()?;
    let kind = meta.file_type();
    if !kind.is_file() {
        return Err(SourceError::NotRegular(if kind.is_fifo() {
            "a FIFO (named pipe)"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else if kind.is_dir() {
            "a folder"
        } else {
            "a special file"
        }));
    }
    if meta.len() > limit {
        return Err(SourceError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok((file, meta.len()))
}

/// Copies exactly the `size` bytes a source had when opened; a byte more is [`SourceError::Grew`].
/// Returns the bytes copied (fewer if it shrank).
pub fn copy_capped(src: &mut impl Read, dst: &mut impl Write, size: u64) -> Result<u64, SourceError> {
    let copied = io::copy(&mut src.take(size), dst)?;
    let mut probe = [0u8; 1];
    if copied == size && src.read(&mut probe)? > 0 {
        return Err(SourceError::Grew { size });
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::time::{Duration, Instant};

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_owner_only_whatever_existed() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("data/blobs/local");
        create_private_dir_all(&nested).unwrap();
        for d in ["data", "data/blobs", "data/blobs/local"] {
            assert_eq!(mode(&dir.path().join(d)), 0o700, "{d}");
        }
        let file = nested.join("f");
        std::fs::write(&file, b"old").unwrap();
        std::fs::set_permissions(&file, Permissions::from_mode(0o666)).unwrap();
        create_private_file(&file).unwrap().write_all(b"new").unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
    }

    #[test]
    fn a_link_is_neither_read_nor_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("credentials");
        std::fs::write(&secret, b"aws_secret_access_key = x").unwrap();
        let link = dir.path().join("interview.vtt");
        symlink(&secret, &link).unwrap();
        assert!(matches!(
            open_source(&link, MAX_SOURCE_BYTES),
            Err(SourceError::Symlink)
        ));
        assert_eq!(
            create_private_file(&link).unwrap_err().raw_os_error(),
            Some(libc::ELOOP)
        );
        assert_eq!(std::fs::read(&secret).unwrap(), b"aws_secret_access_key = x");
    }

    #[test]
    fn a_fifo_or_a_device_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.vtt");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let started = Instant::now();
        let err = open_source(&fifo, MAX_SOURCE_BYTES).unwrap_err();
        assert!(matches!(err, SourceError::NotRegular("a FIFO (named pipe)")), "{err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "no writer, and still no hang"
        );
        let err = open_source(Path::new("/dev/zero"), MAX_SOURCE_BYTES).unwrap_err();
        assert!(matches!(err, SourceError::NotRegular("a device")), "{err:?}");
        assert!(!err.retryable());
        let err = open_source(dir.path(), MAX_SOURCE_BYTES).unwrap_err();
        assert!(matches!(err, SourceError::NotRegular("a folder")), "{err:?}");
    }

    #[test]
    fn size_is_checked_on_the_handle_and_the_copy_stops_at_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, vec![b'a'; 100]).unwrap();
        assert!(matches!(
            open_source(&path, 99),
            Err(SourceError::TooLarge { size: 100, limit: 99 })
        ));
        let (mut file, size) = open_source(&path, 100).unwrap();
        // The file grows after it was checked: the copy does not follow it.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"more")
            .unwrap();
        let mut out = Vec::new();
        let err = copy_capped(&mut file, &mut out, size).unwrap_err();
        assert!(matches!(err, SourceError::Grew { size: 100 }), "{err:?}");
        assert!(err.retryable());
        assert_eq!(out.len(), 100);
        // An endless source is cut at the size given.
        let mut out = Vec::new();
        assert!(matches!(
            copy_capped(&mut io::repeat(0), &mut out, 10),
            Err(SourceError::Grew { size: 10 })
        ));
        assert_eq!(out.len(), 10);
        let mut out = Vec::new();
        assert_eq!(copy_capped(&mut &b"abc"[..], &mut out, 3).unwrap(), 3);
    }
}
