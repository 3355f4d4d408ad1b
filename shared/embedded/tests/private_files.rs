//! The embedded data dir is private and takes files in only through checked handles: real
//! folders, real symbolic links, a real FIFO, modes read back with `PermissionsExt`.

use bytes::Bytes;
use interview_core::config::Settings;
use interview_core::error::BlobError;
use interview_core::ports::BlobStore;
use interview_embedded::fs::FsBlobStore;
use interview_embedded::sqlite::SqliteStore;
use interview_embedded::Embedded;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn a_new_data_dir_is_owner_only_and_objects_do_not_copy_the_sources_mode() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let embedded = Embedded::open(&Settings::embedded(&data)).unwrap();
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("items.sqlite")), 0o600);
    for d in ["blobs", "blobs/local", "blobs/local/.tmp"] {
        assert_eq!(mode(&data.join(d)), 0o700, "{d}");
    }
    let item = interview_testkit::store_contract::sample_item("private");
    interview_core::ports::ItemStore::create(embedded.store.as_ref(), &item)
        .await
        .unwrap();
    assert_eq!(
        mode(&data.join("items.sqlite-wal")),
        0o600,
        "SQLite gives the WAL the file's mode"
    );

    let src = dir.path().join("interview.vtt");
    std::fs::write(&src, b"WEBVTT\n").unwrap();
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o755)).unwrap();
    let blobs = FsBlobStore::new(&data.join("blobs"), "local").unwrap();
    blobs
        .upload_from("uploads/acme/interview.vtt", &src, "text/vtt")
        .await
        .unwrap();
    blobs
        .put(
            "results/x/r1/evidence.json",
            Bytes::from_static(b"{}"),
            "application/json",
        )
        .await
        .unwrap();
    for key in ["uploads/acme/interview.vtt", "results/x/r1/evidence.json"] {
        let path = blobs.path_for(key).unwrap();
        assert_eq!(mode(&path), 0o600, "{key}");
        assert_eq!(mode(path.parent().unwrap()), 0o700, "{key}");
    }
    let copy = dir.path().join("copy.vtt");
    blobs
        .download_to("uploads/acme/interview.vtt", &copy, 100)
        .await
        .unwrap();
    assert_eq!(mode(&copy), 0o600);
}

#[tokio::test]
async fn an_existing_store_file_is_made_private_and_a_planted_link_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("items.sqlite");
    drop(SqliteStore::open(&db).unwrap());
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(SqliteStore::open(&db).unwrap());
    assert_eq!(mode(&db), 0o600);

    let elsewhere = dir.path().join("elsewhere.sqlite");
    std::fs::write(&elsewhere, b"").unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = dir.path().join("linked.sqlite");
    symlink(&elsewhere, &link).unwrap();
    assert!(SqliteStore::open(&link).is_err());
    assert_eq!(mode(&elsewhere), 0o644, "the link's target is untouched");
}

#[tokio::test]
async fn a_link_to_credentials_a_fifo_or_dev_zero_never_reaches_the_bucket() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = FsBlobStore::new(&dir.path().join("blobs"), "local").unwrap();
    let secret = dir.path().join("credentials");
    std::fs::write(&secret, b"[default]\naws_secret_access_key = canary\n").unwrap();
    let drop_dir = dir.path().join("drop");
    std::fs::create_dir(&drop_dir).unwrap();

    let swapped = drop_dir.join("interview.vtt");
    symlink(&secret, &swapped).unwrap();
    let zero = drop_dir.join("zero.wav");
    symlink("/dev/zero", &zero).unwrap();
    let fifo = drop_dir.join("pipe.vtt");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());

    for (path, says) in [
        (&swapped, "symbolic link"),
        (&zero, "symbolic link"),
        (&fifo, "FIFO"),
        (&Path::new("/dev/zero").to_path_buf(), "a device"),
    ] {
        let started = Instant::now();
        let err = tokio::time::timeout(Duration::from_secs(5), blobs.upload_from("uploads/drop/x", path, "t"))
            .await
            .expect("refused without hanging")
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(matches!(err, BlobError::Other(_)), "{err:?}");
        assert!(err.to_string().contains(says), "{err}");
        assert!(!err.to_string().contains("canary"));
    }
    assert!(blobs.list("").await.unwrap().is_empty(), "nothing reached the bucket");
    assert!(
        std::fs::read_dir(blobs.root().join(".tmp")).unwrap().next().is_none(),
        "no partial copy left"
    );
}
