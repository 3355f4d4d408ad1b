//! The text of a Word (`.docx`) transcript export: `word/document.xml` out of the zip container,
//! its paragraphs in order, each paragraph's runs joined, line breaks and tabs kept, one line
//! per paragraph. Meeting tools (Teams, Google Meet, Otter.ai) export transcripts this way; the
//! text is then read by their text readers.
//!
//! Untrusted input: the decompressed size of `document.xml` is capped (declared size checked
//! first, then the actual bytes read through a limit, so a zip that lies about its size cannot
//! make us allocate more), and the XML is read as a flat stream of events (no recursion).

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::Reader;

use super::{ParseError, TranscriptFormat};

/// Errors about the container are labelled with this format: before its text is read, a
/// `.docx` is not yet any particular export.
const FORMAT: TranscriptFormat = TranscriptFormat::WordDocument;
/// Largest `word/document.xml` unpacked: a four-hour meeting's transcript is a few MB of XML.
pub(crate) const MAX_DOCUMENT_XML_BYTES: u64 = 32 * 1024 * 1024;
/// The part of a `.docx` that holds the body text.
const DOCUMENT_PART: &str = "word/document.xml";

/// Whether the bytes start like a zip archive (a `.docx` is one).
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The document's text, one line per paragraph (line breaks inside a paragraph kept as lines).
pub(crate) fn text(bytes: &[u8]) -> Result<String, ParseError> {
    let xml = document_xml(bytes)?;
    paragraphs(&xml)
}

/// `word/document.xml`, unpacked within [`MAX_DOCUMENT_XML_BYTES`].
fn document_xml(bytes: &[u8]) -> Result<Vec<u8>, ParseError> {
    let not_docx = |what: &str| {
        ParseError::new(
            FORMAT,
            format!("the file is a zip archive but not a readable Word document ({what}); export the transcript again"),
        )
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| not_docx("its directory is damaged"))?;
    let file = archive
        .by_name(DOCUMENT_PART)
        .map_err(|_| not_docx("it has no word/document.xml"))?;
    let too_big = || {
        ParseError::new(
            FORMAT,
            format!(
                "the document's text unpacks to more than {} MB; the file is not a transcript export (or is a zip bomb)",
                MAX_DOCUMENT_XML_BYTES / (1024 * 1024)
            ),
        )
    };
    if file.size() > MAX_DOCUMENT_XML_BYTES {
        return Err(too_big());
    }
    let mut xml = Vec::with_capacity(usize::try_from(file.size()).unwrap_or(0).min(1 << 20));
    file.take(MAX_DOCUMENT_XML_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|_| not_docx("word/document.xml does not unpack"))?;
    if xml.len() as u64 > MAX_DOCUMENT_XML_BYTES {
        return Err(too_big());
    }
    Ok(xml)
}

/// Paragraph text from WordprocessingML: `w:t` runs in order, `w:tab` as a tab, `w:br`/`w:cr`
/// as a new line, a new line after each `w:p`. Deleted text (`w:delText`), fields' codes and
/// everything else are not text.
fn paragraphs(xml: &[u8]) -> Result<String, ParseError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = String::new();
    let mut in_text = false;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|_| {
            ParseError::new(
                FORMAT,
                format!(
                    "word/document.xml is not well-formed XML (at byte {}); export the transcript again",
                    reader.buffer_position()
                ),
            )
        })?;
        match event {
            Event::Start(e) => match e.local_name().as_ref() {
                b"t" => in_text = true,
                b"tab" => out.push('\t'),
                b"br" | b"cr" => out.push('\n'),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"tab" => out.push('\t'),
                b"br" | b"cr" | b"p" => out.push('\n'),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" => out.push('\n'),
                _ => {}
            },
            Event::Text(e) if in_text => out.push_str(&e.decode().map_err(|_| bad_text())?),
            Event::CData(e) if in_text => out.push_str(&e.decode().map_err(|_| bad_text())?),
            Event::GeneralRef(e) if in_text => {
                if e.is_char_ref() {
                    if let Ok(Some(c)) = e.resolve_char_ref() {
                        out.push(c);
                    }
                } else if let Some(s) = e
                    .decode()
                    .ok()
                    .and_then(|name| quick_xml::escape::resolve_predefined_entity(&name))
                {
                    out.push_str(s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

/// Text in the XML that is not UTF-8.
fn bad_text() -> ParseError {
    ParseError::new(
        FORMAT,
        "word/document.xml holds text that is not UTF-8; export the transcript again",
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use std::io::Write;

    use super::*;

    /// A minimal `.docx` whose body is the given paragraphs; `\n` in a paragraph is a `w:br`.
    pub(crate) fn docx(paragraphs: &[&str]) -> Vec<u8> {
        let mut body = String::new();
        for p in paragraphs {
            body.push_str("<w:p><w:pPr><w:spacing w:after=\"0\"/></w:pPr>");
            for (i, line) in p.split('\n').enumerate() {
                if i > 0 {
                    body.push_str("<w:r><w:br/></w:r>");
                }
                let escaped = line.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
                body.push_str(&format!(
                    "<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">{escaped}</w:t></w:r>"
                ));
            }
            body.push_str("</w:p>");
        }
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
             <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}\
             <w:sectPr/></w:body></w:document>"
        );
        zip_with(&[("[Content_Types].xml", "<Types/>"), (DOCUMENT_PART, &xml)])
    }

    /// A zip of the given files, deflated.
    pub(crate) fn zip_with(files: &[(&str, &str)]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, content) in files {
            zip.start_file(*name, options).unwrap();
            zip.write_all(content.as_bytes()).unwrap();
        }
        zip.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn paragraphs_runs_breaks_and_entities_in_order() {
        let bytes = docx(&["Priya Nair   0:04\nWe deploy & ship <daily>.", "", "Second"]);
        assert_eq!(
            text(&bytes).unwrap(),
            "Priya Nair   0:04\nWe deploy & ship <daily>.\n\nSecond\n"
        );
    }

    #[test]
    fn damaged_or_foreign_zips_are_refused_clearly() {
        let err = text(&zip_with(&[("hello.txt", "hi")])).unwrap_err();
        assert!(err.message.contains("it has no word/document.xml"), "{err}");
        let err = text(b"PK\x03\x04 not really").unwrap_err();
        assert!(err.message.contains("its directory is damaged"), "{err}");
        let err = text(&zip_with(&[(DOCUMENT_PART, "<w:document><w:p><w:t>x</w:p>")])).unwrap_err();
        assert!(
            err.message.starts_with("word/document.xml is not well-formed XML"),
            "{err}"
        );
    }

    #[test]
    fn a_zip_bomb_is_refused_without_unpacking_it() {
        // 40 MB of one byte deflates to ~40 KB.
        let huge = "a".repeat(MAX_DOCUMENT_XML_BYTES as usize + 8 * 1024 * 1024);
        let bomb = zip_with(&[(DOCUMENT_PART, &huge)]);
        assert!(bomb.len() < 200_000, "{}", bomb.len());
        let err = text(&bomb).unwrap_err();
        assert!(err.message.contains("unpacks to more than 32 MB"), "{err}");
    }
}
