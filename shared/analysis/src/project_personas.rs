//! Persona groups of a project report: participants who raised largely the same themes.

use super::project::{Participant, PersonaGroup, ProjectTheme};
use std::collections::{BTreeMap, BTreeSet};

/// Two participants belong to one persona group when the themes they raised overlap this much
/// (Jaccard) and they share at least [`MIN_SHARED_THEMES`].
const PERSONA_OVERLAP: f32 = 0.5;
const MIN_SHARED_THEMES: usize = 2;

/// Participants joined when the themes they raised overlap enough (single linkage over
/// participant pairs, so the result does not depend on input order).
pub(crate) fn persona_groups(themes: &[ProjectTheme]) -> Vec<PersonaGroup> {
    let mut raised: BTreeMap<&Participant, BTreeSet<usize>> = BTreeMap::new();
    for (t, theme) in themes.iter().enumerate() {
        for p in &theme.participants {
            raised.entry(p).or_default().insert(t);
        }
    }
    let people: Vec<(&Participant, BTreeSet<usize>)> = raised.into_iter().collect();
    let mut parent: Vec<usize> = (0..people.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for a in 0..people.len() {
        for b in a + 1..people.len() {
            let shared = people[a].1.intersection(&people[b].1).count();
            let union = people[a].1.union(&people[b].1).count();
            if shared >= MIN_SHARED_THEMES && shared as f32 >= PERSONA_OVERLAP * union as f32 {
                let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                parent[ra.max(rb)] = ra.min(rb);
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..people.len() {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().filter(|g| g.len() >= 2).collect();
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    out.into_iter()
        .enumerate()
        .map(|(i, members)| {
            let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
            for &m in &members {
                for &t in &people[m].1 {
                    *counts.entry(t).or_insert(0) += 1;
                }
            }
            let common: Vec<usize> = counts
                .into_iter()
                .filter(|(_, n)| 2 * n >= members.len())
                .map(|(t, _)| t)
                .collect();
            PersonaGroup {
                id: format!("P{}", i + 1),
                participants: members.iter().map(|&m| people[m].0.clone()).collect(),
                theme_ids: common.iter().map(|&t| themes[t].id.clone()).collect(),
                signals: common
                    .iter()
                    .map(|&t| format!("{}: {}", themes[t].kind.as_str(), themes[t].title))
                    .collect(),
            }
        })
        .collect()
}
