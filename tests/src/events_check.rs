//! The events invariant: the events a backend delivered, after de-duplication by
//! (`id`, `version`), are exactly the item's stored versions that changed status, step or
//! progress — none missing, none extra, none out of order — each describing that version.

use crate::invariants::Report;
use interview_core::domain::Interview;
use interview_core::events::{changes_status, InterviewStatusChanged};
use std::collections::{BTreeMap, HashSet};

/// Checks `delivered` (in delivery order, duplicates allowed) against `stored` (every
/// successful item write, in write order). Returns how many distinct events it checked.
pub fn check_events(stored: &[Interview], delivered: &[InterviewStatusChanged], report: &mut Report) -> usize {
    let mut expected: BTreeMap<String, Vec<InterviewStatusChanged>> = BTreeMap::new();
    let mut previous: BTreeMap<String, Interview> = BTreeMap::new();
    for item in stored {
        let id = item.id.to_string();
        let before = previous.get(&id);
        if let Some(before) = before {
            report.expect(item.version == before.version + 1, || {
                format!(
                    "{id}: the journal skips from version {} to {}: a write bypassed the store wrapper",
                    before.version, item.version
                )
            });
        }
        if changes_status(before, item) {
            expected
                .entry(id.clone())
                .or_default()
                .push(InterviewStatusChanged::of(item));
        }
        previous.insert(id, item.clone());
    }

    let mut seen = HashSet::new();
    let mut got: BTreeMap<String, Vec<InterviewStatusChanged>> = BTreeMap::new();
    for event in delivered {
        if seen.insert((event.id.to_string(), event.version)) {
            got.entry(event.id.to_string()).or_default().push(event.clone());
        }
    }

    let ids: HashSet<&String> = expected.keys().chain(got.keys()).collect();
    let mut checked = 0;
    for id in ids {
        let want = expected.get(id).map(Vec::as_slice).unwrap_or_default();
        let have = got.get(id).map(Vec::as_slice).unwrap_or_default();
        let versions = |events: &[InterviewStatusChanged]| events.iter().map(|e| e.version).collect::<Vec<_>>();
        if report.expect(versions(want) == versions(have), || {
            format!(
                "{id}: events for versions {:?}, but the status/step/progress changes were versions {:?}",
                versions(have),
                versions(want)
            )
        }) {
            for (w, h) in want.iter().zip(have) {
                report.expect(w == h, || {
                    format!("{id} v{}: event {h:?} does not describe {w:?}", w.version)
                });
            }
        }
        checked += have.len();
    }
    checked
}

#[cfg(test)]
mod tests {
    use super::*;
    use interview_core::domain::{Source, SourceKind, Status, Step};

    fn item() -> Interview {
        Interview::new_queued(
            Source {
                bucket: "local".into(),
                key: "uploads/p/a.vtt".into(),
                etag: "e".into(),
                size: 1,
                content_type: None,
                kind: SourceKind::Transcript,
                sequencer: None,
            },
            chrono::Utc::now(),
        )
    }

    fn next(item: &Interview, change: impl FnOnce(&mut Interview)) -> Interview {
        let mut next = item.clone();
        next.version += 1;
        change(&mut next);
        next
    }

    #[test]
    fn the_check_catches_a_gap_an_extra_a_reordering_and_a_wrong_body() {
        let v1 = item();
        let v2 = next(&v1, |i| i.status = Status::Processing);
        let v3 = next(&v2, |i| i.note = Some("heartbeat".into()));
        let v4 = next(&v3, |i| i.step = Step::Extract);
        let stored = [v1.clone(), v2.clone(), v3.clone(), v4.clone()];
        let ev = |i: &Interview| InterviewStatusChanged::of(i);

        let mut clean = Report::new();
        assert_eq!(
            check_events(&stored, &[ev(&v1), ev(&v2), ev(&v2), ev(&v4)], &mut clean),
            3
        );
        assert!(clean.is_clean());

        for delivered in [
            vec![ev(&v1), ev(&v4)],
            vec![ev(&v1), ev(&v2), ev(&v3), ev(&v4)],
            vec![ev(&v1), ev(&v4), ev(&v2)],
            vec![ev(&v1), ev(&v2), ev(&next(&v3, |i| i.step = Step::Analyze))],
        ] {
            let mut report = Report::new();
            check_events(&stored, &delivered, &mut report);
            assert!(!report.is_clean(), "{delivered:?}");
        }
    }
}
