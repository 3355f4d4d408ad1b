//! Clustering of dense sentence embeddings: exact average-linkage for interview-sized inputs,
//! a bounded centroid pass for project-sized ones.
//!
//! Average linkage (merge the two groups whose quotes are most alike on average) is used rather
//! than single linkage, because with embeddings everything is somewhat alike and single links
//! chain unrelated topics together through one ambiguous quote.

use super::embed::dot;

/// Mean cosine two groups of quotes need to be merged. Chosen on the labelled project
/// (`tests/fixtures/project`, BENCHMARKS.md): ARI of evidence assignment 0.30 at 0.25 (topics
/// start to merge: precision 0.58), 0.42 at 0.3, 0.35 at 0.35, 0.34 at 0.4, 0.26 at 0.45
/// (paraphrases stay apart). Tuned on the same eight interviews it is scored on, so treat
/// it as a good starting point, not a proven optimum.
pub(crate) const MERGE_THRESHOLD: f32 = 0.3;
/// Up to this many vectors every pair is compared (about 400² / 2 dot products plus at most
/// 400 merge scans of 400² cells: well under a second).
const EXACT_LIMIT: usize = 400;
/// Beyond [`EXACT_LIMIT`], at most this many clusters are kept, which bounds the work to
/// vectors × clusters dot products; quotes that fit none once it is reached stay unclustered.
const MAX_CLUSTERS: usize = 512;

/// Groups unit vectors into topics: lists of indexes in input order, largest first, ties by
/// first index. Empty vectors (texts that could not be embedded) belong to no group.
pub(crate) fn topics(vectors: &[Vec<f32>], threshold: f32) -> Vec<Vec<usize>> {
    let usable: Vec<usize> = (0..vectors.len()).filter(|&i| !vectors[i].is_empty()).collect();
    let mut out = if usable.len() > EXACT_LIMIT {
        centroid_pass(vectors, &usable, threshold)
    } else {
        average_linkage(vectors, &usable, threshold)
    };
    out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    out
}

fn average_linkage(vectors: &[Vec<f32>], usable: &[usize], threshold: f32) -> Vec<Vec<usize>> {
    let n = usable.len();
    let mut mean = vec![vec![0f32; n]; n];
    for a in 0..n {
        for b in a + 1..n {
            let s = dot(&vectors[usable[a]], &vectors[usable[b]]);
            mean[a][b] = s;
            mean[b][a] = s;
        }
    }
    let mut members: Vec<Vec<usize>> = usable.iter().map(|&i| vec![i]).collect();
    let mut live = vec![true; n];
    loop {
        let mut best: Option<(usize, usize)> = None;
        for a in (0..n).filter(|&a| live[a]) {
            for b in (a + 1..n).filter(|&b| live[b]) {
                if mean[a][b] >= threshold && best.is_none_or(|(x, y)| mean[a][b] > mean[x][y]) {
                    best = Some((a, b));
                }
            }
        }
        let Some((a, b)) = best else {
            break;
        };
        let (wa, wb) = (members[a].len() as f32, members[b].len() as f32);
        for c in (0..n).filter(|&c| live[c] && c != a && c != b) {
            let m = (wa * mean[a][c] + wb * mean[b][c]) / (wa + wb);
            mean[a][c] = m;
            mean[c][a] = m;
        }
        live[b] = false;
        let moved = std::mem::take(&mut members[b]);
        members[a].extend(moved);
        members[a].sort_unstable();
    }
    members
        .into_iter()
        .zip(live)
        .filter(|(_, l)| *l)
        .map(|(m, _)| m)
        .collect()
}

/// One leader pass (join the closest centroid at or above the threshold, else open a cluster)
/// and one reassignment pass against the frozen centroids, which undoes most order effects.
fn centroid_pass(vectors: &[Vec<f32>], usable: &[usize], threshold: f32) -> Vec<Vec<usize>> {
    let dim = vectors[usable[0]].len();
    let mut sums: Vec<Vec<f32>> = Vec::new();
    let best = |sums: &[Vec<f32>], v: &[f32]| -> Option<(usize, f32)> {
        let mut best: Option<(usize, f32)> = None;
        for (c, sum) in sums.iter().enumerate() {
            let norm = dot(sum, sum).sqrt().max(f32::MIN_POSITIVE);
            let sim = dot(v, sum) / norm;
            if best.is_none_or(|(_, s)| sim > s) {
                best = Some((c, sim));
            }
        }
        best
    };
    for &i in usable {
        let v = &vectors[i];
        if v.len() != dim {
            continue;
        }
        match best(&sums, v) {
            Some((c, sim)) if sim >= threshold => sums[c].iter_mut().zip(v).for_each(|(s, x)| *s += x),
            _ if sums.len() < MAX_CLUSTERS => sums.push(v.clone()),
            _ => {}
        }
    }
    let mut groups: Vec<Vec<usize>> = vec![Vec::new(); sums.len()];
    let mut homeless = Vec::new();
    for &i in usable {
        let v = &vectors[i];
        match best(&sums, v) {
            Some((c, sim)) if v.len() == dim && sim >= threshold => groups[c].push(i),
            _ => homeless.push(i),
        }
    }
    let mut out: Vec<Vec<usize>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
    out.extend(homeless.into_iter().map(|i| vec![i]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = dot(v, v).sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn close_vectors_group_and_far_ones_do_not() {
        let vs = vec![
            unit(&[1.0, 0.1, 0.0]),
            unit(&[0.0, 1.0, 0.0]),
            unit(&[0.9, 0.2, 0.1]),
            unit(&[0.0, 0.9, 0.2]),
            unit(&[0.0, 0.0, 1.0]),
            Vec::new(),
        ];
        assert_eq!(topics(&vs, 0.8), vec![vec![0, 2], vec![1, 3], vec![4]]);
    }

    #[test]
    fn the_bounded_pass_finds_the_same_groups_on_large_inputs() {
        // 3 directions × 200 noisy copies: more than EXACT_LIMIT, so the centroid pass runs.
        let dirs = [[1.0f32, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let vs: Vec<Vec<f32>> = (0..600)
            .map(|i| {
                let mut v = dirs[i % 3];
                v[(i + 1) % 3] += (i % 7) as f32 * 0.02;
                unit(&v)
            })
            .collect();
        let groups = topics(&vs, 0.8);
        assert_eq!(groups.len(), 3);
        assert!(groups
            .iter()
            .all(|g| g.len() == 200 && g.iter().all(|&i| i % 3 == g[0] % 3)));
    }
}
