//! Listing one page of a project's interviews, newest first, through an index.
//!
//! Both stores order a project's items by one string key, [`list_key`] (`<updated_at>|<id>`):
//! the time sorts them newest first and the id makes every key unique, so a page can end
//! anywhere and the next one starts strictly after it. The cursor is that key, nothing else:
//! a page reads only what it returns (plus, on DynamoDB, items a filter dropped), never the table.

use crate::domain::{Counts, ErrorKind, Interview, InterviewId, Status, Step};
use crate::ports::sortable_time;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most items one page may ask for.
pub const MAX_PAGE_LIMIT: usize = 200;

/// Separates the time from the id in a [`list_key`]; sorts below every id character.
const KEY_SEPARATOR: char = '|';

/// The sort key of an item within its project: `<sortable updated_at>|<id>`.
pub fn list_key(item: &Interview) -> String {
    format!("{}{KEY_SEPARATOR}{}", sortable_time(item.updated_at), item.id)
}

/// Where the previous page ended: the [`list_key`] of the last position it covered. The next
/// page holds only items whose key sorts strictly below it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PageCursor(String);

/// A cursor that is not one this service issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not one this API issued; start again without it")]
pub struct BadCursor;

impl PageCursor {
    /// The cursor right after `key` (a [`list_key`]).
    pub fn after(key: String) -> Self {
        Self(key)
    }

    /// The key the next page starts below.
    pub fn key(&self) -> &str {
        &self.0
    }

    /// The `updated_at` and id halves of the key.
    pub fn parts(&self) -> (&str, &str) {
        self.0.split_once(KEY_SEPARATOR).unwrap_or((&self.0, ""))
    }

    /// The opaque form handed to clients (hex, so it survives any URL unescaped).
    pub fn encode(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// Reads a client's cursor back, refusing anything that is not `<time>|<interview id>`.
    pub fn decode(text: &str) -> Result<Self, BadCursor> {
        if text.len() > 256 {
            return Err(BadCursor);
        }
        let bytes = hex::decode(text).map_err(|_| BadCursor)?;
        let key = String::from_utf8(bytes).map_err(|_| BadCursor)?;
        let (time, id) = key.split_once(KEY_SEPARATOR).ok_or(BadCursor)?;
        DateTime::parse_from_rfc3339(time).map_err(|_| BadCursor)?;
        InterviewId::parse(id).map_err(|_| BadCursor)?;
        Ok(Self(key))
    }
}

/// One page request: which projects, which items, and where to continue.
#[derive(Debug, Clone, PartialEq)]
pub struct PageQuery {
    /// The projects to list (at least one); items of any other project are never read.
    pub projects: Vec<String>,
    /// Only items with this status; without it deleted interviews are left out.
    pub status: Option<Status>,
    /// Only items at this step.
    pub step: Option<Step>,
    /// Only failed items whose error has this kind.
    pub error_kind: Option<ErrorKind>,
    /// Only items written at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// At most this many items (1..=[`MAX_PAGE_LIMIT`]).
    pub limit: usize,
    /// Continue after the page that returned this cursor.
    pub after: Option<PageCursor>,
}

impl PageQuery {
    /// The first page of `project`, with no filter.
    pub fn project(project: &str, limit: usize) -> Self {
        Self {
            projects: vec![project.to_string()],
            status: None,
            step: None,
            error_kind: None,
            updated_since: None,
            limit,
            after: None,
        }
    }

    /// The limit actually applied: at least 1, at most [`MAX_PAGE_LIMIT`].
    pub fn bounded_limit(&self) -> usize {
        self.limit.clamp(1, MAX_PAGE_LIMIT)
    }

    /// Whether `summary` passes the filters (stores that cannot filter in the index use it).
    pub fn admits(&self, summary: &InterviewSummary) -> bool {
        let status_ok = match self.status {
            Some(status) => summary.status == status,
            None => summary.status != Status::Deleted,
        };
        status_ok
            && self.step.is_none_or(|step| summary.step == step)
            && self.error_kind.is_none_or(|kind| summary.error_kind == Some(kind))
            && self.updated_since.is_none_or(|since| summary.updated_at >= since)
    }
}

/// What a list shows of an interview: enough for a row, nothing that needs the whole item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterviewSummary {
    /// The interview.
    pub id: InterviewId,
    /// The project folder it was uploaded to.
    pub project: String,
    /// The uploaded file's name.
    pub file_name: String,
    /// queued, processing, ready, error or deleted.
    pub status: Status,
    /// The step the current run is at.
    pub step: Step,
    /// 0–100.
    pub progress: u8,
    /// The kind of the error, when the interview failed.
    #[serde(default)]
    pub error_kind: Option<ErrorKind>,
    /// When the interview was first uploaded.
    pub created_at: DateTime<Utc>,
    /// The item's last write.
    pub updated_at: DateTime<Utc>,
    /// Headline numbers.
    #[serde(default)]
    pub counts: Counts,
}

impl InterviewSummary {
    /// The summary of an item that belongs to a project (`None` for an upload outside `uploads/<project>/`).
    pub fn of(item: &Interview) -> Option<Self> {
        Some(Self {
            id: item.id.clone(),
            project: item.source.project()?.to_string(),
            file_name: item.source.file_name().to_string(),
            status: item.status,
            step: item.step,
            progress: item.progress,
            error_kind: item.error.as_ref().map(|e| e.kind),
            created_at: item.created_at,
            updated_at: item.updated_at,
            counts: item.counts.clone(),
        })
    }

    /// Its sort key within the project, the same as the item's [`list_key`].
    pub fn list_key(&self) -> String {
        format!("{}{KEY_SEPARATOR}{}", sortable_time(self.updated_at), self.id)
    }
}

/// One page: items newest first, and the cursor of the next page if there may be more.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    /// At most the query's limit. A page may hold fewer items than the limit and still have a
    /// next one (a filter dropped what the index read): follow `next` until it is `None`.
    pub items: Vec<InterviewSummary>,
    /// Where the next page starts, `None` when nothing is left.
    pub next: Option<PageCursor>,
}

/// Merges per-project pages into one. `parts` holds, for each project, the items it returned
/// (newest first) and the key its read stopped at when more may follow.
///
/// A project's stop key is the last item its read examined, so the next page reads strictly
/// below it. The next cursor is the highest stop among projects with more to read; items of
/// other projects below it are read again by the next page, so they are left out of this one
/// rather than returned twice, and at most `limit` go out.
pub fn merge_pages(parts: Vec<(Vec<InterviewSummary>, Option<String>)>, limit: usize) -> Page {
    let frontier = parts.iter().filter_map(|(_, stop)| stop.clone()).max();
    let mut items: Vec<(String, InterviewSummary)> = parts
        .into_iter()
        .flat_map(|(items, _)| items)
        .map(|s| (s.list_key(), s))
        .filter(|(key, _)| frontier.as_ref().is_none_or(|f| key >= f))
        .collect();
    items.sort_by(|a, b| b.0.cmp(&a.0));
    let mut next = frontier.map(PageCursor::after);
    if items.len() > limit {
        items.truncate(limit);
        next = items.last().map(|(key, _)| PageCursor::after(key.clone()));
    }
    Page {
        items: items.into_iter().map(|(_, s)| s).collect(),
        next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Source, SourceKind};

    fn summary(project: &str, n: u32) -> InterviewSummary {
        let source = Source {
            bucket: "b".into(),
            key: format!("uploads/{project}/f{n}.vtt"),
            etag: "e".into(),
            size: 1,
            content_type: None,
            kind: SourceKind::Transcript,
            sequencer: None,
        };
        let mut item = Interview::new_queued(source, Utc::now());
        item.updated_at = DateTime::from_timestamp(1_700_000_000 + i64::from(n), 0).unwrap();
        InterviewSummary::of(&item).unwrap()
    }

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let s = summary("p", 1);
        let cursor = PageCursor::after(s.list_key());
        assert_eq!(PageCursor::decode(&cursor.encode()).unwrap(), cursor);
        assert_eq!(cursor.parts().1, s.id.as_str());
        for bad in [
            "",
            "zz",
            &hex::encode("2026-01-01T00:00:00Z|nope"),
            &hex::encode("x|y"),
            &"a".repeat(300),
        ] {
            assert_eq!(PageCursor::decode(bad), Err(BadCursor), "{bad}");
        }
    }

    #[test]
    fn merging_never_skips_or_repeats_an_item() {
        // Project a has items 10..1 (two read: 10, 9, more left below 9); project b has 8..7
        // (read to the end). The page may only hold items down to a's stop (9): 8 and 7 come
        // with the next page, which reads below 9 in both projects.
        let a = vec![summary("a", 10), summary("a", 9)];
        let b = vec![summary("b", 8), summary("b", 7)];
        let stop_a = a[1].list_key();
        let page = merge_pages(vec![(a.clone(), Some(stop_a.clone())), (b, None)], 5);
        let ids: Vec<_> = page.items.iter().map(|s| s.id.clone()).collect();
        assert_eq!(ids, vec![a[0].id.clone(), a[1].id.clone()]);
        assert_eq!(page.next, Some(PageCursor::after(stop_a)));

        let page = merge_pages(vec![(vec![summary("a", 3), summary("a", 2)], None)], 1);
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.next, Some(PageCursor::after(page.items[0].list_key())));
        assert_eq!(merge_pages(vec![(vec![], None)], 3), Page::default());
    }
}
