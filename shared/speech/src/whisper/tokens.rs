//! Whisper's output tokens read back into timed text.

/// Segments read from one window's tokens: complete `(start, end, text)` ones, and the text
/// after the last timestamp if the window cut it off.
#[derive(Debug, Default, PartialEq)]
pub(super) struct ParsedWindow {
    pub(super) complete: Vec<(f64, f64, String)>,
    pub(super) unfinished: Option<(f64, String)>,
    /// The output ended by opening a segment it never filled (`… <|24.16|><|24.16|>`), as
    /// opposed to closing its last one (`… was.<|24.16|>`, "no speech after this").
    pub(super) trailing_open: bool,
    /// How many of the tokens the complete segments span (through the last one's closing
    /// timestamp): what a window that re-decodes its unfinished tail has taken.
    pub(super) complete_tokens: usize,
}

/// The time a timestamp token stands for (`<|12.34|>` → 12.34).
fn timestamp(token: &str) -> Option<f64> {
    token.strip_prefix("<|")?.strip_suffix("|>")?.parse::<f64>().ok()
}

/// Splits a window's output tokens into timed segments.
pub(super) fn parse_tokens(tokens: &[String], window_seconds: f64) -> ParsedWindow {
    let mut parsed = ParsedWindow::default();
    let mut open: Option<f64> = None;
    let mut text: Vec<&str> = Vec::new();
    let mut timestamps_in_a_row = 0;
    for (i, token) in tokens.iter().enumerate() {
        if let Some(t) = timestamp(token) {
            timestamps_in_a_row += 1;
            let t = t.min(window_seconds);
            if text.is_empty() {
                open = Some(t);
            } else {
                let start = open.unwrap_or(0.0);
                parsed.complete_tokens = i + 1;
                parsed.complete.push((start, t.max(start), decode_bpe(&text)));
                text.clear();
                open = Some(t);
            }
        } else if token.starts_with("<|") && token.ends_with("|>") {
            continue;
        } else {
            timestamps_in_a_row = 0;
            text.push(token);
        }
    }
    parsed.trailing_open = text.is_empty() && timestamps_in_a_row >= 2 && !parsed.complete.is_empty();
    if !text.is_empty() {
        let start = open.unwrap_or(0.0);
        // Without any timestamp the whole window is one segment.
        let start = if parsed.complete.is_empty() && open.is_none() {
            0.0
        } else {
            start
        };
        parsed.unfinished = Some((start, decode_bpe(&text)));
    }
    parsed
}

/// Byte-level BPE tokens (GPT-2 style: `Ġ` is a space) back to text.
fn decode_bpe(tokens: &[&str]) -> String {
    let table = byte_decoder();
    let mut bytes = Vec::new();
    for token in tokens {
        for c in token.chars() {
            match table.get(&c) {
                Some(b) => bytes.push(*b),
                None => {
                    let mut buf = [0u8; 4];
                    bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// GPT-2's byte ↔ printable-character table, inverted: printable bytes stand for themselves,
/// the others were shifted to code points from U+0100 up, in byte order.
fn byte_decoder() -> &'static std::collections::HashMap<char, u8> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<char, u8>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let printable = |b: u8| matches!(b, 33..=126 | 161..=172 | 174..=255);
        let mut shifted = 0u32;
        (0..=255u8)
            .map(|b| {
                let c = if printable(b) {
                    char::from(b)
                } else {
                    shifted += 1;
                    char::from_u32(255 + shifted).unwrap_or('?')
                };
                (c, b)
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bpe_tokens_decode_to_text() {
        assert_eq!(decode_bpe(&["ĠHello", ",", "Ġworld", "!"]), " Hello, world!");
        // "é" is C3 A9: two byte-level characters.
        assert_eq!(decode_bpe(&["Ġcaf", "Ã©"]), " café");
    }

    #[test]
    fn complete_segments_and_an_unfinished_tail() {
        let parsed = parse_tokens(
            &tokens(&[
                "<|0.00|>", "ĠHello", "Ġthere", ".", "<|2.40|>", "<|2.40|>", "ĠHow", "Ġare", "Ġyou", "?", "<|5.00|>",
                "<|5.50|>", "ĠI", "Ġwas",
            ]),
            30.0,
        );
        assert_eq!(
            parsed.complete,
            vec![
                (0.0, 2.4, " Hello there.".to_string()),
                (2.4, 5.0, " How are you?".to_string())
            ]
        );
        assert_eq!(parsed.unfinished, Some((5.5, " I was".to_string())));
        assert!(!parsed.trailing_open);
    }

    #[test]
    fn an_output_that_opens_a_segment_and_stops_is_told_from_one_that_closes() {
        let opened = parse_tokens(
            &tokens(&[
                "<|0.00|>",
                "ĠThan",
                "Ġhe",
                "Ġwas",
                ".",
                "<|24.16|>",
                "<|24.16|>",
                "<|endoftext|>",
            ]),
            27.7,
        );
        assert!(opened.trailing_open);
        assert_eq!(opened.complete, vec![(0.0, 24.16, " Than he was.".to_string())]);
        assert_eq!(opened.unfinished, None);
        let closed = parse_tokens(&tokens(&["<|0.00|>", "ĠThan", "Ġhe", "Ġwas", ".", "<|24.16|>"]), 27.7);
        assert!(!closed.trailing_open);
        let nothing = parse_tokens(&tokens(&["<|0.00|>", "<|0.00|>"]), 27.7);
        assert!(!nothing.trailing_open, "no segment, nothing to go on from");
    }

    #[test]
    fn a_single_timestamp_between_segments_closes_and_opens() {
        let parsed = parse_tokens(
            &tokens(&[
                "<|0.00|>",
                "ĠOne",
                ".",
                "<|1.00|>",
                "ĠTwo",
                ".",
                "<|2.00|>",
                "<|endoftext|>",
            ]),
            30.0,
        );
        assert_eq!(parsed.complete.len(), 2);
        assert_eq!(parsed.complete[1].0, 1.0);
        assert_eq!(parsed.unfinished, None);
    }

    #[test]
    fn output_without_timestamps_is_one_unfinished_segment() {
        let parsed = parse_tokens(&tokens(&["ĠJust", "Ġwords"]), 12.0);
        assert!(parsed.complete.is_empty());
        assert_eq!(parsed.unfinished, Some((0.0, " Just words".to_string())));
    }
}
