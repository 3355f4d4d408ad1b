//! Themes: TF-IDF vectors over evidence quotes and their conversational context, a
//! deterministic clustering, and readable titles made from each cluster's top terms.
//!
//! Interviews of up to [`EXACT_LIMIT`] quotes are clustered exactly ([`Corpus::topics`]).
//! Beyond that the clustering is a single leader pass (each quote joins the most similar existing cluster
//! centroid if the cosine reaches the threshold, otherwise starts a new cluster) followed by one
//! reassignment pass against the frozen centroids, which undoes most order effects of the first
//! pass. Candidate clusters come from an inverted index (term → the first clusters that used
//! it, at most [`MAX_POSTINGS`] per term) and are then scored exactly, so the work is bounded
//! by quotes × terms × [`MAX_POSTINGS`] however the quotes look, never a quote × quote matrix.
//! A common term shared by thousands of singletons therefore cannot make it quadratic; the
//! price is that a quote reaches a late cluster only through a term that is not that common.

use super::extract::QuoteContext;
use super::text::{name_words, terms, tokenize, SurfaceForms, Term};
use super::Evidence;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How much a quote's context weighs against the quote's own words.
pub(crate) const CONTEXT_WEIGHT: f32 = 0.25;
/// Cosine similarity a quote needs with a cluster centroid to join it.
pub(crate) const SIMILARITY_THRESHOLD: f32 = 0.3;
/// Similarity at which two quotes are linked into one topic by [`Corpus::topics`].
pub(crate) const LINK_THRESHOLD: f32 = 0.3;
/// Mean similarity two groups need to be merged by [`Corpus::topics`].
pub(crate) const GROUP_THRESHOLD: f32 = 0.1;
/// Up to this many quotes [`Corpus::topics`] compares every pair.
const EXACT_LIMIT: usize = 300;
/// Upper bound on clusters; quotes that match none once it is reached stay unclustered.
const MAX_CLUSTERS: usize = 4000;
/// How many clusters the inverted index remembers per term (the oldest, which are the ones
/// that had the longest to grow).
const MAX_POSTINGS: usize = 64;
/// Terms considered for a title; the title shows at most [`TITLE_ELEMENTS`] of them.
const TITLE_CANDIDATES: usize = 6;
const TITLE_ELEMENTS: usize = 3;
/// Terms a title borrows from the question when the quotes share none.
const QUESTION_TITLE_TERMS: usize = 2;

/// The quotes as TF-IDF vectors, with what is needed to name clusters.
pub(crate) struct Corpus {
    /// Per evidence: (term id, weight) of the quote and its context, sorted by term id, unit
    /// length (empty: the quote has no key terms).
    vectors: Vec<Vec<(u32, f32)>>,
    /// Per evidence: the same for the quote (and its tags) alone, for titles.
    own: Vec<Vec<(u32, f32)>>,
    /// Per evidence: the key terms (ids, sorted) of the question it answers.
    questions: Vec<Vec<u32>>,
    /// Per term: how many quotes use it.
    df: Vec<u32>,
    /// Per evidence: (first token, token after, term id, lowercase surface) of the quote's key
    /// terms, for finding terms that stand next to each other.
    sequences: Vec<Vec<(usize, usize, u32, String)>>,
    /// Stem of each term id (ids are assigned in sorted stem order).
    stems: Vec<String>,
    /// How stems were spelled across the quotes.
    forms: SurfaceForms,
}

impl Corpus {
    /// Builds vectors from the quotes of the evidence, plus tag words that are not in the
    /// quote (another analyzer's tags may name the topic in other words; repeating words the
    /// quote already has would only overweight them). Speaker names are not terms.
    pub fn new(evidence: &[Evidence]) -> Corpus {
        Corpus::with_context(evidence, &vec![QuoteContext::default(); evidence.len()])
    }

    /// Like [`Corpus::new`], with each quote's conversational context (the question it
    /// answers, the other quotes of the same answer) added at [`CONTEXT_WEIGHT`]: in a short
    /// interview two quotes on one topic often share no word of their own ("Shift swaps." and
    /// "I missed that a baker was booked on two shifts" do; "it comes straight out of my
    /// margin" does not), but the question and the answer around them do. Titles come from
    /// the quotes' own words only.
    pub fn with_context(evidence: &[Evidence], contexts: &[QuoteContext]) -> Corpus {
        let names = name_words(evidence.iter().map(|e| e.speaker.as_str()));
        let mut forms = SurfaceForms::default();
        let mut per_doc: Vec<(Vec<Term>, Vec<String>, Vec<String>)> = Vec::with_capacity(evidence.len());
        let mut question_terms: Vec<Vec<String>> = Vec::with_capacity(evidence.len());
        for (i, ev) in evidence.iter().enumerate() {
            let seq = terms(&tokenize(&ev.quote), &names);
            for term in &seq {
                forms.add(&term.stem, &term.surface);
            }
            let in_quote: BTreeSet<&str> = seq.iter().map(|t| t.stem.as_str()).collect();
            let tag_terms: Vec<String> = ev
                .tags
                .iter()
                .flat_map(|tag| terms(&tokenize(tag), &names))
                .map(|t| t.stem)
                .filter(|s| !in_quote.contains(s.as_str()))
                .collect();
            let context = contexts.get(i).cloned().unwrap_or_default();
            let stems_of = |text: &str| -> Vec<Term> { terms(&tokenize(text), &names) };
            let question = stems_of(&context.question);
            for term in &question {
                forms.add(&term.stem, &term.surface);
            }
            let question: Vec<String> = question.into_iter().map(|t| t.stem).collect();
            let mut context_terms = question.clone();
            context_terms.extend(context.nearby.iter().flat_map(|q| stems_of(q)).map(|t| t.stem));
            question_terms.push(question);
            per_doc.push((seq, tag_terms, context_terms));
        }
        let vocabulary: BTreeSet<&str> = per_doc
            .iter()
            .flat_map(|(seq, tags, context)| {
                seq.iter()
                    .map(|t| t.stem.as_str())
                    .chain(tags.iter().map(String::as_str))
                    .chain(context.iter().map(String::as_str))
            })
            .collect();
        let stems: Vec<String> = vocabulary.iter().map(|s| s.to_string()).collect();
        // Ids follow the sorted vocabulary; the map itself is only looked up.
        let id_of: HashMap<&str, u32> = stems.iter().enumerate().map(|(i, s)| (s.as_str(), i as u32)).collect();

        // Document frequency counts quotes (with their tags) only, so a question that is
        // context for several quotes does not make its words look common.
        let mut own_counts: Vec<BTreeMap<u32, u32>> = Vec::with_capacity(per_doc.len());
        let mut context_counts: Vec<BTreeMap<u32, u32>> = Vec::with_capacity(per_doc.len());
        let mut df = vec![0u32; stems.len()];
        for (seq, tags, context) in &per_doc {
            let mut counts: BTreeMap<u32, u32> = BTreeMap::new();
            for s in seq.iter().map(|t| &t.stem).chain(tags.iter()) {
                if let Some(&id) = id_of.get(s.as_str()) {
                    *counts.entry(id).or_insert(0) += 1;
                }
            }
            for id in counts.keys() {
                df[*id as usize] += 1;
            }
            own_counts.push(counts);
            let mut extra: BTreeMap<u32, u32> = BTreeMap::new();
            for s in context {
                if let Some(&id) = id_of.get(s.as_str()) {
                    *extra.entry(id).or_insert(0) += 1;
                }
            }
            context_counts.push(extra);
        }
        let n = per_doc.len() as f32;
        let weigh = |id: u32, tf: u32| {
            let idf = ((n + 1.0) / (df[id as usize] as f32 + 1.0)).ln() + 1.0;
            (1.0 + (tf as f32).ln()) * idf
        };
        let unit = |mut v: Vec<(u32, f32)>| {
            let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
            if norm > 0.0 {
                v.iter_mut().for_each(|(_, w)| *w /= norm);
            }
            v
        };
        let mut vectors = Vec::with_capacity(per_doc.len());
        let mut own = Vec::with_capacity(per_doc.len());
        for (counts, extra) in own_counts.iter().zip(&context_counts) {
            let quote: Vec<(u32, f32)> = counts.iter().map(|(id, tf)| (*id, weigh(*id, *tf))).collect();
            own.push(unit(quote.clone()));
            if quote.is_empty() {
                // Context alone does not make a quote part of a topic.
                vectors.push(Vec::new());
                continue;
            }
            let mut merged: BTreeMap<u32, f32> = quote.into_iter().collect();
            for (id, tf) in extra {
                *merged.entry(*id).or_insert(0.0) += CONTEXT_WEIGHT * weigh(*id, *tf);
            }
            vectors.push(unit(merged.into_iter().collect()));
        }
        let sequences = per_doc
            .into_iter()
            .map(|(seq, _, _)| {
                seq.into_iter()
                    .filter_map(|t| id_of.get(t.stem.as_str()).map(|id| (t.start, t.end, *id, t.surface)))
                    .collect()
            })
            .collect();
        let questions = question_terms
            .iter()
            .map(|q| {
                let mut ids: Vec<u32> = q.iter().filter_map(|s| id_of.get(s.as_str()).copied()).collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            })
            .collect();
        Corpus {
            df,
            vectors,
            own,
            questions,
            sequences,
            stems,
            forms,
        }
    }

    /// Cosine similarity of two quotes with their context.
    pub fn similarity(&self, a: usize, b: usize) -> f32 {
        dot(&self.vectors[a], &self.vectors[b])
    }

    /// Groups quotes into topics. Up to [`EXACT_LIMIT`] quotes with key terms, every pair is
    /// compared and groups are merged agglomeratively, the most strongly linked pair first:
    /// two groups join when some quote of one is at least [`LINK_THRESHOLD`] alike to some
    /// quote of the other (an answer's quotes hang together through their shared context;
    /// answers far apart join when quotes share key terms, which is how a topic recurs in a
    /// short interview) and the groups are on average at least [`GROUP_THRESHOLD`] alike, so
    /// one common word cannot chain every topic into one. Beyond the limit, the bounded
    /// leader pass of [`Corpus::cluster`]. Same shape of result as [`Corpus::cluster`].
    pub fn topics(&self) -> Vec<Vec<usize>> {
        let with_terms: Vec<usize> = (0..self.vectors.len())
            .filter(|&i| !self.vectors[i].is_empty())
            .collect();
        if with_terms.len() > EXACT_LIMIT {
            return self.cluster(SIMILARITY_THRESHOLD);
        }
        let n = with_terms.len();
        // Between live groups (merged into the lower index): strongest link and mean similarity.
        let mut link = vec![vec![0f32; n]; n];
        let mut mean = vec![vec![0f32; n]; n];
        for a in 0..n {
            for b in a + 1..n {
                let s = self.similarity(with_terms[a], with_terms[b]);
                link[a][b] = s;
                link[b][a] = s;
                mean[a][b] = s;
                mean[b][a] = s;
            }
        }
        let mut members: Vec<Vec<usize>> = with_terms.iter().map(|&i| vec![i]).collect();
        let mut live = vec![true; n];
        loop {
            let mut best: Option<(usize, usize)> = None;
            for a in (0..n).filter(|&a| live[a]) {
                for b in (a + 1..n).filter(|&b| live[b]) {
                    if link[a][b] >= LINK_THRESHOLD
                        && mean[a][b] >= GROUP_THRESHOLD
                        && best.is_none_or(|(x, y)| link[a][b] > link[x][y])
                    {
                        best = Some((a, b));
                    }
                }
            }
            let Some((a, b)) = best else {
                break;
            };
            let (wa, wb) = (members[a].len() as f32, members[b].len() as f32);
            for c in (0..n).filter(|&c| live[c] && c != a && c != b) {
                let l = link[a][c].max(link[b][c]);
                let m = (wa * mean[a][c] + wb * mean[b][c]) / (wa + wb);
                link[a][c] = l;
                link[c][a] = l;
                mean[a][c] = m;
                mean[c][a] = m;
            }
            live[b] = false;
            let moved = std::mem::take(&mut members[b]);
            members[a].extend(moved);
            members[a].sort_unstable();
        }
        let mut out: Vec<Vec<usize>> = members
            .into_iter()
            .zip(live)
            .filter(|(_, l)| *l)
            .map(|(m, _)| m)
            .collect();
        out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
        out
    }

    /// Groups quotes into clusters (lists of evidence indexes in transcript order), largest
    /// first; ties keep the cluster whose first quote came first. Quotes without key terms
    /// belong to no cluster.
    pub fn cluster(&self, threshold: f32) -> Vec<Vec<usize>> {
        let mut first = Clusters::new(self.stems.len());
        let mut placed: Vec<Option<usize>> = vec![None; self.vectors.len()];
        for (i, v) in self.vectors.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            match first.best(v, None) {
                Some((c, sim)) if sim >= threshold => {
                    first.add(c, v);
                    placed[i] = Some(c);
                }
                _ if first.len() < MAX_CLUSTERS => {
                    let c = first.open();
                    first.add(c, v);
                    placed[i] = Some(c);
                }
                _ => {}
            }
        }
        // Reassign every quote to its best centroid as the first pass left them (its own
        // cluster is always a candidate, even if the index no longer lists it).
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        let mut homeless = Vec::new();
        for (i, v) in self.vectors.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            match first.best(v, placed[i]) {
                Some((c, sim)) if sim >= threshold => groups.entry(c).or_default().push(i),
                _ => homeless.push(i),
            }
        }
        let mut out: Vec<Vec<usize>> = groups.into_values().collect();
        out.extend(homeless.into_iter().map(|i| vec![i]));
        out.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
        out
    }

    /// A readable title from a cluster's most shared terms; adjacent pairs that recur
    /// ("shift swaps") are kept together as a phrase. Returns the elements, best first.
    pub fn title_terms(&self, members: &[usize]) -> Vec<String> {
        // Per term: (quotes containing it, summed weight).
        let mut stats: BTreeMap<u32, (usize, f32)> = BTreeMap::new();
        for &m in members {
            for (id, w) in &self.own[m] {
                let e = stats.entry(*id).or_insert((0, 0.0));
                e.0 += 1;
                e.1 += w;
            }
        }
        let mut ranked: Vec<(u32, usize, f32)> = stats.into_iter().map(|(id, (n, w))| (id, n, w)).collect();
        ranked.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then(b.2.total_cmp(&a.2))
                .then(self.stems[a.0 as usize].cmp(&self.stems[b.0 as usize]))
        });
        // In a real cluster, a term only one quote uses does not describe the cluster.
        let shared = if members.len() > 1 { 2 } else { 1 };
        let mut top: Vec<u32> = ranked
            .iter()
            .filter(|r| r.1 >= shared)
            .take(TITLE_CANDIDATES)
            .map(|r| r.0)
            .collect();
        if top.is_empty() {
            // The quotes share no word, but the question they answer names the topic ("How
            // do you think about price?"): its terms that most members answered, rarest first.
            let mut asked: BTreeMap<u32, usize> = BTreeMap::new();
            for &m in members {
                for id in &self.questions[m] {
                    *asked.entry(*id).or_insert(0) += 1;
                }
            }
            let mut asked: Vec<(u32, usize)> = asked.into_iter().filter(|(_, n)| 2 * n > members.len()).collect();
            asked.sort_by(|a, b| b.1.cmp(&a.1).then(self.df_rank(a.0).cmp(&self.df_rank(b.0))));
            top.extend(asked.iter().take(QUESTION_TITLE_TERMS).map(|(id, _)| *id));
        }
        if top.is_empty() {
            top.extend(ranked.first().map(|r| r.0));
        }

        // Adjacent pairs among the top terms in either order ("shift swaps", "swap shifts"),
        // with how they were spelled.
        let mut pairs: BTreeMap<(u32, u32), BTreeMap<String, usize>> = BTreeMap::new();
        for &m in members {
            let mut seen = BTreeSet::new();
            for w in self.sequences[m].windows(2) {
                let (a, b) = (&w[0], &w[1]);
                let key = (a.2.min(b.2), a.2.max(b.2));
                if b.0 == a.1 && a.2 != b.2 && top.contains(&a.2) && top.contains(&b.2) && seen.insert(key) {
                    *pairs
                        .entry(key)
                        .or_default()
                        .entry(format!("{} {}", a.3, b.3))
                        .or_insert(0) += 1;
                }
            }
        }
        let min_pair = 2.max(members.len().div_ceil(3));
        let mut used = BTreeSet::new();
        let mut elements = Vec::new();
        for &id in &top {
            if elements.len() == TITLE_ELEMENTS {
                break;
            }
            if used.contains(&id) {
                continue;
            }
            let phrase = pairs
                .iter()
                .filter(|((a, b), _)| (*a == id || *b == id) && !used.contains(a) && !used.contains(b))
                .map(|(key, spellings)| (key, spellings.values().sum::<usize>(), spellings))
                .filter(|(_, n, _)| *n >= min_pair)
                .max_by(|x, y| x.1.cmp(&y.1).then(y.0.cmp(x.0)));
            match phrase {
                Some(((a, b), _, spellings)) => {
                    used.insert(*a);
                    used.insert(*b);
                    let spelling = spellings
                        .iter()
                        .max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0)))
                        .map(|(s, _)| s.clone())
                        .unwrap_or_default();
                    elements.push(spelling);
                }
                None => {
                    used.insert(id);
                    elements.push(self.forms.surface(&self.stems[id as usize]));
                }
            }
        }
        elements
    }

    /// Sort key for "rarest term first", ties by stem so the order is deterministic.
    fn df_rank(&self, id: u32) -> (u32, &str) {
        (self.df[id as usize], self.stems[id as usize].as_str())
    }

    /// How many key terms two quotes have in common.
    pub fn shared_terms(&self, a: usize, b: usize) -> usize {
        let (Some(va), Some(vb)) = (self.own.get(a), self.own.get(b)) else {
            return 0;
        };
        va.iter()
            .filter(|(t, _)| vb.binary_search_by_key(t, |e| e.0).is_ok())
            .count()
    }

    /// Whether a quote has any key term at all.
    #[cfg(test)]
    pub fn has_terms(&self, i: usize) -> bool {
        self.vectors.get(i).is_some_and(|v| !v.is_empty())
    }
}

/// Dot product of two sparse vectors sorted by term id.
fn dot(va: &[(u32, f32)], vb: &[(u32, f32)]) -> f32 {
    let mut i = 0;
    let mut j = 0;
    let mut sum = 0.0;
    while i < va.len() && j < vb.len() {
        match va[i].0.cmp(&vb[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += va[i].1 * vb[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

/// Joins title elements as "A", "A & B" or "A, B & C", with a capital first letter.
pub(crate) fn join_title(elements: &[String]) -> String {
    let joined = match elements {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} & {}", init.join(", "), last),
    };
    let mut chars = joined.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => joined,
    }
}

/// Cluster accumulators with a capped inverted index from term to clusters.
struct Clusters {
    /// Per cluster: the sum of its members' vectors.
    sums: Vec<HashMap<u32, f32>>,
    /// Per cluster: the squared length of that sum.
    norms2: Vec<f32>,
    /// Per term: up to [`MAX_POSTINGS`] clusters whose sum has it.
    postings: Vec<Vec<usize>>,
    /// Scratch: whether a cluster is already a candidate.
    seen: Vec<bool>,
}

impl Clusters {
    fn new(terms: usize) -> Self {
        Clusters {
            sums: Vec::new(),
            norms2: Vec::new(),
            postings: vec![Vec::new(); terms],
            seen: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.sums.len()
    }

    fn open(&mut self) -> usize {
        self.sums.push(HashMap::new());
        self.norms2.push(0.0);
        self.seen.push(false);
        self.sums.len() - 1
    }

    fn add(&mut self, c: usize, v: &[(u32, f32)]) {
        for (t, w) in v {
            let old = match self.sums[c].get(t) {
                Some(old) => *old,
                None => {
                    let list = &mut self.postings[*t as usize];
                    if list.len() < MAX_POSTINGS {
                        list.push(c);
                    }
                    0.0
                }
            };
            self.sums[c].insert(*t, old + w);
            self.norms2[c] += (old + w) * (old + w) - old * old;
        }
    }

    /// The most similar cluster centroid and its cosine among the candidates the index gives
    /// (plus `own`); ties go to the older cluster.
    fn best(&mut self, v: &[(u32, f32)], own: Option<usize>) -> Option<(usize, f32)> {
        let mut candidates = Vec::new();
        for c in v
            .iter()
            .flat_map(|(t, _)| self.postings[*t as usize].iter().copied())
            .chain(own)
        {
            if !self.seen[c] {
                self.seen[c] = true;
                candidates.push(c);
            }
        }
        let mut best: Option<(usize, f32)> = None;
        for &c in &candidates {
            self.seen[c] = false;
            let sum = &self.sums[c];
            let dot: f32 = v.iter().map(|(t, w)| w * sum.get(t).copied().unwrap_or(0.0)).sum();
            let sim = dot / self.norms2[c].max(f32::MIN_POSITIVE).sqrt();
            if best.is_none_or(|(bc, bs)| sim > bs || (sim == bs && c < bc)) {
                best = Some((c, sim));
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EvidenceKind;

    fn ev(i: usize, quote: &str) -> Evidence {
        Evidence {
            id: format!("E{}", i + 1),
            quote: quote.to_string(),
            speaker: "Maria".into(),
            start: 0.0,
            end: 1.0,
            kind: EvidenceKind::Pain,
            confidence: 0.5,
            tags: Vec::new(),
        }
    }

    fn corpus(quotes: &[&str]) -> Corpus {
        let evidence: Vec<Evidence> = quotes.iter().enumerate().map(|(i, q)| ev(i, q)).collect();
        Corpus::new(&evidence)
    }

    const QUOTES: &[&str] = &[
        "Shift swaps by text take forever.",
        "The payroll export is a nightmare every month.",
        "Nobody knows who agreed to which shift swaps.",
        "Payroll export errors cost us money.",
        "I love the calendar colours.",
        "Shift swaps should need my approval.",
    ];

    #[test]
    fn similar_quotes_cluster_and_unrelated_ones_do_not() {
        let c = corpus(QUOTES);
        assert!(c.similarity(0, 2) > c.similarity(0, 1));
        let clusters = c.cluster(SIMILARITY_THRESHOLD);
        assert_eq!(clusters[0], vec![0, 2, 5]);
        assert_eq!(clusters[1], vec![1, 3]);
        assert_eq!(clusters[2], vec![4]);
    }

    #[test]
    fn shared_terms_counts_common_key_terms() {
        let c = corpus(QUOTES);
        assert_eq!(c.shared_terms(1, 3), 2); // payroll, export
        assert_eq!(c.shared_terms(0, 1), 0);
        assert_eq!(c.shared_terms(0, 99), 0);
    }

    #[test]
    fn clustering_is_deterministic() {
        let a = corpus(QUOTES).cluster(SIMILARITY_THRESHOLD);
        let b = corpus(QUOTES).cluster(SIMILARITY_THRESHOLD);
        assert_eq!(a, b);
    }

    #[test]
    fn titles_keep_recurring_phrases_together() {
        let c = corpus(QUOTES);
        let terms = c.title_terms(&[0, 2, 5]);
        assert_eq!(terms[0], "shift swaps");
        assert_eq!(join_title(&terms[..1]), "Shift swaps");
        assert_eq!(join_title(&c.title_terms(&[1, 3])), "Payroll export");
    }

    #[test]
    fn titles_join_readably() {
        let t = |v: &[&str]| join_title(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(t(&[]), "");
        assert_eq!(t(&["pricing"]), "Pricing");
        assert_eq!(t(&["shift swaps", "texts"]), "Shift swaps & texts");
        assert_eq!(t(&["a", "b", "c"]), "A, b & c");
    }

    #[test]
    fn a_term_shared_by_many_singletons_does_not_hide_a_real_cluster() {
        // 200 unrelated quotes share "setup"; two late quotes about payroll must still meet.
        let mut quotes: Vec<String> = (0..200)
            .map(|i| {
                format!(
                    "The setup for widget{} gizmo{} gadget{} is slow.",
                    to_letters(i),
                    to_letters(i + 500),
                    to_letters(i + 900)
                )
            })
            .collect();
        quotes.push("Payroll exports during setup break.".into());
        quotes.push("Payroll exports break every month.".into());
        let refs: Vec<&str> = quotes.iter().map(String::as_str).collect();
        let clusters = corpus(&refs).cluster(SIMILARITY_THRESHOLD);
        assert!(clusters.iter().any(|g| g == &vec![200, 201]), "{:?}", &clusters[..3]);
    }

    /// Distinct letter-only words (numbers are not key terms).
    fn to_letters(mut n: usize) -> String {
        let mut s = String::from("x");
        loop {
            s.push((b'a' + (n % 26) as u8) as char);
            n /= 26;
            if n == 0 {
                return s;
            }
        }
    }

    #[test]
    fn quotes_without_terms_are_not_clustered() {
        let c = corpus(&[
            "It is what it is.",
            "Shift swaps take forever.",
            "Shift swaps are awful.",
        ]);
        assert!(!c.has_terms(0));
        let clusters = c.cluster(SIMILARITY_THRESHOLD);
        assert!(clusters.iter().all(|g| !g.contains(&0)));
        assert_eq!(clusters[0], vec![1, 2]);
    }
}
