//! A bounded, panic-free reader of the MP4 / QuickTime box structure.
//!
//! Only what the pre-flight needs (graph-api.md §2.3): duration, codecs, frame rate, dimensions
//! and whether `moov` comes before `mdat`. It reads a *prefix* of the file (Meta's spec wants the
//! moov atom at the front, so a prefix normally holds it), which is why it does not use a crate
//! such as `mp4parse` or `mp4`: those expect the whole file and fail on a truncated `mdat`.
//!
//! Every read is bounds-checked, the nesting depth and the number of boxes are capped, and a
//! box that claims more bytes than exist is an error, never an out-of-bounds read. A fuzz
//! target can call [`parse_mp4`] with any bytes.

use std::fmt;

/// How deep boxes may nest before the input is treated as hostile; real files stay under 10.
const MAX_DEPTH: usize = 16;
/// How many boxes one parse visits at most, so a file of millions of empty boxes stays cheap.
const MAX_BOXES: usize = 10_000;
/// How many `stts` entries are summed at most; beyond that the frame rate is left unknown.
const MAX_STTS_ENTRIES: u32 = 1_000_000;

/// What [`parse_mp4`] learned from the bytes it was given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mp4Facts {
    /// The major brand of `ftyp` (e.g. `isom`, `mp42`, `qt  `), when there is one.
    pub major_brand: Option<String>,
    /// Where the `moov` box sits relative to `mdat`.
    pub layout: MoovLayout,
    /// Movie duration in seconds, from `mvhd` (or the longest track when `mvhd` says 0).
    pub duration_secs: Option<f64>,
    /// One entry per `trak`, in file order.
    pub tracks: Vec<TrackFacts>,
}

impl Mp4Facts {
    /// The first video track, which is the one Meta's spec talks about.
    pub fn video(&self) -> Option<&TrackFacts> {
        self.tracks.iter().find(|t| t.kind == TrackKind::Video)
    }

    /// The first audio track.
    pub fn audio(&self) -> Option<&TrackFacts> {
        self.tracks.iter().find(|t| t.kind == TrackKind::Audio)
    }
}

/// Where the `moov` box is, relative to the media data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MoovLayout {
    /// `moov` starts before the first `mdat` ("moov atom at front", graph-api.md §2.3).
    #[default]
    MoovFirst,
    /// `mdat` comes first; `moov` may follow at `next_box_offset` (the byte after `mdat`).
    MdatFirst {
        /// File offset of the first box after `mdat`, where `moov` usually is; `None` when
        /// `mdat` declares that it runs to the end of the file.
        next_box_offset: Option<u64>,
    },
    /// `moov` starts in the given bytes but does not end in them.
    MoovTruncated {
        /// File offset where `moov` starts.
        offset: u64,
        /// The size `moov` declares, in bytes.
        size: u64,
    },
}

/// What one track (`trak`) holds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackFacts {
    /// From the handler (`hdlr`) box.
    pub kind: TrackKind,
    /// The sample entry's four-character code from `stsd` (e.g. `avc1`, `hvc1`, `mp4a`).
    pub codec: Option<FourCc>,
    /// Width in pixels, from `tkhd` (falling back to the visual sample entry).
    pub width: Option<u32>,
    /// Height in pixels, from `tkhd` (falling back to the visual sample entry).
    pub height: Option<u32>,
    /// Track duration in seconds, from `mdhd`.
    pub duration_secs: Option<f64>,
    /// Average frames (samples) per second, from `stts` and `mdhd`.
    pub frame_rate: Option<f64>,
    /// Audio sample rate in Hz, from the audio track's timescale (or its sample entry).
    pub sample_rate: Option<u32>,
    /// Whether the track has an edit list (`edts`), which Meta's spec forbids for reels.
    pub has_edit_list: bool,
}

/// The kind of a track, from its handler type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrackKind {
    /// `vide`
    Video,
    /// `soun`
    Audio,
    /// Any other handler (hint, text, metadata…) or none.
    #[default]
    Other,
}

/// A four-character code as found in the file.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// The code as text, with non-printable bytes replaced so it is safe to show.
    pub fn as_text(&self) -> String {
        self.0
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '?'
                }
            })
            .collect()
    }

    /// The codec family Instagram cares about (graph-api.md §2.3: HEVC or H264, AAC).
    pub fn codec_family(&self) -> CodecFamily {
        match &self.0 {
            b"avc1" | b"avc3" => CodecFamily::H264,
            b"hvc1" | b"hev1" => CodecFamily::Hevc,
            b"mp4a" => CodecFamily::Aac,
            _ => CodecFamily::Other,
        }
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FourCc({:?})", self.as_text())
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_text())
    }
}

/// The codec families the media rules name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodecFamily {
    /// H.264 / AVC (`avc1`, `avc3`).
    H264,
    /// H.265 / HEVC (`hvc1`, `hev1`).
    Hevc,
    /// AAC audio (`mp4a`; the object type is not inspected).
    Aac,
    /// Anything else.
    Other,
}

/// Why the bytes are not a readable MP4/MOV prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mp4Error {
    /// The first box is not a known top-level MP4/QuickTime box.
    #[error("not an MP4 or MOV file: it starts with {found:?}, not an ftyp/moov/mdat box")]
    NotMp4 {
        /// The box type (or bytes) found at the start, shown safely.
        found: String,
    },
    /// A box header or a box's fields are cut short or inconsistent.
    #[error("malformed {box_type} box at byte {offset}: {reason}")]
    Malformed {
        /// The box type.
        box_type: String,
        /// Its file offset (relative to the bytes given).
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The structure nests deeper or holds more boxes than any real file does.
    #[error("the box structure exceeds the parser's bounds ({reason})")]
    TooComplex {
        /// Which bound was hit.
        reason: &'static str,
    },
    /// Neither `moov` nor a way to find it is in the bytes given.
    #[error("no moov box in the first {scanned} bytes")]
    NoMoov {
        /// How many bytes were scanned.
        scanned: usize,
    },
}

/// Parse the box structure of an MP4/MOV prefix.
///
/// `bytes` starts at file offset 0 (or at any top-level box boundary, e.g. a tail range that
/// starts where `mdat` ends). Returns the facts found; when `moov` is not fully inside `bytes`
/// the [`MoovLayout`] says where to fetch it and the track list is empty.
pub fn parse_mp4(bytes: &[u8]) -> Result<Mp4Facts, Mp4Error> {
    parse_mp4_at(bytes, 0)
}

/// Like [`parse_mp4`], for bytes that start at file offset `base_offset` (offsets in the
/// returned layout are file offsets).
pub fn parse_mp4_at(bytes: &[u8], base_offset: u64) -> Result<Mp4Facts, Mp4Error> {
    let mut budget = MAX_BOXES;
    let mut facts = Mp4Facts::default();
    let mut found_moov = false;
    let mut first = true;
    let mut pos = 0usize;
    while pos < bytes.len() {
        let header = match read_header(bytes, pos, base_offset)? {
            Some(h) => h,
            // Fewer than 8 bytes left: a cut-off header, not an error for a prefix.
            None => break,
        };
        spend(&mut budget)?;
        if first {
            check_top_level_type(&header)?;
            first = false;
        }
        let available_end = bytes.len();
        match &header.box_type.0 {
            b"ftyp" => {
                if let Some(end) = header.end_within(available_end) {
                    let body = bytes.get(header.body..end).unwrap_or_default();
                    facts.major_brand = read_fourcc(body, 0).map(|brand| brand.as_text());
                }
            }
            b"moov" => {
                match header.end_within(available_end) {
                    Some(end) => {
                        let body = bytes.get(header.body..end).unwrap_or_default();
                        parse_moov(body, &header, &mut facts, &mut budget)?;
                        found_moov = true;
                    }
                    None => {
                        if facts.layout == MoovLayout::MoovFirst {
                            facts.layout = MoovLayout::MoovTruncated {
                                offset: base_offset + pos as u64,
                                size: header.declared_size(bytes.len()),
                            };
                        }
                    }
                }
                break;
            }
            b"mdat" => {
                let next = header
                    .size
                    .map(|size| base_offset.saturating_add(pos as u64).saturating_add(size));
                facts.layout = MoovLayout::MdatFirst {
                    next_box_offset: next,
                };
                if header.end_within(available_end).is_none() {
                    // The rest is media data we were not given; moov (if any) is further on.
                    break;
                }
            }
            _ => {}
        }
        match header.end_within(available_end) {
            Some(end) if end > pos => pos = end,
            _ => break,
        }
    }
    if first {
        return Err(Mp4Error::NotMp4 {
            found: safe_prefix(bytes),
        });
    }
    if !found_moov && facts.layout == MoovLayout::MoovFirst {
        return Err(Mp4Error::NoMoov {
            scanned: bytes.len(),
        });
    }
    Ok(facts)
}

fn check_top_level_type(header: &BoxHeader) -> Result<(), Mp4Error> {
    // QuickTime files may start with wide/free/skip before moov or mdat.
    match &header.box_type.0 {
        b"ftyp" | b"moov" | b"mdat" | b"wide" | b"free" | b"skip" | b"pnot" => Ok(()),
        _ => Err(Mp4Error::NotMp4 {
            found: header.box_type.as_text(),
        }),
    }
}

fn safe_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn spend(budget: &mut usize) -> Result<(), Mp4Error> {
    *budget = budget.checked_sub(1).ok_or(Mp4Error::TooComplex {
        reason: "more than 10000 boxes",
    })?;
    Ok(())
}

/// A box header, with positions relative to the slice it was read from.
#[derive(Debug, Clone, Copy)]
struct BoxHeader {
    box_type: FourCc,
    start: usize,
    body: usize,
    /// `None` when the size is 0 ("to the end of the file").
    size: Option<u64>,
    file_offset: u64,
}

impl BoxHeader {
    /// The slice end of this box, if all of it lies within `available` bytes.
    fn end_within(&self, available: usize) -> Option<usize> {
        match self.size {
            None => Some(available),
            Some(size) => {
                let end = (self.start as u64).checked_add(size)?;
                let end = usize::try_from(end).ok()?;
                (end <= available).then_some(end)
            }
        }
    }

    fn declared_size(&self, available: usize) -> u64 {
        self.size
            .unwrap_or((available.saturating_sub(self.start)) as u64)
    }

    fn malformed(&self, reason: &'static str) -> Mp4Error {
        Mp4Error::Malformed {
            box_type: self.box_type.as_text(),
            offset: self.file_offset,
            reason,
        }
    }
}

/// Reads the header at `pos`; `Ok(None)` when fewer bytes than a header remain.
fn read_header(bytes: &[u8], pos: usize, base_offset: u64) -> Result<Option<BoxHeader>, Mp4Error> {
    let Some(size32) = read_u32(bytes, pos) else {
        return Ok(None);
    };
    let Some(box_type) = read_fourcc(bytes, pos + 4) else {
        return Ok(None);
    };
    let file_offset = base_offset.saturating_add(pos as u64);
    let (size, header_len) = match size32 {
        0 => (None, 8u64),
        1 => match read_u64(bytes, pos + 8) {
            Some(large) => (Some(large), 16u64),
            None => return Ok(None),
        },
        n => (Some(u64::from(n)), 8u64),
    };
    let header = BoxHeader {
        box_type,
        start: pos,
        body: pos + header_len as usize,
        size,
        file_offset,
    };
    if let Some(size) = size
        && size < header_len
    {
        return Err(header.malformed("declared size is smaller than its header"));
    }
    Ok(Some(header))
}

/// Iterates over the complete child boxes of `body`; a child running past the end is an error.
fn children<'a>(
    body: &'a [u8],
    parent: &BoxHeader,
    budget: &mut usize,
) -> Result<Vec<(BoxHeader, &'a [u8])>, Mp4Error> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    let base = parent.file_offset + (parent.body - parent.start) as u64;
    while pos + 8 <= body.len() {
        let Some(header) = read_header(body, pos, base)? else {
            break;
        };
        spend(budget)?;
        let end = header
            .end_within(body.len())
            .ok_or_else(|| header.malformed("box runs past its parent"))?;
        let content = body
            .get(header.body..end)
            .ok_or_else(|| header.malformed("box runs past its parent"))?;
        out.push((header, content));
        if end <= pos {
            break;
        }
        pos = end;
    }
    Ok(out)
}

fn parse_moov(
    body: &[u8],
    moov: &BoxHeader,
    facts: &mut Mp4Facts,
    budget: &mut usize,
) -> Result<(), Mp4Error> {
    for (header, content) in children(body, moov, budget)? {
        match &header.box_type.0 {
            b"mvhd" => {
                let (timescale, duration) = read_timescale_and_duration(content, &header, 12, 20)?;
                facts.duration_secs = seconds(duration, timescale);
            }
            b"trak" => facts.tracks.push(parse_trak(content, &header, budget, 1)?),
            _ => {}
        }
    }
    if facts.duration_secs.is_none_or(|d| d == 0.0) {
        facts.duration_secs = facts
            .tracks
            .iter()
            .filter_map(|t| t.duration_secs)
            .reduce(f64::max);
    }
    Ok(())
}

fn parse_trak(
    body: &[u8],
    trak: &BoxHeader,
    budget: &mut usize,
    depth: usize,
) -> Result<TrackFacts, Mp4Error> {
    let mut track = TrackFacts::default();
    let mut timescale = None;
    let mut sample_total = None;
    walk(body, trak, budget, depth, &mut |header, content| {
        match &header.box_type.0 {
            b"tkhd" => {
                // Width and height are 16.16 fixed point at the end of tkhd (v0: 84, v1: 96).
                let version = *content
                    .first()
                    .ok_or_else(|| header.malformed("empty tkhd"))?;
                let at = if version == 1 { 88 } else { 76 };
                let w =
                    read_u32(content, at).ok_or_else(|| header.malformed("tkhd too short"))? >> 16;
                let h = read_u32(content, at + 4)
                    .ok_or_else(|| header.malformed("tkhd too short"))?
                    >> 16;
                if w > 0 && h > 0 {
                    track.width = Some(w);
                    track.height = Some(h);
                }
            }
            b"edts" => track.has_edit_list = true,
            b"mdhd" => {
                let (ts, duration) = read_timescale_and_duration(content, header, 12, 20)?;
                timescale = Some((ts, duration));
                track.duration_secs = seconds(duration, ts);
            }
            b"hdlr" => {
                // QuickTime has a second hdlr in minf (data handler, e.g. `alis`): only the
                // media handler names the track's kind, so an unknown code never overwrites it.
                match read_fourcc(content, 8).map(|c| c.0) {
                    Some(code) if &code == b"vide" => track.kind = TrackKind::Video,
                    Some(code) if &code == b"soun" => track.kind = TrackKind::Audio,
                    _ => {}
                }
            }
            b"stsd" => parse_stsd(content, header, &mut track)?,
            b"stts" => sample_total = sum_stts(content, header)?,
            _ => {}
        }
        Ok(())
    })?;
    // An audio track's timescale is its sample rate; the sample entry's 16.16 field cannot
    // hold rates above 65535 Hz, so it is only the fallback.
    if track.kind == TrackKind::Audio
        && let Some((ts, _)) = timescale
        && ts > 0
    {
        track.sample_rate = Some(ts);
    }
    if let (Some((ts, duration)), Some(samples)) = (timescale, sample_total)
        && duration > 0
        && ts > 0
        && track.kind == TrackKind::Video
    {
        track.frame_rate = Some(samples as f64 * f64::from(ts) / duration as f64);
    }
    Ok(track)
}

type BoxVisitor<'v> = dyn FnMut(&BoxHeader, &[u8]) -> Result<(), Mp4Error> + 'v;

/// Visits every box under `body`, descending into the containers on the way to `stsd`.
fn walk(
    body: &[u8],
    parent: &BoxHeader,
    budget: &mut usize,
    depth: usize,
    visit: &mut BoxVisitor<'_>,
) -> Result<(), Mp4Error> {
    if depth > MAX_DEPTH {
        return Err(Mp4Error::TooComplex {
            reason: "boxes nest deeper than 16 levels",
        });
    }
    for (header, content) in children(body, parent, budget)? {
        visit(&header, content)?;
        if matches!(&header.box_type.0, b"mdia" | b"minf" | b"stbl") {
            walk(content, &header, budget, depth + 1, visit)?;
        }
    }
    Ok(())
}

fn parse_stsd(content: &[u8], header: &BoxHeader, track: &mut TrackFacts) -> Result<(), Mp4Error> {
    // version/flags (4), entry_count (4), then the first sample entry: size (4), type (4).
    let count = read_u32(content, 4).ok_or_else(|| header.malformed("stsd too short"))?;
    if count == 0 {
        return Ok(());
    }
    let codec = read_fourcc(content, 12).ok_or_else(|| header.malformed("stsd entry too short"))?;
    track.codec = Some(codec);
    let entry = content.get(16..).unwrap_or_default();
    match track.kind {
        // VisualSampleEntry: 6 reserved + 2 index + 16 pre-defined/reserved, then width, height.
        TrackKind::Video if track.width.is_none() => {
            if let (Some(w), Some(h)) = (read_u16(entry, 24), read_u16(entry, 26)) {
                track.width = Some(u32::from(w));
                track.height = Some(u32::from(h));
            }
        }
        // AudioSampleEntry: 6 + 2 + 8 + channels 2 + size 2 + 4, then a 16.16 sample rate.
        TrackKind::Audio => track.sample_rate = read_u32(entry, 24).map(|r| r >> 16),
        _ => {}
    }
    Ok(())
}

fn sum_stts(content: &[u8], header: &BoxHeader) -> Result<Option<u64>, Mp4Error> {
    let count = read_u32(content, 4).ok_or_else(|| header.malformed("stts too short"))?;
    if count > MAX_STTS_ENTRIES {
        return Ok(None);
    }
    let mut total: u64 = 0;
    for i in 0..count as usize {
        let at = 8 + i * 8;
        let samples = read_u32(content, at)
            .ok_or_else(|| header.malformed("stts entries run past the box"))?;
        total = total.saturating_add(u64::from(samples));
    }
    Ok(Some(total))
}

/// mvhd and mdhd share a layout: version 0 has 32-bit times, version 1 64-bit ones.
fn read_timescale_and_duration(
    content: &[u8],
    header: &BoxHeader,
    v0_timescale_at: usize,
    v1_timescale_at: usize,
) -> Result<(u32, u64), Mp4Error> {
    let version = *content
        .first()
        .ok_or_else(|| header.malformed("empty box"))?;
    let short = || header.malformed("box too short for timescale and duration");
    if version == 1 {
        let ts = read_u32(content, v1_timescale_at).ok_or_else(short)?;
        let d = read_u64(content, v1_timescale_at + 4).ok_or_else(short)?;
        Ok((ts, d))
    } else {
        let ts = read_u32(content, v0_timescale_at).ok_or_else(short)?;
        let d = read_u32(content, v0_timescale_at + 4).ok_or_else(short)?;
        Ok((ts, u64::from(d)))
    }
}

fn seconds(duration: u64, timescale: u32) -> Option<f64> {
    // All-ones means "unknown" in both the 32- and 64-bit forms.
    (timescale > 0 && duration != u64::from(u32::MAX) && duration != u64::MAX)
        .then(|| duration as f64 / f64::from(timescale))
}

fn read_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let b: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_be_bytes(b))
}

fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

fn read_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

fn read_fourcc(bytes: &[u8], at: usize) -> Option<FourCc> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(FourCc(b))
}

#[cfg(test)]
#[path = "../../tests/it/media/mp4_builder.rs"]
mod mp4_builder;

#[cfg(test)]
mod tests {
    use super::mp4_builder::{Mp4Spec, build_mp4};
    use super::*;

    #[test]
    fn a_faststart_mp4_yields_duration_codecs_frame_rate_and_size() {
        let facts = parse_mp4(&build_mp4(&Mp4Spec::default())).unwrap();
        assert_eq!(facts.layout, MoovLayout::MoovFirst);
        assert_eq!(facts.major_brand.as_deref(), Some("isom"));
        assert_eq!(facts.duration_secs, Some(10.0));
        let video = facts.video().unwrap();
        assert_eq!(video.codec, Some(FourCc(*b"avc1")));
        assert_eq!(video.codec.unwrap().codec_family(), CodecFamily::H264);
        assert_eq!((video.width, video.height), (Some(1080), Some(1920)));
        assert!((video.frame_rate.unwrap() - 30.0).abs() < 1e-9);
        assert!(!video.has_edit_list);
        let audio = facts.audio().unwrap();
        assert_eq!(audio.codec.unwrap().codec_family(), CodecFamily::Aac);
        assert_eq!(audio.sample_rate, Some(44_100));
    }

    #[test]
    fn version_1_boxes_with_64_bit_times_are_read() {
        let spec = Mp4Spec {
            version1: true,
            duration_ms: 61_200,
            fps: 25,
            ..Mp4Spec::default()
        };
        let facts = parse_mp4(&build_mp4(&spec)).unwrap();
        assert_eq!(facts.duration_secs, Some(61.2));
        assert!((facts.video().unwrap().frame_rate.unwrap() - 25.0).abs() < 1e-9);
        assert_eq!(facts.video().unwrap().width, Some(1080));
    }

    #[test]
    fn mdat_before_moov_is_reported_with_where_moov_starts() {
        let spec = Mp4Spec {
            moov_first: false,
            mdat_bytes: 1000,
            ..Mp4Spec::default()
        };
        let bytes = build_mp4(&spec);
        // Only the head: ftyp and the start of mdat.
        let head = parse_mp4(&bytes[..200]).unwrap();
        let MoovLayout::MdatFirst {
            next_box_offset: Some(offset),
        } = head.layout
        else {
            panic!("{head:?}")
        };
        let tail = parse_mp4_at(&bytes[offset as usize..], offset).unwrap();
        assert_eq!(tail.video().unwrap().codec, Some(FourCc(*b"avc1")));
        // The whole file parses too, and still says mdat came first.
        assert!(matches!(
            parse_mp4(&bytes).unwrap().layout,
            MoovLayout::MdatFirst { .. }
        ));
    }

    #[test]
    fn a_moov_cut_off_by_the_prefix_says_how_large_it_is() {
        let bytes = build_mp4(&Mp4Spec::default());
        let facts = parse_mp4(&bytes[..100]).unwrap();
        assert!(
            matches!(facts.layout, MoovLayout::MoovTruncated { offset: 32, .. }),
            "{:?}",
            facts.layout
        );
    }

    #[test]
    fn edit_lists_and_other_codecs_are_reported() {
        let spec = Mp4Spec {
            edit_list: true,
            video_codec: *b"vp09",
            audio_codec: Some(*b"Opus"),
            ..Mp4Spec::default()
        };
        let facts = parse_mp4(&build_mp4(&spec)).unwrap();
        assert!(facts.video().unwrap().has_edit_list);
        assert_eq!(
            facts.video().unwrap().codec.unwrap().codec_family(),
            CodecFamily::Other
        );
        assert_eq!(facts.audio().unwrap().codec.unwrap().as_text(), "Opus");
    }

    #[test]
    fn non_mp4_bytes_are_refused_with_what_they_start_with() {
        assert!(matches!(
            parse_mp4(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Err(Mp4Error::NotMp4 { .. })
        ));
        assert!(matches!(parse_mp4(b""), Err(Mp4Error::NotMp4 { .. })));
    }

    #[test]
    fn hostile_sizes_never_panic() {
        let valid = build_mp4(&Mp4Spec::default());
        // Every truncation, and every single-byte corruption of the first 600 bytes.
        for len in 0..valid.len().min(2000) {
            let _ = parse_mp4(&valid[..len]);
        }
        for at in 0..valid.len().min(600) {
            for value in [0u8, 1, 7, 8, 0x7f, 0xff] {
                let mut bytes = valid.clone();
                bytes[at] = value;
                let _ = parse_mp4(&bytes);
            }
        }
        // A box claiming to be smaller than its header, and a 64-bit size past the end.
        assert!(parse_mp4(b"\0\0\0\x04ftyp").is_err());
        let mut huge = b"\0\0\0\x01moov".to_vec();
        huge.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(
            parse_mp4(&huge).unwrap().layout,
            MoovLayout::MoovTruncated { .. }
        ));
    }

    #[test]
    fn deep_nesting_is_bounded() {
        // 40 nested mdia boxes inside a trak.
        let mut inner = Vec::new();
        for _ in 0..40 {
            let mut b = ((inner.len() + 8) as u32).to_be_bytes().to_vec();
            b.extend_from_slice(b"mdia");
            b.extend_from_slice(&inner);
            inner = b;
        }
        let mut trak = ((inner.len() + 8) as u32).to_be_bytes().to_vec();
        trak.extend_from_slice(b"trak");
        trak.extend_from_slice(&inner);
        let mut moov = ((trak.len() + 8) as u32).to_be_bytes().to_vec();
        moov.extend_from_slice(b"moov");
        moov.extend_from_slice(&trak);
        assert!(matches!(parse_mp4(&moov), Err(Mp4Error::TooComplex { .. })));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::mp4_builder::{Mp4Spec, build_mp4};
    use super::parse_mp4;

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse_mp4(&bytes);
        }

        #[test]
        fn a_valid_file_with_random_corruption_never_panics(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut bytes = build_mp4(&Mp4Spec { mdat_bytes: 64, ..Mp4Spec::default() });
            for (at, value) in edits {
                let i = at.index(bytes.len());
                bytes[i] = value;
            }
            let len = cut.index(bytes.len() + 1);
            let _ = parse_mp4(&bytes[..len]);
        }
    }
}
