//! The store contract: one suite, run against every [`ItemStore`] adapter (SQLite in unit
//! tests, DynamoDB on moto in the integration tests), so both keep the same semantics.
//!
//! Every case uses fresh ids, so the suite can share a table with other tests.

use crate::domain::update::{update_item, Change};
use crate::domain::{ErrorKind, Interview, ItemError, Source, SourceKind, Status, Step};
use crate::error::{StoreError, TaskError};
use crate::ports::{Expected, ItemStore, ListQuery};
use chrono::{Duration, Utc};
use interview_core::listing::{InterviewSummary, PageCursor, PageQuery};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A new queued item with a key unique to this process and call.
pub fn sample_item(tag: &str) -> Interview {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nonce = format!(
        "{}-{}-{n}",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap_or_default()
    );
    let source = Source {
        bucket: "contract-bucket".into(),
        key: format!("uploads/contract/{nonce}-{tag} Ünïcode + spaces.vtt"),
        etag: format!("etag-{n}"),
        size: 42,
        content_type: Some("text/vtt".into()),
        kind: SourceKind::Transcript,
        sequencer: Some(format!("{n:016X}")),
    };
    Interview::new_queued(source, Utc::now())
}

fn bumped(item: &Interview) -> Interview {
    let mut next = item.clone();
    next.version += 1;
    next.updated_at = item.updated_at + Duration::milliseconds(1);
    next
}

fn expected(item: &Interview) -> Expected {
    Expected {
        version: item.version,
        run_id: item.run_id.clone(),
    }
}

/// Runs every case and returns the names of those that passed; panics naming the first failure.
pub async fn run_all(store: &dyn ItemStore) -> Vec<&'static str> {
    let mut passed = Vec::new();
    macro_rules! case {
        ($name:ident) => {
            $name(store).await;
            passed.push(stringify!($name));
        };
    }
    case!(create_then_get_round_trips);
    case!(create_refuses_an_existing_id);
    case!(replace_with_matching_version_and_run_succeeds);
    case!(replace_with_stale_version_conflicts);
    case!(replace_from_another_run_is_fenced);
    case!(replace_of_missing_item_is_not_found);
    case!(racing_writers_exactly_one_wins);
    case!(sparse_index_holds_only_live_items_before_cutoff);
    case!(list_filters_by_status_and_hides_deleted);
    case!(update_helper_fences_superseded_runs);
    case!(pages_follow_cursors_newest_first_within_the_projects_asked);
    case!(page_filters_apply_before_the_cursor_moves_on);
    case!(projects_name_those_with_interviews_when_the_store_can);
    passed
}

async fn create_then_get_round_trips(store: &dyn ItemStore) {
    let item = sample_item("roundtrip");
    assert_eq!(store.get(&item.id).await.unwrap(), None, "a missing item reads as None");
    store.create(&item).await.unwrap();
    assert_eq!(
        store.get(&item.id).await.unwrap(),
        Some(item),
        "the item reads back exactly as written"
    );
}

async fn create_refuses_an_existing_id(store: &dyn ItemStore) {
    let item = sample_item("dup");
    store.create(&item).await.unwrap();
    let mut other = item.clone();
    other.progress = 99;
    let err = store.create(&other).await.unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists(_)), "second create: {err:?}");
    assert_eq!(
        store.get(&item.id).await.unwrap().unwrap().progress,
        0,
        "the first write survives"
    );
}

async fn replace_with_matching_version_and_run_succeeds(store: &dyn ItemStore) {
    let item = sample_item("replace");
    store.create(&item).await.unwrap();
    let mut next = bumped(&item);
    next.status = Status::Processing;
    next.progress = 10;
    store.replace(&next, &expected(&item)).await.unwrap();
    let stored = store.get(&item.id).await.unwrap().unwrap();
    assert_eq!(stored.version, item.version + 1);
    assert_eq!(stored.status, Status::Processing);
    assert_eq!(stored, next);
}

async fn replace_with_stale_version_conflicts(store: &dyn ItemStore) {
    let item = sample_item("stale");
    store.create(&item).await.unwrap();
    let first = bumped(&item);
    store.replace(&first, &expected(&item)).await.unwrap();
    let mut late = bumped(&item);
    late.progress = 77;
    let err = store.replace(&late, &expected(&item)).await.unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict(_)), "stale version: {err:?}");
    assert_eq!(
        store.get(&item.id).await.unwrap().unwrap(),
        first,
        "the losing write left no trace"
    );
}

async fn replace_from_another_run_is_fenced(store: &dyn ItemStore) {
    let item = sample_item("fence");
    store.create(&item).await.unwrap();
    let mut newer = bumped(&item);
    newer.run_id = crate::domain::RunId::new(&item.id, 2);
    store.replace(&newer, &expected(&item)).await.unwrap();
    let mut zombie = bumped(&newer);
    zombie.run_id = item.run_id.clone();
    zombie.status = Status::Processing;
    let err = store
        .replace(
            &zombie,
            &Expected {
                version: newer.version,
                run_id: item.run_id.clone(),
            },
        )
        .await
        .unwrap_err();
    match err {
        StoreError::RunFenced { current, attempted, .. } => {
            assert_eq!(current, newer.run_id.to_string());
            assert_eq!(attempted, item.run_id.to_string());
        }
        other => panic!("a write from run 1 after run 2 claimed the item must be fenced, got {other:?}"),
    }
    assert_eq!(store.get(&item.id).await.unwrap().unwrap(), newer);
}

async fn replace_of_missing_item_is_not_found(store: &dyn ItemStore) {
    let item = sample_item("missing");
    let err = store.replace(&bumped(&item), &expected(&item)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound(_)), "missing: {err:?}");
    assert_eq!(store.get(&item.id).await.unwrap(), None, "replace never creates");
}

async fn racing_writers_exactly_one_wins(store: &dyn ItemStore) {
    let item = sample_item("race");
    store.create(&item).await.unwrap();
    let writes = (0..6u8).map(|i| {
        let mut next = bumped(&item);
        next.progress = i;
        let exp = expected(&item);
        async move { store.replace(&next, &exp).await }
    });
    let results = futures_join_all(writes).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(wins, 1, "exactly one of six racing writers wins: {results:?}");
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, StoreError::VersionConflict(_))));
    assert_eq!(store.get(&item.id).await.unwrap().unwrap().version, item.version + 1);
}

async fn futures_join_all<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    let futures: Vec<_> = futures.map(Box::pin).collect();
    let mut out = Vec::with_capacity(futures.len());
    let mut pending: Vec<_> = futures.into_iter().map(Some).collect();
    std::future::poll_fn(|cx| {
        let mut all_done = true;
        for slot in pending.iter_mut() {
            if let Some(fut) = slot {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        out.push(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => all_done = false,
                }
            }
        }
        if all_done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    out
}

async fn sparse_index_holds_only_live_items_before_cutoff(store: &dyn ItemStore) {
    let long_ago = Utc::now() - Duration::hours(3);
    let mut old_live = sample_item("old-live");
    old_live.updated_at = long_ago;
    let mut old_done = sample_item("old-done");
    old_done.updated_at = long_ago;
    let fresh_live = sample_item("fresh-live");
    store.create(&old_live).await.unwrap();
    store.create(&old_done).await.unwrap();
    store.create(&fresh_live).await.unwrap();
    // Finish `old_done` while keeping its old timestamp, so only the terminal status keeps it out.
    let mut processing = bumped(&old_done);
    processing.status = Status::Processing;
    store.replace(&processing, &expected(&old_done)).await.unwrap();
    let mut finished = bumped(&processing);
    finished.updated_at = long_ago;
    finished.status = Status::Error;
    finished.error = Some(ItemError {
        step: Step::Transcribe,
        kind: ErrorKind::Input,
        message: "m".into(),
        at: long_ago,
        retryable: false,
        excerpt: None,
    });
    store.replace(&finished, &expected(&processing)).await.unwrap();

    let cutoff = Utc::now() - Duration::hours(1);
    let ids = |items: Vec<Interview>| items.into_iter().map(|i| i.id).collect::<Vec<_>>();
    let found = ids(store.live_items_updated_before(cutoff).await.unwrap());
    assert!(found.contains(&old_live.id), "an old live item is found");
    assert!(!found.contains(&old_done.id), "a terminal item leaves the sparse index");
    assert!(!found.contains(&fresh_live.id), "a recently updated item is not stale");

    // A new run puts the terminal item back into the index.
    let mut requeued = bumped(&finished);
    requeued.status = Status::Queued;
    requeued.run_id = crate::domain::RunId::new(&finished.id, 2);
    requeued.updated_at = long_ago;
    store.replace(&requeued, &expected(&finished)).await.unwrap();
    let found = ids(store.live_items_updated_before(cutoff).await.unwrap());
    assert!(found.contains(&old_done.id), "a re-queued item is live again");
}

async fn list_filters_by_status_and_hides_deleted(store: &dyn ItemStore) {
    let queued = sample_item("list-queued");
    let deleted = sample_item("list-deleted");
    store.create(&queued).await.unwrap();
    store.create(&deleted).await.unwrap();
    let mut gone = bumped(&deleted);
    gone.status = Status::Deleted;
    store.replace(&gone, &expected(&deleted)).await.unwrap();

    let all = store.list(&ListQuery::default()).await.unwrap();
    assert!(all.iter().any(|i| i.id == queued.id));
    assert!(
        !all.iter().any(|i| i.id == deleted.id),
        "deleted items are hidden by default"
    );
    let with_deleted = store
        .list(&ListQuery {
            include_deleted: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(with_deleted.iter().any(|i| i.id == deleted.id));
    let only_deleted = store
        .list(&ListQuery {
            status: Some(Status::Deleted),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(only_deleted.iter().all(|i| i.status == Status::Deleted));
    assert!(
        only_deleted.iter().any(|i| i.id == deleted.id),
        "asking for deleted shows them"
    );
    let only_queued = store
        .list(&ListQuery {
            status: Some(Status::Queued),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(only_queued.iter().all(|i| i.status == Status::Queued) && only_queued.iter().any(|i| i.id == queued.id));
    for pair in all.windows(2) {
        assert!(pair[0].updated_at >= pair[1].updated_at, "newest first");
    }
}

async fn update_helper_fences_superseded_runs(store: &dyn ItemStore) {
    let item = sample_item("helper");
    store.create(&item).await.unwrap();
    let run1 = item.run_id.clone();
    let updated = update_item(store, &item.id, Some(&run1), Utc::now, |i| {
        i.status = Status::Processing;
        Ok(Change::Write)
    })
    .await
    .unwrap();
    assert_eq!(updated.version, item.version + 1);
    let skipped = update_item(store, &item.id, Some(&run1), Utc::now, |_| Ok(Change::Skip))
        .await
        .unwrap();
    assert_eq!(skipped.version, updated.version, "a skipped change writes nothing");

    let run2 = crate::domain::RunId::new(&item.id, 2);
    update_item(store, &item.id, None, Utc::now, |i| {
        i.status = Status::Queued;
        i.run_id = run2.clone();
        Ok(Change::Write)
    })
    .await
    .unwrap();
    let err = update_item(store, &item.id, Some(&run1), Utc::now, |i| {
        i.progress = 100;
        Ok(Change::Write)
    })
    .await
    .unwrap_err();
    assert!(matches!(err, TaskError::Superseded(_)), "{err:?}");
    let refused = update_item(store, &item.id, Some(&run2), Utc::now, |i| {
        i.status = Status::Ready;
        Ok(Change::Write)
    })
    .await
    .unwrap_err();
    assert!(
        refused.message().contains("queued -> ready"),
        "transition table enforced: {refused}"
    );
    let stored = store.get(&item.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.progress, stored.run_id),
        (Status::Queued, 0, run2)
    );
}

/// A new item in `project` last written `minutes_ago` minutes before now.
pub fn project_item(project: &str, tag: &str, minutes_ago: i64) -> Interview {
    let mut item = sample_item(tag);
    let file = item.source.file_name().to_string();
    item.source.key = format!("uploads/{project}/{file}");
    item.id = crate::domain::InterviewId::for_object(&item.source.bucket, &item.source.key);
    item.run_id = crate::domain::RunId::new(&item.id, 1);
    item.updated_at = Utc::now() - Duration::minutes(minutes_ago);
    item.created_at = item.updated_at;
    item
}

/// A project name no other case or run uses.
pub fn unique_project(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{tag}-{}-{n}-{}", std::process::id(), Utc::now().timestamp_micros())
}

/// Follows `query`'s cursors to the end; every page's ids, in order.
pub async fn all_pages(store: &dyn ItemStore, mut query: PageQuery) -> Vec<Vec<crate::domain::InterviewId>> {
    let mut pages = Vec::new();
    for _ in 0..1000 {
        let page = store.page(&query).await.unwrap();
        assert!(page.items.len() <= query.limit, "a page never exceeds its limit");
        pages.push(page.items.iter().map(|s| s.id.clone()).collect());
        match page.next {
            Some(next) => query.after = Some(next),
            None => return pages,
        }
    }
    panic!("the cursors never ended");
}

async fn pages_follow_cursors_newest_first_within_the_projects_asked(store: &dyn ItemStore) {
    let mine = unique_project("page");
    let theirs = unique_project("page-other");
    let mut items: Vec<Interview> = (0..5).map(|i| project_item(&mine, &format!("p{i}"), 10 * i)).collect();
    // Two items written at the same instant still get an order, and both are listed once.
    items[4].updated_at = items[3].updated_at;
    for item in &items {
        store.create(item).await.unwrap();
    }
    let foreign = project_item(&theirs, "foreign", 5);
    store.create(&foreign).await.unwrap();

    let mut expected: Vec<&Interview> = items.iter().collect();
    expected.sort_by(|a, b| (b.updated_at, b.id.as_str()).cmp(&(a.updated_at, a.id.as_str())));
    let expected: Vec<_> = expected.into_iter().map(|i| i.id.clone()).collect();
    let pages = all_pages(store, PageQuery::project(&mine, 2)).await;
    assert!(pages.len() >= 3, "5 items in pages of 2: {pages:?}");
    let listed: Vec<_> = pages.concat();
    assert_eq!(
        listed, expected,
        "every item once, newest first, and nothing from another project"
    );

    let first = store.page(&PageQuery::project(&mine, 10)).await.unwrap();
    let row = &first.items[0];
    assert_eq!(
        Some(row),
        InterviewSummary::of(&items[0]).as_ref(),
        "the row is the item's summary"
    );
    assert_eq!(first.next, None, "the last page says so");

    let both = PageQuery {
        projects: vec![mine.clone(), theirs.clone()],
        ..PageQuery::project(&mine, 3)
    };
    let merged: Vec<_> = all_pages(store, both).await.concat();
    assert_eq!(merged.len(), 6, "two projects merge into one order: {merged:?}");
    assert_eq!(merged[0], items[0].id);
    assert_eq!(merged[1], foreign.id, "the other project's item sits at its time");

    let garbage = PageQuery {
        after: Some(PageCursor::after(format!("0000|{}", items[0].id))),
        ..PageQuery::project(&mine, 10)
    };
    assert!(
        store.page(&garbage).await.unwrap().items.is_empty(),
        "nothing sorts below the start of time"
    );
}

async fn page_filters_apply_before_the_cursor_moves_on(store: &dyn ItemStore) {
    let project = unique_project("filter");
    let mut ids = Vec::new();
    for (i, (status, kind)) in [
        (Status::Queued, None),
        (Status::Error, Some(ErrorKind::Input)),
        (Status::Deleted, None),
        (Status::Error, Some(ErrorKind::Provider)),
        (Status::Queued, None),
        (Status::Error, Some(ErrorKind::Input)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut item = project_item(&project, &format!("f{i}"), 100 - i as i64 * 10);
        item.status = status;
        item.error = kind.map(|kind| ItemError {
            step: Step::Transcribe,
            kind,
            message: "m".into(),
            at: item.updated_at,
            retryable: false,
            excerpt: None,
        });
        store.create(&item).await.unwrap();
        ids.push(item.id);
    }
    let newest_first = |picks: &[usize]| picks.iter().rev().map(|&i| ids[i].clone()).collect::<Vec<_>>();
    let listed = |query: PageQuery| async move { all_pages(store, query).await.concat() };

    let base = PageQuery::project(&project, 1);
    assert_eq!(
        listed(base.clone()).await,
        newest_first(&[0, 1, 3, 4, 5]),
        "deleted ones are hidden"
    );
    let deleted = PageQuery {
        status: Some(Status::Deleted),
        ..base.clone()
    };
    assert_eq!(listed(deleted).await, newest_first(&[2]));
    let input = PageQuery {
        error_kind: Some(ErrorKind::Input),
        ..base.clone()
    };
    assert_eq!(listed(input).await, newest_first(&[1, 5]));
    let failed = PageQuery {
        status: Some(Status::Error),
        step: Some(Step::Transcribe),
        ..base.clone()
    };
    assert_eq!(listed(failed).await, newest_first(&[1, 3, 5]));
    let at_extract = PageQuery {
        step: Some(Step::Extract),
        ..base.clone()
    };
    assert!(listed(at_extract).await.is_empty());
    // Items 3, 4, 5 were written 70, 60, 50 minutes ago.
    let recent = PageQuery {
        updated_since: Some(Utc::now() - Duration::minutes(75)),
        limit: 2,
        ..base.clone()
    };
    assert_eq!(listed(recent).await, newest_first(&[3, 4, 5]));
}

/// A store that can list projects names each project with an interview that is not deleted,
/// once, sorted; a store that cannot (DynamoDB, without a scan) says so with `None`.
async fn projects_name_those_with_interviews_when_the_store_can(store: &dyn ItemStore) {
    let live = unique_project("listed");
    let gone = unique_project("gone");
    for tag in ["a", "b"] {
        store.create(&project_item(&live, tag, 1)).await.unwrap();
    }
    let gone_items: Vec<Interview> = ["c", "d"].iter().map(|tag| project_item(&gone, tag, 2)).collect();
    for item in &gone_items {
        store.create(item).await.unwrap();
    }
    let Some(projects) = store.projects().await.unwrap() else {
        return;
    };
    for item in &gone_items {
        let mut next = bumped(item);
        next.status = Status::Deleted;
        store.replace(&next, &expected(item)).await.unwrap();
    }
    let after = store
        .projects()
        .await
        .unwrap()
        .expect("the store listed projects a moment ago");
    assert!(projects.contains(&live) && projects.contains(&gone), "{projects:?}");
    assert_eq!(
        after.iter().filter(|p| **p == live).count(),
        1,
        "each project once: {after:?}"
    );
    assert!(
        !after.contains(&gone),
        "a project whose interviews are all deleted is not listed: {after:?}"
    );
    let mut sorted = after.clone();
    sorted.sort();
    assert_eq!(after, sorted, "sorted");
}
