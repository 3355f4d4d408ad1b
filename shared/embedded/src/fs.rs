//! The embedded bucket: objects as files under `<data dir>/blobs/<bucket>/`.
//!
//! Object keys are arbitrary UTF-8 (spaces, `+`, unicode, `..`), so each `/`-separated segment
//! is percent-encoded into a safe file name: nothing a key contains can escape the bucket
//! folder or collide with the store's own bookkeeping (which starts with `.`).
//!
//! The bucket is private (folders 0700, objects 0600) and never reads or writes through a
//! symbolic link; files taken in are checked on their open handle (see [`crate::private`]).

use crate::error::BlobError;
use crate::ports::{BlobMeta, BlobStore};
use crate::private::{self, SourceError, MAX_SOURCE_BYTES};
use async_trait::async_trait;
use bytes::Bytes;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Characters kept as they are in file names; everything else is `%XX`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b' ');
/// Linux's limit on one file-name component.
const MAX_NAME_BYTES: usize = 255;
/// S3's limit on a key.
const MAX_KEY_BYTES: usize = 1024;

/// Filesystem-backed [`BlobStore`].
#[derive(Debug, Clone)]
pub struct FsBlobStore {
    bucket: String,
    root: PathBuf,
}

impl FsBlobStore {
    /// A bucket stored under `blobs_dir/<bucket>`.
    pub fn new(blobs_dir: &Path, bucket: &str) -> Result<Self, BlobError> {
        let root = blobs_dir.join(utf8_percent_encode(bucket, SEGMENT).to_string());
        private::create_private_dir_all(&root.join(".tmp"))
            .map_err(|e| BlobError::Other(format!("cannot create {}: {e}", root.display())))?;
        Ok(Self {
            bucket: bucket.to_string(),
            root,
        })
    }

    /// The folder holding this bucket's objects.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Maps a key to its file, refusing keys S3 would refuse or that cannot be a file name.
    pub fn path_for(&self, key: &str) -> Result<PathBuf, BlobError> {
        let bad = |reason: &str| BlobError::BadKey {
            key: key.to_string(),
            reason: reason.to_string(),
        };
        if key.is_empty() {
            return Err(bad("the key is empty"));
        }
        if key.len() > MAX_KEY_BYTES {
            return Err(bad("the key is longer than 1024 bytes"));
        }
        let mut path = self.root.clone();
        for segment in key.split('/') {
            if segment.is_empty() {
                return Err(bad(
                    "the key has an empty path segment (`//`, or a leading or trailing `/`)",
                ));
            }
            let mut name = utf8_percent_encode(segment, SEGMENT).to_string();
            if name.starts_with('.') {
                name = format!("%2E{}", &name[1..]);
            }
            if name.len() > MAX_NAME_BYTES {
                return Err(bad("a path segment is too long to store as a file name"));
            }
            path.push(name);
        }
        Ok(path)
    }

    fn key_for(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let mut parts = Vec::new();
        for comp in rel.components() {
            let name = comp.as_os_str().to_str()?;
            parts.push(percent_decode_str(name).decode_utf8().ok()?.into_owned());
        }
        Some(parts.join("/"))
    }

    fn temp_path(&self) -> PathBuf {
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.root.join(".tmp").join(format!("{}-{n}", std::process::id()))
    }

    async fn meta_of(&self, key: &str, path: &Path) -> Result<Option<BlobMeta>, BlobError> {
        let file = match open_object(key, path, u64::MAX) {
            Ok((f, _)) => f,
            Err(BlobError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let (size, etag) = hash_file(file).await.map_err(|e| io_err(key, e))?;
        Ok(Some(BlobMeta {
            size,
            etag,
            content_type: None,
        }))
    }

    async fn commit(&self, key: &str, tmp: &Path) -> Result<(), BlobError> {
        let dest = self.path_for(key)?;
        if let Some(dir) = dest.parent() {
            private::create_private_dir_all(dir).map_err(|e| io_err(key, e))?;
        }
        tokio::fs::rename(tmp, &dest).await.map_err(|e| io_err(key, e))
    }
}

fn io_err(key: &str, e: std::io::Error) -> BlobError {
    BlobError::Other(format!("`{key}`: {e}"))
}

/// Opens an object's file for reading: not through a link, a regular file, at most `limit`
/// bytes (a folder or nothing at that path is no object).
fn open_object(key: &str, path: &Path, limit: u64) -> Result<(tokio::fs::File, u64), BlobError> {
    match private::open_source(path, limit) {
        Ok((file, size)) => Ok((tokio::fs::File::from_std(file), size)),
        Err(SourceError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(BlobError::NotFound(key.to_string()))
        }
        Err(SourceError::NotRegular("a folder")) => Err(BlobError::NotFound(key.to_string())),
        Err(SourceError::TooLarge { size, limit }) => Err(BlobError::TooLarge {
            key: key.to_string(),
            size,
            limit,
        }),
        Err(e) => Err(BlobError::Other(format!("`{key}`: {e}"))),
    }
}

/// Copies `size` bytes from an opened object or source into a new private file at `dest`.
async fn copy_into(key: &str, src: tokio::fs::File, size: u64, dest: &Path) -> Result<u64, BlobError> {
    let mut src = src.into_std().await;
    let dest = dest.to_path_buf();
    let shown = key.to_string();
    let key = key.to_string();
    tokio::task::spawn_blocking(move || {
        let mut out = private::create_private_file(&dest).map_err(|e| io_err(&key, e))?;
        let copied = private::copy_capped(&mut src, &mut out, size).map_err(|e| match e {
            SourceError::Grew { .. } => BlobError::Unavailable(format!("`{key}`: {e}")),
            e => BlobError::Other(format!("`{key}`: {e}")),
        });
        let copied = match copied {
            Ok(n) => n,
            Err(e) => {
                drop(out);
                let _ = std::fs::remove_file(&dest);
                return Err(e);
            }
        };
        out.sync_all().map_err(|e| io_err(&key, e))?;
        Ok(copied)
    })
    .await
    .map_err(|e| BlobError::Other(format!("`{shown}`: the copy did not finish: {e}")))?
}

/// Size and content hash; the hash plays the part of S3's ETag (it changes with the content).
async fn hash_file(mut file: tokio::fs::File) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((size, hex::encode(&hasher.finalize()[..16])))
}

fn etag_of(bytes: &[u8]) -> String {
    hex::encode(&Sha256::digest(bytes)[..16])
}

#[async_trait]
impl BlobStore for FsBlobStore {
    fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        let path = self.path_for(key)?;
        self.meta_of(key, &path).await
    }

    async fn get(&self, key: &str, limit: u64) -> Result<Bytes, BlobError> {
        let path = self.path_for(key)?;
        let (file, size) = open_object(key, &path, limit)?;
        let mut buf = Vec::with_capacity(size as usize);
        file.take(size)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| io_err(key, e))?;
        Ok(Bytes::from(buf))
    }

    async fn get_prefix(&self, key: &str, len: u64) -> Result<Bytes, BlobError> {
        let path = self.path_for(key)?;
        let (file, _) = open_object(key, &path, u64::MAX)?;
        let mut buf = Vec::new();
        file.take(len).read_to_end(&mut buf).await.map_err(|e| io_err(key, e))?;
        Ok(Bytes::from(buf))
    }

    async fn download_to(&self, key: &str, dest: &Path, limit: u64) -> Result<u64, BlobError> {
        let path = self.path_for(key)?;
        let (file, size) = open_object(key, &path, limit)?;
        copy_into(key, file, size, dest).await
    }

    async fn put(&self, key: &str, body: Bytes, _content_type: &str) -> Result<BlobMeta, BlobError> {
        self.path_for(key)?;
        let tmp = self.temp_path();
        let file = private::create_private_file(&tmp).map_err(|e| io_err(key, e))?;
        let mut file = tokio::fs::File::from_std(file);
        file.write_all(&body).await.map_err(|e| io_err(key, e))?;
        file.sync_all().await.map_err(|e| io_err(key, e))?;
        drop(file);
        self.commit(key, &tmp).await?;
        Ok(BlobMeta {
            size: body.len() as u64,
            etag: etag_of(&body),
            content_type: None,
        })
    }

    /// Takes a file in as `key`: see [`crate::private`] for what is refused (a link, a FIFO, a
    /// device, a file over 5 GiB) and why; the object is a private copy, whatever the source's mode.
    async fn upload_from(&self, key: &str, src: &Path, _content_type: &str) -> Result<BlobMeta, BlobError> {
        self.path_for(key)?;
        let tmp = self.temp_path();
        let (source, size) = private::open_source(src, MAX_SOURCE_BYTES).map_err(|e| {
            let what = format!("cannot take in {} as `{key}`: {e}", src.display());
            if e.retryable() {
                BlobError::Unavailable(what)
            } else {
                BlobError::Other(what)
            }
        })?;
        copy_into(key, tokio::fs::File::from_std(source), size, &tmp).await?;
        let file = tokio::fs::File::open(&tmp).await.map_err(|e| io_err(key, e))?;
        let (size, etag) = hash_file(file).await.map_err(|e| io_err(key, e))?;
        self.commit(key, &tmp).await?;
        Ok(BlobMeta {
            size,
            etag,
            content_type: None,
        })
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        let path = self.path_for(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(key, e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let root = self.root.clone();
        let mut keys = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let mut entries = match tokio::fs::read_dir(&dir).await {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err(prefix, e)),
            };
            while let Some(entry) = entries.next_entry().await.map_err(|e| io_err(prefix, e))? {
                let path = entry.path();
                if dir == root && entry.file_name().to_string_lossy().starts_with('.') {
                    continue;
                }
                let kind = entry.file_type().await.map_err(|e| io_err(prefix, e))?;
                if kind.is_dir() {
                    stack.push(path);
                } else if let Some(key) = self.key_for(&path) {
                    if key.starts_with(prefix) {
                        keys.push(key);
                    }
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, FsBlobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::new(dir.path(), "local").unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn odd_keys_stay_inside_the_bucket_and_round_trip() {
        let (_dir, store) = store();
        let keys = [
            "uploads/acme/Interview 3 (final).vtt",
            "uploads/acme/a+b=c.txt",
            "uploads/ünïcødé/日本語.srt",
            "uploads/../../etc/passwd",
            "uploads/./x/../y",
            "uploads/acme/.hidden",
            "uploads/100%/file%20name.txt",
        ];
        for (i, key) in keys.iter().enumerate() {
            let path = store.path_for(key).unwrap();
            assert!(path.starts_with(store.root()), "{key} escaped to {}", path.display());
            store
                .put(key, Bytes::from(vec![i as u8; 3]), "text/plain")
                .await
                .unwrap();
        }
        let listed = store.list("uploads/").await.unwrap();
        let mut expected: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        expected.sort();
        assert_eq!(listed, expected);
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(store.get(key, 10).await.unwrap().as_ref(), &[i as u8; 3]);
        }
        assert!(!store.root().parent().unwrap().join("etc").exists());
    }

    #[tokio::test]
    async fn bad_keys_are_refused_with_a_reason() {
        let (_dir, store) = store();
        for key in ["", "a//b", "/abs", "trailing/", &"x".repeat(1025)] {
            let err = store.put(key, Bytes::from_static(b"x"), "t").await.unwrap_err();
            assert!(matches!(err, BlobError::BadKey { .. }), "{key:?}: {err:?}");
        }
    }

    #[tokio::test]
    async fn size_limit_is_enforced_before_reading_and_etag_follows_content() {
        let (dir, store) = store();
        let meta = store.put("k", Bytes::from(vec![7u8; 100]), "t").await.unwrap();
        assert_eq!(store.head("k").await.unwrap().unwrap(), meta);
        assert!(matches!(
            store.get("k", 99).await.unwrap_err(),
            BlobError::TooLarge {
                size: 100,
                limit: 99,
                ..
            }
        ));
        let dest = dir.path().join("copy");
        assert!(matches!(
            store.download_to("k", &dest, 10).await.unwrap_err(),
            BlobError::TooLarge { .. }
        ));
        assert!(!dest.exists());
        assert_eq!(store.download_to("k", &dest, 100).await.unwrap(), 100);
        assert_eq!(store.get_prefix("k", 4).await.unwrap().len(), 4);
        let changed = store.put("k", Bytes::from(vec![8u8; 100]), "t").await.unwrap();
        assert_ne!(changed.etag, meta.etag);
        assert!(matches!(
            store.get("nope", 1).await.unwrap_err(),
            BlobError::NotFound(_)
        ));
        assert_eq!(store.head("nope").await.unwrap(), None);
        store.delete("k").await.unwrap();
        store.delete("k").await.unwrap();
        assert_eq!(store.head("k").await.unwrap(), None);
    }

    #[tokio::test]
    async fn upload_from_streams_a_file_in() {
        let (dir, store) = store();
        let src = dir.path().join("src.bin");
        std::fs::write(&src, vec![1u8; 1_000_000]).unwrap();
        let meta = store.upload_from("uploads/p/big.bin", &src, "audio/wav").await.unwrap();
        assert_eq!(meta.size, 1_000_000);
        assert_eq!(store.head("uploads/p/big.bin").await.unwrap().unwrap().etag, meta.etag);
    }
}
