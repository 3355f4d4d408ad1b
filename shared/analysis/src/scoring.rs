//! Scoring theme finding against a labelled project: interviews with themes planted in known
//! participants, in different words each time (`shared/analysis/tests/fixtures/project/`, described in
//! its `labels.json`). Used by the scorer test and the `bench` crate's synthesis section.
//!
//! Per planted theme, the report theme that covers most of its participants is its match;
//! recall is the share of the planted participants that match names, precision the share of the
//! match's participants who really raised it. The adjusted Rand index compares the assignment
//! of every evidence item to themes (planted: by the labelled line it came from; found: by
//! the report theme that lists it), with each unlabelled or unassigned item on its own.

use super::{build_project_report, Embedder, EvidenceDoc, InterviewEvidence, LocalAnalyzer, ProjectReport};
use crate::transcript::{parse_transcript, Transcript};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// Why a labelled project could not be loaded (a broken fixture: fix the files, do not retry).
#[derive(Debug, thiserror::Error)]
pub enum ScoringError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// labels.json is not the expected shape.
    #[error("labels.json: {0}")]
    Labels(#[from] serde_json::Error),
    /// A transcript did not parse.
    #[error("{file}: {message}")]
    Transcript {
        /// The file.
        file: String,
        /// The parser's message.
        message: String,
    },
    /// A label points at a line that does not exist or is not the participant's.
    #[error("labels.json: theme {theme} names line {line} of {interview}, which is not a line of {participant}")]
    BadLine {
        /// The planted theme.
        theme: String,
        /// The interview.
        interview: String,
        /// The line, 1-based.
        line: usize,
        /// Whose line it should be.
        participant: String,
    },
}

/// `labels.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct Labels {
    /// The planted themes.
    pub themes: Vec<PlantedTheme>,
    /// The interviews.
    pub interviews: Vec<InterviewLabel>,
}

/// One interview of the labelled project.
#[derive(Debug, Clone, Deserialize)]
pub struct InterviewLabel {
    /// Its id.
    pub id: String,
    /// Its transcript file, beside labels.json.
    pub file: String,
    /// The participant's speaker name.
    pub participant: String,
}

/// A theme planted in known participants.
#[derive(Debug, Clone, Deserialize)]
pub struct PlantedTheme {
    /// Its id (`rota`, `swaps`, …).
    pub id: String,
    /// What it is about.
    pub title: String,
    /// The kind it was mostly planted as.
    pub kind: String,
    /// Who raises it, on which lines.
    pub mentions: Vec<Mention>,
}

/// One participant raising a planted theme.
#[derive(Debug, Clone, Deserialize)]
pub struct Mention {
    /// The interview.
    pub interview: String,
    /// The participant.
    pub participant: String,
    /// The transcript file's lines (1-based) that express it.
    pub lines: Vec<usize>,
}

/// A labelled project, loaded and parsed.
pub struct LabelledProject {
    /// The labels.
    pub labels: Labels,
    /// Per interview (in labels order): its transcript and the file's lines.
    pub transcripts: Vec<(Transcript, Vec<String>)>,
}

/// Loads `labels.json` and the transcripts beside it, checking every labelled line is there
/// and is the participant's.
pub fn load_labelled_project(dir: &Path) -> Result<LabelledProject, ScoringError> {
    let read = |path: PathBuf| std::fs::read(&path).map_err(|source| ScoringError::Read { path, source });
    let labels: Labels = serde_json::from_slice(&read(dir.join("labels.json"))?)?;
    let mut transcripts = Vec::new();
    for iv in &labels.interviews {
        let bytes = read(dir.join(&iv.file))?;
        let transcript = parse_transcript(&bytes, &iv.file).map_err(|e| ScoringError::Transcript {
            file: iv.file.clone(),
            message: e.to_string(),
        })?;
        let lines: Vec<String> = String::from_utf8_lossy(&bytes).lines().map(str::to_string).collect();
        transcripts.push((transcript, lines));
    }
    for theme in &labels.themes {
        for m in &theme.mentions {
            let lines = labels
                .interviews
                .iter()
                .position(|iv| iv.id == m.interview)
                .map(|i| &transcripts[i].1);
            for &line in &m.lines {
                let ok = lines
                    .and_then(|l| l.get(line.wrapping_sub(1)))
                    .is_some_and(|text| text.contains(m.participant.as_str()));
                if !ok {
                    return Err(ScoringError::BadLine {
                        theme: theme.id.clone(),
                        interview: m.interview.clone(),
                        line,
                        participant: m.participant.clone(),
                    });
                }
            }
        }
    }
    Ok(LabelledProject { labels, transcripts })
}

/// How one planted theme was found.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeScore {
    /// The planted theme.
    pub planted: String,
    /// The report theme matched to it (none: no report theme names any of its participants).
    pub found: Option<String>,
    /// Its title in the report.
    pub found_title: String,
    /// Participants the theme was planted in.
    pub planted_participants: usize,
    /// Share of them the match names.
    pub recall: f64,
    /// Share of the match's participants who were planted with it.
    pub precision: f64,
}

/// The scorer's result.
pub struct Score {
    /// Per planted theme.
    pub themes: Vec<ThemeScore>,
    /// Adjusted Rand index of evidence-to-theme assignment.
    pub ari: f64,
    /// Evidence items, and how many of them lie on labelled lines.
    pub evidence: usize,
    /// Evidence items on labelled lines.
    pub labelled_evidence: usize,
    /// Themes each interview's own analysis.json found, in labels order.
    pub interview_themes: Vec<usize>,
    /// The report that was scored.
    pub report: ProjectReport,
}

impl Score {
    /// Mean recall over planted themes.
    pub fn mean_recall(&self) -> f64 {
        mean(self.themes.iter().map(|t| t.recall))
    }

    /// Mean precision over planted themes.
    pub fn mean_precision(&self) -> f64 {
        mean(self.themes.iter().map(|t| t.precision))
    }

    /// The figures as a small table for logs and BENCHMARKS.md.
    pub fn table(&self) -> String {
        let mut out = format!("analyzer {}\n", self.report.analyzer);
        out.push_str("planted   found  recall  precision  title\n");
        for t in &self.themes {
            out.push_str(&format!(
                "{:<9} {:<6} {:>6.2} {:>10.2}  {}\n",
                t.planted,
                t.found.as_deref().unwrap_or("-"),
                t.recall,
                t.precision,
                t.found_title
            ));
        }
        out.push_str(&format!(
            "mean recall {:.2}, mean precision {:.2}, ARI {:.3} ({} evidence, {} on labelled lines); per-interview themes {:?}\n",
            self.mean_recall(),
            self.mean_precision(),
            self.ari,
            self.evidence,
            self.labelled_evidence,
            self.interview_themes
        ));
        out
    }
}

fn mean(xs: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = xs.collect();
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Runs the local extract + analyze path on each interview, builds the project report, and
/// scores it against the labels.
pub fn score_project(project: &LabelledProject, embedder: Option<&dyn Embedder>) -> Score {
    let analyzer = LocalAnalyzer::new();
    let mut inputs = Vec::new();
    let mut interview_themes = Vec::new();
    for (iv, (transcript, _)) in project.labels.interviews.iter().zip(&project.transcripts) {
        let evidence: EvidenceDoc = analyzer.extract_evidence(transcript);
        interview_themes.push(analyzer.analyze_with(transcript, &evidence, embedder).themes.len());
        inputs.push(InterviewEvidence::from_transcript(iv.id.clone(), transcript, evidence));
    }
    let report = build_project_report(&inputs, embedder);

    // Planted label of every evidence item, by the file line its quote is on.
    let mut planted_at: HashMap<(&str, usize), &str> = HashMap::new();
    for theme in &project.labels.themes {
        for m in &theme.mentions {
            for &line in &m.lines {
                planted_at.insert((m.interview.as_str(), line), theme.id.as_str());
            }
        }
    }
    let mut found_of: HashMap<(&str, &str), &str> = HashMap::new();
    for theme in &report.themes {
        for r in &theme.evidence {
            found_of.insert((r.interview_id.as_str(), r.evidence_id.as_str()), theme.id.as_str());
        }
    }
    let mut truth = Vec::new();
    let mut found = Vec::new();
    for (i, (iv, input)) in project.labels.interviews.iter().zip(&inputs).enumerate() {
        let lines = &project.transcripts[i].1;
        for ev in &input.evidence.items {
            let line = lines
                .iter()
                .position(|l| l.contains(ev.quote.as_str()) && l.contains(ev.speaker.as_str()))
                .map(|i| i + 1);
            let unique = format!("{}#{}", iv.id, ev.id);
            truth.push(
                line.and_then(|l| planted_at.get(&(iv.id.as_str(), l)))
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| unique.clone()),
            );
            found.push(
                found_of
                    .get(&(iv.id.as_str(), ev.id.as_str()))
                    .map(|t| t.to_string())
                    .unwrap_or(unique),
            );
        }
    }
    let labelled_evidence = truth.iter().filter(|t| !t.contains('#')).count();

    let themes = project
        .labels
        .themes
        .iter()
        .map(|planted| {
            let who: BTreeSet<(&str, &str)> = planted
                .mentions
                .iter()
                .map(|m| (m.interview.as_str(), m.participant.as_str()))
                .collect();
            let best = report
                .themes
                .iter()
                .map(|t| {
                    let named: BTreeSet<(&str, &str)> = t
                        .participants
                        .iter()
                        .map(|p| (p.interview_id.as_str(), p.speaker.as_str()))
                        .collect();
                    let hit = named.intersection(&who).count();
                    (t, hit, hit as f64 / named.len().max(1) as f64)
                })
                .filter(|(_, hit, _)| *hit > 0)
                .max_by(|a, b| a.1.cmp(&b.1).then(a.2.total_cmp(&b.2)).then(b.0.id.cmp(&a.0.id)));
            match best {
                Some((t, hit, precision)) => ThemeScore {
                    planted: planted.id.clone(),
                    found: Some(t.id.clone()),
                    found_title: t.title.clone(),
                    planted_participants: who.len(),
                    recall: hit as f64 / who.len().max(1) as f64,
                    precision,
                },
                None => ThemeScore {
                    planted: planted.id.clone(),
                    found: None,
                    found_title: String::new(),
                    planted_participants: who.len(),
                    recall: 0.0,
                    precision: 0.0,
                },
            }
        })
        .collect();
    Score {
        themes,
        ari: adjusted_rand_index(&truth, &found),
        evidence: truth.len(),
        labelled_evidence,
        interview_themes,
        report,
    }
}

/// `n` interviews made from the labelled ones for load measurements: copy `k` of interview `i`
/// is `<id>-<k>` with its participant renamed `<name> <k>`, so every copy is a distinct
/// participant (the quotes repeat; an embedder still computes every one).
pub fn varied_inputs(project: &LabelledProject, n: usize) -> Vec<InterviewEvidence> {
    let analyzer = LocalAnalyzer::new();
    let base: Vec<InterviewEvidence> = project
        .labels
        .interviews
        .iter()
        .zip(&project.transcripts)
        .map(|(iv, (t, _))| InterviewEvidence::from_transcript(iv.id.clone(), t, analyzer.extract_evidence(t)))
        .collect();
    if base.is_empty() {
        return Vec::new();
    }
    (0..n)
        .map(|k| {
            let from = &base[k % base.len()];
            let copy = k / base.len();
            let rename = |s: &str| format!("{s} {copy}");
            let mut evidence = from.evidence.clone();
            evidence.items.iter_mut().for_each(|e| e.speaker = rename(&e.speaker));
            InterviewEvidence {
                interview_id: format!("{}-{copy:04}", from.interview_id),
                evidence,
                participants: from.participants.iter().map(|p| rename(p)).collect(),
            }
        })
        .collect()
}

/// The adjusted Rand index of two labelings of the same items: 1 for identical partitions,
/// about 0 for chance agreement. Two all-singleton (or all-one-group) partitions count as 1.
pub fn adjusted_rand_index(a: &[String], b: &[String]) -> f64 {
    let n = a.len().min(b.len());
    let pairs = |k: usize| (k * k.saturating_sub(1) / 2) as f64;
    let mut joint: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut left: BTreeMap<&str, usize> = BTreeMap::new();
    let mut right: BTreeMap<&str, usize> = BTreeMap::new();
    for i in 0..n {
        *joint.entry((a[i].as_str(), b[i].as_str())).or_insert(0) += 1;
        *left.entry(a[i].as_str()).or_insert(0) += 1;
        *right.entry(b[i].as_str()).or_insert(0) += 1;
    }
    let index: f64 = joint.values().map(|&k| pairs(k)).sum();
    let sa: f64 = left.values().map(|&k| pairs(k)).sum();
    let sb: f64 = right.values().map(|&k| pairs(k)).sum();
    let total = pairs(n);
    if total == 0.0 {
        return 1.0;
    }
    let expected = sa * sb / total;
    let max = (sa + sb) / 2.0;
    if (max - expected).abs() < f64::EPSILON {
        return 1.0;
    }
    (index - expected) / (max - expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ari_is_one_for_the_same_partition_under_other_names() {
        let a = labels(&["x", "x", "y", "y", "z"]);
        let b = labels(&["1", "1", "2", "2", "3"]);
        assert!((adjusted_rand_index(&a, &b) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn ari_drops_for_a_worse_partition() {
        let truth = labels(&["x", "x", "x", "y", "y", "y"]);
        let close = labels(&["a", "a", "a", "b", "b", "c"]);
        let lumped = labels(&["a", "a", "a", "a", "a", "a"]);
        let good = adjusted_rand_index(&truth, &close);
        let bad = adjusted_rand_index(&truth, &lumped);
        assert!(good > 0.5 && good < 1.0, "{good}");
        assert!(bad.abs() < 1e-9, "{bad}");
    }
}
