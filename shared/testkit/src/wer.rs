//! Word error rate: how far a recognised text is from a reference, in words.
//!
//! Both texts are normalised first: lower case, apostrophes dropped (`don't` = `dont`), every
//! other non-alphanumeric character a word break. Then a word-level edit distance counts
//! substitutions, deletions and insertions; WER = (S + D + I) / reference words.

/// The edit counts between a reference and a hypothesis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WordErrors {
    /// Words in the reference.
    pub reference_words: usize,
    /// Words in the hypothesis.
    pub hypothesis_words: usize,
    /// Reference words recognised as another word.
    pub substitutions: usize,
    /// Reference words missing from the hypothesis.
    pub deletions: usize,
    /// Hypothesis words not in the reference.
    pub insertions: usize,
}

impl WordErrors {
    /// (S + D + I) / N; 0 for an empty reference and hypothesis, 1 per word otherwise.
    pub fn rate(&self) -> f64 {
        let errors = (self.substitutions + self.deletions + self.insertions) as f64;
        if self.reference_words == 0 {
            return if errors == 0.0 { 0.0 } else { 1.0 };
        }
        errors / self.reference_words as f64
    }

    /// 1 − WER, floored at 0.
    pub fn accuracy(&self) -> f64 {
        (1.0 - self.rate()).max(0.0)
    }
}

impl std::fmt::Display for WordErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WER {:.2}% ({} words: {} substituted, {} deleted, {} inserted)",
            self.rate() * 100.0,
            self.reference_words,
            self.substitutions,
            self.deletions,
            self.insertions
        )
    }
}

/// The words of `text`, normalised for comparison.
pub fn normalize(text: &str) -> Vec<String> {
    let cleaned: String = text
        .chars()
        .filter(|c| *c != '\'' && *c != '\u{2019}')
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    cleaned.split_whitespace().map(str::to_string).collect()
}

/// The word errors of `hypothesis` against `reference`.
pub fn word_errors(reference: &str, hypothesis: &str) -> WordErrors {
    let r = normalize(reference);
    let h = normalize(hypothesis);
    // dp[j] = (cost, substitutions, deletions, insertions) aligning r[..i] with h[..j].
    type Cell = (usize, usize, usize, usize);
    let mut prev: Vec<Cell> = (0..=h.len()).map(|j| (j, 0, 0, j)).collect();
    for i in 1..=r.len() {
        let mut row: Vec<Cell> = Vec::with_capacity(h.len() + 1);
        row.push((i, 0, i, 0));
        for j in 1..=h.len() {
            let diag = prev[j - 1];
            let same = r[i - 1] == h[j - 1];
            let sub = (diag.0 + usize::from(!same), diag.1 + usize::from(!same), diag.2, diag.3);
            let up = prev[j];
            let del = (up.0 + 1, up.1, up.2 + 1, up.3);
            let left = row[j - 1];
            let ins = (left.0 + 1, left.1, left.2, left.3 + 1);
            let best = [sub, del, ins].into_iter().min_by_key(|c| c.0).unwrap_or(sub);
            row.push(best);
        }
        prev = row;
    }
    let (_, substitutions, deletions, insertions) = prev[h.len()];
    WordErrors {
        reference_words: r.len(),
        hypothesis_words: h.len(),
        substitutions,
        deletions,
        insertions,
    }
}

/// The spoken text of a `Speaker: text` script (labels dropped), for use as a reference.
pub fn script_text(script: &str) -> String {
    script
        .lines()
        .filter_map(|line| line.split_once(':').map(|(_, text)| text.trim()))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_ignores_case_punctuation_and_apostrophes() {
        assert_eq!(normalize("Don't STOP—now, please!"), ["dont", "stop", "now", "please"]);
        assert_eq!(word_errors("Hello, world.", "hello world").rate(), 0.0);
    }

    #[test]
    fn counts_each_kind_of_edit() {
        let e = word_errors("the cat sat on the mat", "the cat sit on mat today");
        assert_eq!(e.substitutions + e.deletions + e.insertions, 3);
        assert_eq!(e.reference_words, 6);
        assert!((e.rate() - 0.5).abs() < 1e-9);
        assert!((e.accuracy() - 0.5).abs() < 1e-9);
        let kinds = |r: &str, h: &str| {
            let e = word_errors(r, h);
            (e.substitutions, e.deletions, e.insertions)
        };
        assert_eq!(kinds("a b c", "a x c"), (1, 0, 0));
        assert_eq!(kinds("a b c", "a c"), (0, 1, 0));
        assert_eq!(kinds("a b", "a b c"), (0, 0, 1));
        assert_eq!(word_errors("", "").rate(), 0.0);
        assert_eq!(word_errors("", "noise").rate(), 1.0);
        assert_eq!(word_errors("a b", "").deletions, 2);
    }

    #[test]
    fn scripts_drop_their_labels() {
        assert_eq!(
            script_text("Interviewer: Hi there.\n\nCustomer: Hello: again.\n"),
            "Hi there. Hello: again."
        );
    }
}
