//! Declared sizes checked before symphonia reads a container.
//!
//! symphonia 0.5 trusts some counts and sizes it reads: an MP4 `stsz` declaring four billion
//! entries becomes a 16 GB `Vec::with_capacity`, a Matroska block or binary element of
//! terabytes a zeroed buffer of that size, and EBML lacing sizes the same. One such upload
//! would abort the process that probes it. So before probing, the container's structure in the
//! bytes at hand is walked (headers only, linear, bounded depth) and every declared size is
//! held against what can hold it: the parent box or element, the file's length, and, for what
//! symphonia reads into memory, the bytes the probe actually has. A file that breaks one is
//! refused with what the header declared, never its content.

use interview_transcript::media::{MediaError, MediaFormat, PROBE_BYTES};

/// The most a Matroska element inside a segment's children (a block, codec data, a string),
/// which symphonia reads into memory, may declare: audio blocks are kilobytes, codec private
/// data less.
const MAX_IN_MEMORY_ELEMENT: u64 = 16 << 20;
/// The most a RIFF chunk before the audio (`fmt `, `LIST`, `fact`, …) may declare.
const MAX_RIFF_CHUNK: u64 = 16 << 20;
/// Nesting deeper than any real file, so a crafted one cannot recurse without end.
const MAX_DEPTH: usize = 12;

/// Checks the declared sizes in `bytes` (the start of a file of `total` bytes) for `format`.
pub(crate) fn check_declared_sizes(bytes: &[u8], total: u64, format: MediaFormat) -> Result<(), MediaError> {
    let total = total.max(bytes.len() as u64);
    let result = match format {
        MediaFormat::M4a | MediaFormat::Mp4 => Mp4 { bytes }.walk(0, total, 0),
        MediaFormat::Webm => Mkv { bytes }.walk(0, total, 0, false).map(|_| ()),
        MediaFormat::Wav => riff(bytes, total),
        // Ogg pages carry at most 255 × 255 bytes and FLAC/MP3 frames are bounded by their
        // formats: symphonia reads them without trusting a larger size.
        MediaFormat::Ogg | MediaFormat::Flac | MediaFormat::Mp3 => Ok(()),
    };
    result.map_err(|detail| MediaError::Unreadable { format, detail })
}

/// [`check_declared_sizes`] on the first [`PROBE_BYTES`] of a local file.
pub(crate) fn check_file(path: &std::path::Path, format: MediaFormat) -> Result<(), MediaError> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| MediaError::Io(e.to_string()))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or_default();
    let mut head = Vec::new();
    file.take(PROBE_BYTES)
        .read_to_end(&mut head)
        .map_err(|e| MediaError::Io(e.to_string()))?;
    check_declared_sizes(&head, total, format)
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |n, &b| (n << 8) | u64::from(b))
}

fn le(bytes: &[u8]) -> u64 {
    bytes.iter().rev().fold(0, |n, &b| (n << 8) | u64::from(b))
}

struct Mp4<'a> {
    bytes: &'a [u8],
}

/// Boxes whose children symphonia reads.
const MP4_CONTAINERS: [&[u8; 4]; 9] = [
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"mvex", b"moof", b"traf",
];

impl Mp4<'_> {
    fn walk(&self, start: u64, end: u64, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("its boxes are nested deeper than any real file".into());
        }
        let have = self.bytes.len() as u64;
        let mut pos = start;
        while pos + 8 <= end.min(have) {
            let at = pos as usize;
            let kind: [u8; 4] = self.bytes[at + 4..at + 8].try_into().unwrap_or_default();
            let name = String::from_utf8_lossy(&kind).escape_debug().to_string();
            let (header, size) = match be(&self.bytes[at..at + 4]) {
                1 if pos + 16 <= have => (16, be(&self.bytes[at + 8..at + 16])),
                1 => return Ok(()),
                0 => (8, end - pos),
                size => (8, size),
            };
            if size < header {
                return Err(format!(
                    "the `{name}` box declares {size} bytes, less than its own header"
                ));
            }
            if size > end - pos {
                return Err(format!(
                    "the `{name}` box declares {size} bytes, more than the {} that hold it",
                    end - pos
                ));
            }
            let (body, body_end) = (pos + header, pos + size);
            if MP4_CONTAINERS.contains(&&kind) {
                self.walk(body, body_end, depth + 1)?;
            } else if let Some((skip, entry)) = table_layout(&kind, self.bytes.get(body as usize..).unwrap_or(&[])) {
                self.check_table(&name, body, body_end, skip, entry)?;
            }
            pos = body_end;
        }
        Ok(())
    }

    /// A sample table: `count` at `body + skip - 4`, then `count` entries of `entry` bytes,
    /// which must fit in the box and in the bytes at hand (symphonia reserves them all first).
    fn check_table(&self, name: &str, body: u64, body_end: u64, skip: u64, entry: u64) -> Result<(), String> {
        let have = self.bytes.len() as u64;
        if body + skip > have {
            return Ok(());
        }
        let count = be(&self.bytes[(body + skip - 4) as usize..(body + skip) as usize]);
        let needed = count.saturating_mul(entry);
        if needed > body_end.saturating_sub(body + skip) {
            return Err(format!(
                "the `{name}` box declares {count} entries, more than its {} bytes hold",
                body_end - body
            ));
        }
        if body + skip + needed > have {
            return Err(format!(
                "the `{name}` table ({count} entries) reaches past the first {have} bytes, where its header must be"
            ));
        }
        Ok(())
    }
}

/// Where a table box's entry count sits (the bytes before its entries, count included) and
/// each entry's size; `None` for boxes that are not tables (or an `stsz` of one constant size).
fn table_layout(kind: &[u8; 4], body: &[u8]) -> Option<(u64, u64)> {
    match kind {
        b"stsz" => (body.len() >= 8 && be(&body[4..8]) == 0).then_some((12, 4)),
        b"stco" | b"stss" => Some((8, 4)),
        b"co64" | b"stts" | b"ctts" => Some((8, 8)),
        b"stsc" => Some((8, 12)),
        _ => None,
    }
}

struct Mkv<'a> {
    bytes: &'a [u8],
}

const SEGMENT: u64 = 0x1853_8067;
const CLUSTER: u64 = 0x1F43_B675;
/// Elements whose children are walked.
const MKV_MASTERS: [u64; 8] = [
    SEGMENT,
    CLUSTER,
    0x1654_AE6B, // Tracks
    0xAE,        // TrackEntry
    0xE1,        // Audio
    0x1549_A966, // Info
    0xA0,        // BlockGroup
    0x6D80,      // ContentEncodings
];
/// Segment children: one of these ends a Cluster of unknown size.
const SEGMENT_CHILDREN: [u64; 8] = [
    CLUSTER,
    0x114D_9B74, // SeekHead
    0x1549_A966, // Info
    0x1654_AE6B, // Tracks
    0x1C53_BB6B, // Cues
    0x1043_A770, // Chapters
    0x1254_C367, // Tags
    0x1941_A469, // Attachments
];
const SIMPLE_BLOCK: u64 = 0xA3;
const BLOCK: u64 = 0xA1;

/// An EBML variable-length integer at `at`: (value with the marker removed, length, all ones);
/// `Ok(None)` when the bytes end first. A first byte of zero is no integer at all (symphonia's
/// reader overflows on it), so it is refused.
fn vint(bytes: &[u8], at: usize, keep_marker: bool) -> Result<Option<(u64, usize, bool)>, String> {
    let Some(&first) = bytes.get(at) else {
        return Ok(None);
    };
    if first == 0 {
        return Err("an element header holds an invalid size or id (a zero byte)".into());
    }
    let len = first.leading_zeros() as usize + 1;
    let Some(raw) = bytes.get(at..at + len).map(be) else {
        return Ok(None);
    };
    let value = if keep_marker {
        raw
    } else {
        raw & ((1u64 << (7 * len)) - 1)
    };
    let all_ones = raw & ((1u64 << (7 * len)) - 1) == (1u64 << (7 * len)) - 1;
    Ok(Some((value, len, all_ones)))
}

impl Mkv<'_> {
    /// Walks the elements from `start` up to `end`; returns where it stopped (inside a Cluster
    /// of unknown size, at the next Segment child).
    fn walk(&self, start: u64, end: u64, depth: usize, in_open_cluster: bool) -> Result<u64, String> {
        if depth > MAX_DEPTH {
            return Err("its elements are nested deeper than any real file".into());
        }
        let have = self.bytes.len() as u64;
        let mut pos = start;
        while pos < end.min(have) {
            let Some((id, id_len, _)) = vint(self.bytes, pos as usize, true)? else {
                return Ok(pos);
            };
            if in_open_cluster && SEGMENT_CHILDREN.contains(&id) {
                return Ok(pos);
            }
            let Some((size, size_len, unknown)) = vint(self.bytes, pos as usize + id_len, false)? else {
                return Ok(pos);
            };
            let body = pos + (id_len + size_len) as u64;
            let name = format!("{id:X}");
            if unknown {
                if id != SEGMENT && id != CLUSTER {
                    return Err(format!(
                        "the element {name} has an unknown size, which only a segment or cluster may"
                    ));
                }
                let stop = self.walk(body, end, depth + 1, id == CLUSTER)?;
                pos = stop.max(body);
                if stop >= end.min(have) {
                    return Ok(stop);
                }
                continue;
            }
            if size > end.saturating_sub(body) {
                return Err(format!(
                    "the element {name} declares {size} bytes, more than the {} that hold it",
                    end.saturating_sub(body)
                ));
            }
            let body_end = body + size;
            if MKV_MASTERS.contains(&id) {
                self.walk(body, body_end, depth + 1, false)?;
            } else if depth >= 2 && size > MAX_IN_MEMORY_ELEMENT {
                return Err(format!(
                    "the element {name} declares {size} bytes, more than a recording's element can need"
                ));
            } else if id == SIMPLE_BLOCK || id == BLOCK {
                self.check_lacing(&name, body, body_end)?;
            }
            pos = body_end;
        }
        Ok(pos)
    }

    /// A block's laced frame sizes must add up to no more than the block.
    fn check_lacing(&self, name: &str, body: u64, body_end: u64) -> Result<(), String> {
        let Some(block) = self.bytes.get(body as usize..(body_end as usize).min(self.bytes.len())) else {
            return Ok(());
        };
        let Some((_, track_len, _)) = vint(block, 0, false)? else {
            return Ok(());
        };
        let flags_at = track_len + 2;
        let (Some(&flags), Some(&laced)) = (block.get(flags_at), block.get(flags_at + 1)) else {
            return Ok(());
        };
        let frames = usize::from(laced) + 1;
        let mut at = flags_at + 2;
        let room = body_end - body;
        let too_big =
            |sum: u64| format!("the block {name} declares {frames} laced frames of {sum} bytes, more than its {room}");
        match (flags >> 1) & 3 {
            1 => {
                let mut sum = 0u64;
                for _ in 1..frames {
                    loop {
                        let Some(&b) = block.get(at) else { return Ok(()) };
                        at += 1;
                        sum += u64::from(b);
                        if b != 255 {
                            break;
                        }
                    }
                    if sum > room {
                        return Err(too_big(sum));
                    }
                }
            }
            3 => {
                let Some((first, len, _)) = vint(block, at, false)? else {
                    return Ok(());
                };
                at += len;
                let (mut size, mut sum) = (first as i128, first as i128);
                for _ in 2..frames {
                    if sum > i128::from(room) {
                        break;
                    }
                    let Some((raw, len, _)) = vint(block, at, false)? else {
                        return Ok(());
                    };
                    at += len;
                    let bias = (1i128 << (7 * len - 1)) - 1;
                    size += raw as i128 - bias;
                    if size < 0 {
                        return Err(format!("the block {name} declares a laced frame of negative size"));
                    }
                    sum += size;
                }
                if sum > i128::from(room) {
                    return Err(too_big(u64::try_from(sum).unwrap_or(u64::MAX)));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// RIFF WAVE: every chunk before `data` must fit in the file and be of a plausible size; the
/// `data` chunk may declare any size (recorders that stream write it before they know it).
fn riff(bytes: &[u8], total: u64) -> Result<(), String> {
    if bytes.get(0..4) != Some(b"RIFF") {
        // RF64/BW64 declare their sizes in `ds64`; symphonia reads those itself.
        return Ok(());
    }
    let mut pos = 12u64;
    let have = bytes.len() as u64;
    while pos + 8 <= have {
        let at = pos as usize;
        let id = &bytes[at..at + 4];
        let name = String::from_utf8_lossy(id).escape_debug().to_string();
        let size = le(&bytes[at + 4..at + 8]);
        if id == b"data" {
            return Ok(());
        }
        let left = total.saturating_sub(pos + 8);
        if size > left || size > MAX_RIFF_CHUNK {
            return Err(format!(
                "the `{name}` chunk declares {size} bytes, more than the {left} left in the file"
            ));
        }
        if id == b"LIST" {
            list(bytes, pos + 12, pos + 8 + size)?;
        }
        pos += 8 + size + (size & 1);
    }
    Ok(())
}

/// The entries of a `LIST` chunk must fit in it.
fn list(bytes: &[u8], start: u64, end: u64) -> Result<(), String> {
    let mut pos = start;
    while pos + 8 <= end.min(bytes.len() as u64) {
        let at = pos as usize;
        let name = String::from_utf8_lossy(&bytes[at..at + 4]).escape_debug().to_string();
        let size = le(&bytes[at + 4..at + 8]);
        if size > end - pos - 8 {
            return Err(format!(
                "the `{name}` entry declares {size} bytes, more than the {} left in its list",
                end - pos - 8
            ));
        }
        pos += 8 + size + (size & 1);
    }
    Ok(())
}
