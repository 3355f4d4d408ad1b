//! Recordings with hostile headers, built here byte by byte: MP4 sample tables declaring
//! billions of entries, Matroska elements of terabytes and impossible lacing, WAV chunks of
//! 4 GB and absurd channel counts, Ogg pages with absurd granules. Each goes through what the
//! transcribe step runs — the sniffer on the first bytes, then the probe on the prefix — and
//! must end in a clear input error or a correct read: no panic, no allocation sized by the
//! declared numbers (peak measured by this binary's counting allocator), no endless loop.

use interview_speech::probe::probe;
use interview_transcript::media::{sniff, MediaError, MediaFormat, MediaInfo, ProbeInput, Sniffed, SNIFF_BYTES};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts live heap bytes and their peak, for the whole process.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Ordering::SeqCst) + by;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most one probe may allocate on top of what was live before it.
const MAX_PEAK_BYTES: usize = 64 << 20;
/// The most one probe may take (a debug build on a shared machine).
const MAX_SECONDS: u64 = 20;

/// One case at a time, so the peak is this case's.
static SERIAL: Mutex<()> = Mutex::new(());

/// Sniffs and probes `bytes` as the transcribe step does (the whole file is the prefix here);
/// the probe's answer and the bytes it allocated at its peak.
fn run(name: &str, bytes: Vec<u8>) -> (Result<MediaInfo, MediaError>, usize) {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let started = Instant::now();
    let (tx, rx) = std::sync::mpsc::channel();
    let case = name.to_string();
    std::thread::spawn(move || {
        let head = &bytes[..bytes.len().min(SNIFF_BYTES as usize)];
        let Sniffed::Media(format) = sniff(head) else {
            panic!("{case}: does not sniff as media: {:?}", sniff(head));
        };
        let answer = probe(
            ProbeInput::Prefix {
                bytes: &bytes,
                total: bytes.len() as u64,
            },
            format,
        );
        let _ = tx.send(answer);
    });
    let answer = match rx.recv_timeout(Duration::from_secs(MAX_SECONDS)) {
        Ok(answer) => answer,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("{name}: still probing after {MAX_SECONDS} s"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => panic!("{name}: the probe panicked"),
    };
    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(base);
    assert!(
        started.elapsed() < Duration::from_secs(MAX_SECONDS),
        "{name}: {:?}",
        started.elapsed()
    );
    assert!(
        peak < MAX_PEAK_BYTES,
        "{name}: the probe allocated {peak} bytes at its peak"
    );
    eprintln!("{name}: peak {peak} bytes in {:?}", started.elapsed());
    (answer, peak)
}

/// The case must be refused as an input problem a person can act on.
fn refused(name: &str, bytes: Vec<u8>) -> String {
    let (answer, _) = run(name, bytes);
    let err = answer.expect_err(name);
    let text = format!("the recording {err}");
    assert!(
        matches!(
            err,
            MediaError::Unreadable { .. } | MediaError::Corrupt { .. } | MediaError::NoAudio { .. }
        ),
        "{name}: {text}"
    );
    text
}

// ---------------------------------------------------------------------------------------------
// MP4: boxes, and a 16 kHz mono 16-bit PCM (`sowt`) track whose sample tables can lie.

fn mp4_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(payload);
    out
}

fn full_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut body = vec![0, 0, 0, 0];
    body.extend_from_slice(payload);
    mp4_box(kind, &body)
}

fn be32(values: &[u32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

/// The sample tables: (stts, stsc, stsz, chunk offsets box), each a whole box.
struct Tables {
    stts: Vec<u8>,
    stsc: Vec<u8>,
    stsz: Vec<u8>,
    stco: Vec<u8>,
}

const MP4_RATE: u32 = 16_000;
const MP4_SAMPLES: u32 = 16_000;

/// An M4A of one second of silence with `tables(mdat payload offset)` as its sample tables.
fn mp4(tables: impl Fn(u32) -> Tables) -> Vec<u8> {
    let ftyp = mp4_box(b"ftyp", b"M4A \0\0\0\0M4A isom");
    let build = |mdat_offset: u32| {
        let mut mvhd = be32(&[0, 0, 1000, 1000, 0x0001_0000]);
        mvhd.extend_from_slice(&[1, 0, 0, 0]);
        mvhd.extend_from_slice(&[0; 8]);
        mvhd.extend_from_slice(&be32(&[0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]));
        mvhd.extend_from_slice(&[0; 24]);
        mvhd.extend_from_slice(&be32(&[2]));
        let mut tkhd = be32(&[0, 0, 1, 0, 1000, 0, 0]);
        tkhd.extend_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0]);
        tkhd.extend_from_slice(&be32(&[0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000, 0, 0]));
        let mut mdhd = be32(&[0, 0, MP4_RATE, MP4_SAMPLES]);
        mdhd.extend_from_slice(&[0x55, 0xc4, 0, 0]);
        let mut hdlr = be32(&[0]);
        hdlr.extend_from_slice(b"soun");
        hdlr.extend_from_slice(&[0; 13]);
        // A version 0 audio sample entry: 1 channel, 16 bits, 16 kHz (16.16 fixed point).
        let mut sowt = vec![0; 6];
        sowt.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 16, 0, 0, 0, 0]);
        sowt.extend_from_slice(&(MP4_RATE << 16).to_be_bytes());
        let mut stsd = be32(&[1]);
        stsd.extend_from_slice(&mp4_box(b"sowt", &sowt));
        let t = tables(mdat_offset);
        let stbl = [full_box(b"stsd", &stsd), t.stts, t.stsc, t.stsz, t.stco].concat();
        let minf = [full_box(b"smhd", &[0; 4]), mp4_box(b"stbl", &stbl)].concat();
        let mdia = [
            full_box(b"mdhd", &mdhd),
            full_box(b"hdlr", &hdlr),
            mp4_box(b"minf", &minf),
        ]
        .concat();
        let trak = [full_box(b"tkhd", &tkhd), mp4_box(b"mdia", &mdia)].concat();
        mp4_box(b"moov", &[full_box(b"mvhd", &mvhd), mp4_box(b"trak", &trak)].concat())
    };
    // The tables point into mdat, whose place depends on moov's size, which they do not change.
    let moov_len = build(0).len() as u32;
    let mdat_offset = ftyp.len() as u32 + moov_len + 8;
    let mdat = mp4_box(b"mdat", &vec![0; (MP4_SAMPLES * 2) as usize]);
    [ftyp, build(mdat_offset), mdat].concat()
}

fn sane_tables(mdat_offset: u32) -> Tables {
    Tables {
        stts: full_box(b"stts", &be32(&[1, MP4_SAMPLES, 1])),
        stsc: full_box(b"stsc", &be32(&[1, 1, MP4_SAMPLES, 1])),
        stsz: full_box(b"stsz", &be32(&[2, MP4_SAMPLES])),
        stco: full_box(b"stco", &be32(&[1, mdat_offset])),
    }
}

const BILLIONS: u32 = 0xFFFF_FFF0;

/// Sample tables for an `mdat` payload at the given offset.
type TablesAt = fn(u32) -> Tables;

#[test]
fn mp4_sample_tables_declaring_billions_of_entries_are_refused() {
    let (sane, _) = run("mp4 control", mp4(sane_tables));
    let info = sane.expect("the control file is a correct one-second recording");
    assert_eq!(
        (info.format, info.sample_rate, info.channels),
        (MediaFormat::M4a, Some(16_000), Some(1))
    );
    assert!((info.duration.unwrap() - 1.0).abs() < 0.01, "{info:?}");

    let cases: [(&str, TablesAt); 5] = [
        ("stsz", |o| Tables {
            stsz: full_box(b"stsz", &be32(&[0, BILLIONS])),
            ..sane_tables(o)
        }),
        ("stco", |_| Tables {
            stco: full_box(b"stco", &be32(&[BILLIONS])),
            ..sane_tables(0)
        }),
        ("co64", |_| Tables {
            stco: full_box(b"co64", &be32(&[BILLIONS])),
            ..sane_tables(0)
        }),
        ("stts", |o| Tables {
            stts: full_box(b"stts", &be32(&[BILLIONS])),
            ..sane_tables(o)
        }),
        ("stsc", |o| Tables {
            stsc: full_box(b"stsc", &be32(&[BILLIONS])),
            ..sane_tables(o)
        }),
    ];
    for (table, tables) in cases {
        let text = refused(&format!("mp4 {table}"), mp4(tables));
        assert!(text.contains("M4A"), "{table}: {text}");
    }
}

#[test]
fn an_mp4_box_larger_than_the_file_is_refused() {
    let mut bytes = mp4(sane_tables);
    // moov (right after the 24-byte ftyp) claims 4 GB.
    bytes[24..28].copy_from_slice(&u32::MAX.to_be_bytes());
    refused("mp4 moov size", bytes);
}

// ---------------------------------------------------------------------------------------------
// Matroska/WebM: EBML elements, and a 16 kHz mono PCM track whose sizes can lie.

/// An EBML size as an 8-byte vint (any value below 2^56 - 1).
fn vint8(size: u64) -> Vec<u8> {
    let mut out = (size | (1 << 56)).to_be_bytes().to_vec();
    out[0] = 0x01;
    out
}

fn element(id: &[u8], payload: &[u8]) -> Vec<u8> {
    [id, &vint8(payload.len() as u64), payload].concat()
}

fn element_with_size(id: &[u8], declared: u64, payload: &[u8]) -> Vec<u8> {
    [id, &vint8(declared), payload].concat()
}

/// A WebM of 100 PCM frames per block in `blocks` (each a whole Cluster child).
fn webm(track_extra: &[u8], blocks: &[Vec<u8>]) -> Vec<u8> {
    let header = element(
        &[0x1A, 0x45, 0xDF, 0xA3],
        &[element(&[0x42, 0x82], b"webm"), element(&[0x42, 0x87], &[4])].concat(),
    );
    let info = element(
        &[0x15, 0x49, 0xA9, 0x66],
        &element(&[0x2A, 0xD7, 0xB1], &[0x0F, 0x42, 0x40]),
    );
    let audio = element(
        &[0xE1],
        &[
            element(&[0xB5], &16_000f64.to_be_bytes()),
            element(&[0x9F], &[1]),
            element(&[0x62, 0x64], &[16]),
        ]
        .concat(),
    );
    let track = element(
        &[0xAE],
        &[
            element(&[0xD7], &[1]),
            element(&[0x73, 0xC5], &[1]),
            element(&[0x83], &[2]),
            element(&[0x86], b"A_PCM/INT/LIT"),
            // 100 frames at 16 kHz: 6.25 ms per block.
            element(&[0x23, 0xE3, 0x83], &6_250_000u32.to_be_bytes()),
            audio,
            track_extra.to_vec(),
        ]
        .concat(),
    );
    let tracks = element(&[0x16, 0x54, 0xAE, 0x6B], &track);
    let cluster = element(
        &[0x1F, 0x43, 0xB6, 0x75],
        &[element(&[0xE7], &[0]), blocks.concat()].concat(),
    );
    // The Segment's size is "unknown", as live recorders write it.
    let mut segment = vec![0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
    segment.extend_from_slice(&[info, tracks, cluster].concat());
    [header, segment].concat()
}

/// A SimpleBlock of track 1 at `timecode` with `flags` and `payload`.
fn simple_block(timecode: i16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![0x81];
    body.extend_from_slice(&timecode.to_be_bytes());
    body.push(flags);
    body.extend_from_slice(payload);
    element(&[0xA3], &body)
}

fn pcm_blocks() -> Vec<Vec<u8>> {
    (0..40).map(|i| simple_block(i * 6, 0x80, &[0; 200])).collect()
}

#[test]
fn matroska_sizes_of_terabytes_and_impossible_lacing_are_refused() {
    let (sane, _) = run("webm control", webm(&[], &pcm_blocks()));
    let info = sane.expect("the control file is a correct recording");
    assert_eq!(
        (info.format, info.codec.as_str()),
        (MediaFormat::Webm, "pcm_s16le"),
        "{info:?}"
    );

    const TERABYTES: u64 = 5 << 40;
    // A SimpleBlock that declares 5 TB.
    let mut blocks = pcm_blocks();
    blocks.insert(3, element_with_size(&[0xA3], TERABYTES, &[0x81, 0, 0, 0x80, 0, 0]));
    refused("webm simpleblock size", webm(&[], &blocks));
    // CodecPrivate (binary, read into memory) that declares 5 TB, inside the track entry.
    let private = element_with_size(&[0x63, 0xA2], TERABYTES, &[1, 2, 3]);
    refused("webm codec private size", webm(&private, &pcm_blocks()));
    // EBML lacing (flags 0x06) of 256 frames whose first size is 5 TB.
    let mut laced = vec![0xFF];
    laced.extend_from_slice(&vint8(TERABYTES));
    laced.extend_from_slice(&[0; 64]);
    let mut blocks = pcm_blocks();
    blocks.insert(0, simple_block(0, 0x86, &laced));
    refused("webm ebml lacing", webm(&[], &blocks));
    // Xiph lacing (flags 0x02) whose sizes add up to far more than the block.
    let mut xiph = vec![0xFE];
    xiph.extend(std::iter::repeat_n(0xFF, 3000));
    xiph.push(0);
    let mut blocks = pcm_blocks();
    blocks.insert(0, simple_block(0, 0x82, &xiph));
    refused("webm xiph lacing", webm(&[], &blocks));
    // A zero byte where an element's size starts (no EBML integer begins with it).
    let mut blocks = pcm_blocks();
    blocks.insert(2, vec![0xA3, 0x00, 0x81, 0, 0, 0x80]);
    refused("webm zero vint", webm(&[], &blocks));
    // EBML lacing whose second size starts with a zero byte.
    let mut blocks = pcm_blocks();
    blocks.insert(0, simple_block(0, 0x86, &[0x03, 0x81, 0x00, 0x00, 0, 0, 0, 0]));
    refused("webm zero lacing vint", webm(&[], &blocks));
}

// ---------------------------------------------------------------------------------------------
// WAV: RIFF chunks.

fn chunk(id: &[u8; 4], declared: u32, payload: &[u8]) -> Vec<u8> {
    [&id[..], &declared.to_le_bytes(), payload].concat()
}

fn fmt_pcm(channels: u16, rate: u32) -> Vec<u8> {
    let align = channels.wrapping_mul(2);
    [
        &1u16.to_le_bytes()[..],
        &channels.to_le_bytes(),
        &rate.to_le_bytes(),
        &rate.wrapping_mul(u32::from(align)).to_le_bytes(),
        &align.to_le_bytes(),
        &16u16.to_le_bytes(),
    ]
    .concat()
}

fn wav(chunks: &[Vec<u8>]) -> Vec<u8> {
    let body = chunks.concat();
    [&b"RIFF"[..], &((body.len() + 4) as u32).to_le_bytes(), b"WAVE", &body].concat()
}

#[test]
fn wav_chunks_of_gigabytes_and_absurd_channel_counts_end_clearly() {
    let fmt = chunk(b"fmt ", 16, &fmt_pcm(1, 16_000));
    let audio = vec![0u8; 32_000];
    // A `data` chunk that declares 4 GB in a 32 KB file (and a RIFF of 4 GB) is read for what
    // it says: a stream recorder writes that size before it knows the length. The probe
    // answers with the declared duration (the duration limits then refuse 37 hours),
    // allocating nothing for it.
    let mut streamed = wav(&[fmt.clone(), chunk(b"data", u32::MAX - 36, &audio)]);
    streamed[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    let (answer, _) = run("wav data 4 GB", streamed);
    let info = answer.expect("a 4 GB data chunk is a correct read of the header");
    assert!(info.duration.unwrap() > 3600.0, "{info:?}");
    // The same inside a RIFF that says the file is small: symphonia refuses the contradiction.
    refused(
        "wav data 4 GB in a small RIFF",
        wav(&[fmt.clone(), chunk(b"data", u32::MAX, &audio)]),
    );

    // A LIST INFO entry that declares 4 GB.
    let info_entry = chunk(b"INAM", 0xFFFF_FFF0, b"Rosa");
    let list = chunk(
        b"LIST",
        (4 + info_entry.len()) as u32,
        &[&b"INFO"[..], &info_entry].concat(),
    );
    refused(
        "wav list info 4 GB",
        wav(&[fmt.clone(), list, chunk(b"data", audio.len() as u32, &audio)]),
    );
    // A chunk before `data` that declares more than the file holds.
    refused(
        "wav unknown chunk 4 GB",
        wav(&[
            fmt.clone(),
            chunk(b"junk", 0xFFFF_FFF0, &[0; 16]),
            chunk(b"data", 32_000, &audio),
        ]),
    );
    // A `fmt ` chunk that declares 4 GB.
    refused(
        "wav fmt 4 GB",
        wav(&[
            chunk(b"fmt ", 0xFFFF_FFF0, &fmt_pcm(1, 16_000)),
            chunk(b"data", 32_000, &audio),
        ]),
    );
    // 65,535 channels, and a sample rate of 4 billion.
    for (name, fmt) in [
        ("wav 65535 channels", fmt_pcm(u16::MAX, 16_000)),
        ("wav absurd rate", fmt_pcm(1, u32::MAX)),
        ("wav zero channels", fmt_pcm(0, 16_000)),
    ] {
        let (answer, _) = run(name, wav(&[chunk(b"fmt ", 16, &fmt), chunk(b"data", 32_000, &audio)]));
        if let Ok(info) = answer {
            // A correct read is fine as long as it says what the header says.
            assert!(
                info.channels.is_some() || info.sample_rate.is_some(),
                "{name}: {info:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Ogg: pages (with their CRC), an Opus stream.

fn ogg_crc(data: &[u8]) -> u32 {
    let mut crc = 0u32;
    for &byte in data {
        crc ^= u32::from(byte) << 24;
        for _ in 0..8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04C1_1DB7
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// One page of `packet` (at most 255 × 255 bytes) with `flags`, `granule` and `sequence`.
fn ogg_page(flags: u8, granule: u64, sequence: u32, packet: &[u8]) -> Vec<u8> {
    let mut lacing = vec![255u8; packet.len() / 255];
    lacing.push((packet.len() % 255) as u8);
    let mut page = b"OggS".to_vec();
    page.push(0);
    page.push(flags);
    page.extend_from_slice(&granule.to_le_bytes());
    page.extend_from_slice(&7u32.to_le_bytes());
    page.extend_from_slice(&sequence.to_le_bytes());
    page.extend_from_slice(&[0; 4]);
    page.push(lacing.len() as u8);
    page.extend_from_slice(&lacing);
    page.extend_from_slice(packet);
    let crc = ogg_crc(&page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
    page
}

fn opus(last_granule: u64) -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.extend_from_slice(&[1, 1]);
    head.extend_from_slice(&312u16.to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&[0, 0, 0]);
    let mut tags = b"OpusTags".to_vec();
    tags.extend_from_slice(&4u32.to_le_bytes());
    tags.extend_from_slice(b"test");
    tags.extend_from_slice(&0u32.to_le_bytes());
    let mut out = [ogg_page(2, 0, 0, &head), ogg_page(0, 0, 1, &tags)].concat();
    // Twenty-millisecond silent Opus frames (TOC 0xF8, one frame, no data).
    for i in 0..50u32 {
        let granule = if i == 49 { last_granule } else { u64::from(i + 1) * 960 };
        out.extend_from_slice(&ogg_page(
            if i == 49 { 4 } else { 0 },
            granule,
            i + 2,
            &[0xF8, 0xFF, 0xFE],
        ));
    }
    out
}

#[test]
fn ogg_pages_with_absurd_granules_end_clearly() {
    let (sane, _) = run("ogg control", opus(50 * 960));
    let info = sane.expect("the control file is a correct second of silence");
    assert!((info.duration.unwrap() - 1.0).abs() < 0.05, "{info:?}");
    for (name, granule) in [
        ("ogg granule u64::MAX", u64::MAX),
        ("ogg granule 2^63", 1 << 63),
        ("ogg granule before the first", 10),
    ] {
        let (answer, _) = run(name, opus(granule));
        if let Ok(info) = answer {
            let duration = info.duration.unwrap_or(0.0);
            assert!(duration.is_finite() && duration >= 0.0, "{name}: {info:?}");
        }
    }
    // A page that declares 255 segments of 255 bytes in a file that ends after its header.
    let mut cut = opus(50 * 960);
    let mut page = ogg_page(0, 60 * 960, 52, &vec![0; 255 * 255 - 1]);
    page.truncate(27 + 255 + 10);
    cut.extend_from_slice(&page);
    let (answer, _) = run("ogg page cut short", cut);
    if let Ok(info) = answer {
        assert!(info.duration.is_some(), "{info:?}");
    }
}
