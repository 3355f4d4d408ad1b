//! The text of an uploaded transcript file, whatever its encoding: UTF-8 with or without a
//! byte-order mark, UTF-16 and UTF-32 with one (UTF-16 without one when its zero bytes give it
//! away), and legacy single- and multi-byte encodings (Windows-1252, GBK, Shift-JIS …) guessed
//! from the bytes. Only binary files are refused.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};

/// How much of the file the binary check and the legacy-encoding guess look at: enough to
/// decide, bounded so a 100 MB upload costs no more than a small one.
const SAMPLE_BYTES: usize = 1 << 20;
/// A file where more than 1 in this many sampled bytes is NUL or a control character that text
/// never holds is binary. Text with a stray NUL or two still reads.
const BINARY_ONE_IN: usize = 100;

/// Decoded text and the encoding it was read as.
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    /// The text, without a byte-order mark.
    pub text: Cow<'a, str>,
    /// The encoding's WHATWG name (`UTF-8`, `UTF-16LE`, `windows-1252`, `Shift_JIS`) or `UTF-32LE`/`UTF-32BE`.
    pub encoding: &'static str,
    /// Bytes that are not valid in that encoding were replaced with U+FFFD.
    pub replaced: bool,
}

/// Why bytes are not a text transcript.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NotText {
    /// What to tell the person; names no content.
    pub message: String,
}

/// Reads the bytes as text (see the module documentation for the rules, in order).
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, NotText> {
    if let Some(body) = bytes.strip_prefix(&[0xFF, 0xFE, 0, 0]) {
        return Ok(utf32(body, false));
    }
    if let Some(body) = bytes.strip_prefix(&[0, 0, 0xFE, 0xFF]) {
        return Ok(utf32(body, true));
    }
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        return Ok(with(encoding, &bytes[bom..]));
    }
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    if let Some(encoding) = utf16_without_bom(sample) {
        return Ok(with(encoding, bytes));
    }
    check_not_binary(sample)?;
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: Cow::Borrowed(text),
            encoding: UTF_8.name(),
            replaced: false,
        });
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(sample, true);
    Ok(with(detector.guess(None, true), bytes))
}

/// Whether a file starting with `prefix` can be read as text by [`decode`]: a byte-order mark,
/// UTF-16 without one, or bytes that are not binary (UTF-8 or a legacy encoding). The sniffer
/// uses it, so every upload a reader could read reaches the readers.
pub(crate) fn could_be_text(prefix: &[u8]) -> bool {
    let bom = prefix.starts_with(&[0xFF, 0xFE])
        || prefix.starts_with(&[0xFE, 0xFF])
        || prefix.starts_with(&[0, 0, 0xFE, 0xFF])
        || prefix.starts_with(&[0xEF, 0xBB, 0xBF]);
    bom || utf16_without_bom(prefix).is_some() || check_not_binary(prefix).is_ok()
}

/// Decodes with an `encoding_rs` encoding, no byte-order mark handling (already stripped).
fn with<'a>(encoding: &'static Encoding, body: &'a [u8]) -> Decoded<'a> {
    let (text, replaced) = encoding.decode_without_bom_handling(body);
    Decoded {
        text,
        encoding: encoding.name(),
        replaced,
    }
}

/// UTF-32 (not in `encoding_rs`): four bytes a character; invalid scalars and a cut-off last
/// character become U+FFFD.
fn utf32(body: &[u8], big_endian: bool) -> Decoded<'static> {
    let mut text = String::with_capacity(body.len() / 4);
    let mut replaced = !body.len().is_multiple_of(4);
    for chunk in body.chunks_exact(4) {
        let bytes = [chunk[0], chunk[1], chunk[2], chunk[3]];
        let code = if big_endian {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        };
        match char::from_u32(code) {
            Some(c) => text.push(c),
            None => {
                replaced = true;
                text.push(char::REPLACEMENT_CHARACTER);
            }
        }
    }
    if !body.len().is_multiple_of(4) {
        text.push(char::REPLACEMENT_CHARACTER);
    }
    Decoded {
        text: Cow::Owned(text),
        encoding: if big_endian { "UTF-32BE" } else { "UTF-32LE" },
        replaced,
    }
}

/// UTF-16 saved without a byte-order mark: text in Latin script has a zero in every other
/// byte. Most odd bytes zero and few even ones is little-endian; the reverse is big-endian.
fn utf16_without_bom(sample: &[u8]) -> Option<&'static Encoding> {
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zero_even = sample.iter().step_by(2).filter(|&&b| b == 0).count();
    let zero_odd = sample.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    let most = pairs * 9 / 10;
    let few = pairs / 10;
    if zero_odd >= most && zero_even <= few {
        Some(UTF_16LE)
    } else if zero_even >= most && zero_odd <= few {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Refuses a sample with too many NUL bytes or control characters no text file holds (tab,
/// line feed, form feed, carriage return and escape are allowed).
fn check_not_binary(sample: &[u8]) -> Result<(), NotText> {
    let odd = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | 0x1B))
        .count();
    if odd > 0 && odd * BINARY_ONE_IN > sample.len() {
        let share = odd as f64 * 100.0 / sample.len() as f64;
        return Err(NotText {
            message: format!(
                "the file is binary, not text ({share:.0}% of its first {} bytes are NUL or control bytes); \
                 upload the transcript as a text file (.vtt, .srt, .txt, .json) or a .docx",
                sample.len()
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> (String, &'static str, bool) {
        let d = decode(bytes).unwrap();
        (d.text.into_owned(), d.encoding, d.replaced)
    }

    fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if big_endian { [0xFE, 0xFF] } else { [0xFF, 0xFE] });
        }
        for unit in text.encode_utf16() {
            out.extend(if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        out
    }

    fn utf32(text: &str, big_endian: bool) -> Vec<u8> {
        let mut out = if big_endian {
            vec![0, 0, 0xFE, 0xFF]
        } else {
            vec![0xFF, 0xFE, 0, 0]
        };
        for c in text.chars() {
            out.extend(if big_endian {
                (c as u32).to_be_bytes()
            } else {
                (c as u32).to_le_bytes()
            });
        }
        out
    }

    const TEXT: &str = "Rosa: Café at 6 — “crème brûlée” 💬\nTom: ok\n";

    #[test]
    fn unicode_with_and_without_byte_order_marks() {
        assert_eq!(read(TEXT.as_bytes()), (TEXT.to_string(), "UTF-8", false));
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), TEXT.as_bytes()].concat();
        assert_eq!(read(&with_bom), (TEXT.to_string(), "UTF-8", false));
        assert_eq!(read(&utf16(TEXT, false, true)), (TEXT.to_string(), "UTF-16LE", false));
        assert_eq!(read(&utf16(TEXT, true, true)), (TEXT.to_string(), "UTF-16BE", false));
        assert_eq!(read(&utf16(TEXT, false, false)), (TEXT.to_string(), "UTF-16LE", false));
        assert_eq!(read(&utf16(TEXT, true, false)), (TEXT.to_string(), "UTF-16BE", false));
        assert_eq!(read(&utf32(TEXT, false)), (TEXT.to_string(), "UTF-32LE", false));
        assert_eq!(read(&utf32(TEXT, true)), (TEXT.to_string(), "UTF-32BE", false));
    }

    #[test]
    fn broken_unicode_is_replaced_and_flagged() {
        let (text, encoding, replaced) = read(b"\xEF\xBB\xBFA: caf\xC3\x28\n");
        assert_eq!(
            (text.as_str(), encoding, replaced),
            ("A: caf\u{FFFD}(\n", "UTF-8", true)
        );
        let mut cut = utf32("A: hi", false);
        cut.pop();
        let (text, _, replaced) = read(&cut);
        assert_eq!((text.as_str(), replaced), ("A: h\u{FFFD}", true));
    }

    #[test]
    fn legacy_encodings_are_guessed() {
        let cases: [(&str, &'static Encoding); 3] = [
            (
                "Rosa: Le café ouvre à six heures, la crème brûlée est prête. Très bien, c'est déjà l'été.\n",
                encoding_rs::WINDOWS_1252,
            ),
            (
                "王芳：我们每天早上六点开门，周末的排班最麻烦。\n李明：你们现在用什么工具安排员工的班次？\n",
                encoding_rs::GBK,
            ),
            (
                "田中：毎朝六時に店を開けます。週末のシフト作りが一番大変です。\n佐藤：今はどのツールを使っていますか？\n",
                encoding_rs::SHIFT_JIS,
            ),
        ];
        for (text, encoding) in cases {
            let (bytes, _, unmappable) = encoding.encode(text);
            assert!(!unmappable);
            assert_eq!(
                read(&bytes),
                (text.to_string(), encoding.name(), false),
                "{}",
                encoding.name()
            );
        }
    }

    #[test]
    fn binary_is_refused_but_a_stray_nul_is_not() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0\0\0\x01\0\x08\x06\0\0\0".to_vec();
        png.extend([0u8, 1, 2, 3, 4, 5, 6, 7].repeat(50));
        let err = decode(&png).unwrap_err();
        assert!(
            err.message.starts_with("the file is binary, not text ("),
            "{}",
            err.message
        );
        let mut text = "Rosa: hello there, we open at six every day.\n".repeat(10).into_bytes();
        text.insert(5, 0);
        assert_eq!(read(&text).1, "UTF-8");
    }
}
