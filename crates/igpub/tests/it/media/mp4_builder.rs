//! Builds small but structurally complete MP4 files byte by byte, so the tests need no ffmpeg:
//! ftyp, moov (mvhd, one video trak with tkhd/mdia/mdhd/hdlr/minf/stbl/stsd/stts/stsc/stsz/
//! stco, one optional audio trak) and mdat, in either order.
//!
//! Shared by the unit tests of `media::mp4` (through `#[path]`) and the integration tests.

#![allow(dead_code)]

/// What to put in the file.
#[derive(Debug, Clone)]
pub struct Mp4Spec {
    /// `ftyp` major brand (`isom`, `qt  `).
    pub brand: [u8; 4],
    /// Video sample entry code (`avc1`, `hvc1`, `vp09`…).
    pub video_codec: [u8; 4],
    /// Audio sample entry code, or no audio track.
    pub audio_codec: Option<[u8; 4]>,
    /// Audio sample rate in Hz.
    pub audio_sample_rate: u32,
    /// Frame size.
    pub width: u16,
    /// Frame size.
    pub height: u16,
    /// Duration in milliseconds.
    pub duration_ms: u32,
    /// Frames per second.
    pub fps: u32,
    /// `moov` before `mdat` (faststart).
    pub moov_first: bool,
    /// Add an `edts/elst` to the video track.
    pub edit_list: bool,
    /// Bytes of media data.
    pub mdat_bytes: usize,
    /// Write mvhd/mdhd/tkhd as version 1 (64-bit times).
    pub version1: bool,
}

impl Default for Mp4Spec {
    fn default() -> Self {
        Self {
            brand: *b"isom",
            video_codec: *b"avc1",
            audio_codec: Some(*b"mp4a"),
            audio_sample_rate: 44_100,
            width: 1080,
            height: 1920,
            duration_ms: 10_000,
            fps: 30,
            moov_first: true,
            edit_list: false,
            mdat_bytes: 4096,
            version1: false,
        }
    }
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&u32::try_from(body.len() + 8).unwrap().to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

fn full_box(kind: &[u8; 4], version: u8, body: &[u8]) -> Vec<u8> {
    let mut content = vec![version, 0, 0, 0];
    content.extend_from_slice(body);
    boxed(kind, &content)
}

fn concat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

fn be32(v: u32) -> [u8; 4] {
    v.to_be_bytes()
}

/// creation, modification, timescale, duration: as mvhd/mdhd lay them out.
fn times(version1: bool, timescale: u32, duration: u64) -> Vec<u8> {
    let mut b = Vec::new();
    if version1 {
        b.extend_from_slice(&[0; 16]);
        b.extend_from_slice(&be32(timescale));
        b.extend_from_slice(&duration.to_be_bytes());
    } else {
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&be32(timescale));
        b.extend_from_slice(&be32(u32::try_from(duration).unwrap()));
    }
    b
}

fn mvhd(spec: &Mp4Spec) -> Vec<u8> {
    let mut b = times(spec.version1, 1000, u64::from(spec.duration_ms));
    b.extend_from_slice(&be32(0x0001_0000)); // rate 1.0
    b.extend_from_slice(&[0x01, 0x00]); // volume 1.0
    b.extend_from_slice(&[0; 10]);
    b.extend_from_slice(&identity_matrix());
    b.extend_from_slice(&[0; 24]); // pre_defined
    b.extend_from_slice(&be32(3)); // next_track_ID
    full_box(b"mvhd", u8::from(spec.version1), &b)
}

fn identity_matrix() -> Vec<u8> {
    [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect()
}

fn tkhd(spec: &Mp4Spec, track_id: u32, width: u16, height: u16) -> Vec<u8> {
    let mut b = Vec::new();
    if spec.version1 {
        b.extend_from_slice(&[0; 16]);
        b.extend_from_slice(&be32(track_id));
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&u64::from(spec.duration_ms).to_be_bytes());
    } else {
        b.extend_from_slice(&[0; 8]);
        b.extend_from_slice(&be32(track_id));
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&be32(spec.duration_ms));
    }
    b.extend_from_slice(&[0; 8]); // reserved
    b.extend_from_slice(&[0; 4]); // layer, alternate_group
    b.extend_from_slice(&[0; 4]); // volume, reserved
    b.extend_from_slice(&identity_matrix());
    b.extend_from_slice(&be32(u32::from(width) << 16));
    b.extend_from_slice(&be32(u32::from(height) << 16));
    full_box(b"tkhd", u8::from(spec.version1), &b)
}

fn hdlr(handler: &[u8; 4], name: &str) -> Vec<u8> {
    let mut b = vec![0; 4];
    b.extend_from_slice(handler);
    b.extend_from_slice(&[0; 12]);
    b.extend_from_slice(name.as_bytes());
    b.push(0);
    full_box(b"hdlr", 0, &b)
}

fn visual_entry(spec: &Mp4Spec) -> Vec<u8> {
    let mut b = vec![0; 6];
    b.extend_from_slice(&[0, 1]); // data_reference_index
    b.extend_from_slice(&[0; 16]);
    b.extend_from_slice(&spec.width.to_be_bytes());
    b.extend_from_slice(&spec.height.to_be_bytes());
    b.extend_from_slice(&be32(0x0048_0000)); // 72 dpi
    b.extend_from_slice(&be32(0x0048_0000));
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&[0, 1]); // frame_count
    b.extend_from_slice(&[0; 32]); // compressorname
    b.extend_from_slice(&[0, 0x18, 0xff, 0xff]); // depth, pre_defined
    boxed(&spec.video_codec, &b)
}

fn audio_entry(codec: &[u8; 4], rate: u32) -> Vec<u8> {
    let mut b = vec![0; 6];
    b.extend_from_slice(&[0, 1]);
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&[0, 2, 0, 16]); // channels, sample size
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&be32(rate << 16));
    boxed(codec, &b)
}

fn stbl(entry: Vec<u8>, samples: u32, delta: u32) -> Vec<u8> {
    let mut stsd = be32(1).to_vec();
    stsd.extend_from_slice(&entry);
    let mut stts = be32(1).to_vec();
    stts.extend_from_slice(&be32(samples));
    stts.extend_from_slice(&be32(delta));
    boxed(
        b"stbl",
        &concat(&[
            full_box(b"stsd", 0, &stsd),
            full_box(b"stts", 0, &stts),
            full_box(b"stsc", 0, &be32(0)),
            full_box(b"stsz", 0, &[0, 0, 0, 0, 0, 0, 0, 0]),
            full_box(b"stco", 0, &be32(0)),
        ]),
    )
}

fn video_trak(spec: &Mp4Spec) -> Vec<u8> {
    let timescale = spec.fps * 1000;
    let frames = u32::try_from(u64::from(spec.duration_ms) * u64::from(spec.fps) / 1000).unwrap();
    let duration = u64::from(spec.duration_ms) * u64::from(timescale) / 1000;
    let mdia = boxed(
        b"mdia",
        &concat(&[
            full_box(
                b"mdhd",
                u8::from(spec.version1),
                &[
                    times(spec.version1, timescale, duration),
                    vec![0x55, 0xc4, 0, 0],
                ]
                .concat(),
            ),
            hdlr(b"vide", "VideoHandler"),
            boxed(
                b"minf",
                &concat(&[
                    full_box(b"vmhd", 0, &[0; 8]),
                    // QuickTime-style data handler: must not change the track's kind.
                    hdlr(b"alis", "DataHandler"),
                    stbl(visual_entry(spec), frames, 1000),
                ]),
            ),
        ]),
    );
    let mut parts = vec![tkhd(spec, 1, spec.width, spec.height)];
    if spec.edit_list {
        let mut elst = be32(1).to_vec();
        elst.extend_from_slice(&be32(spec.duration_ms));
        elst.extend_from_slice(&be32(0));
        elst.extend_from_slice(&be32(0x0001_0000));
        parts.push(boxed(b"edts", &full_box(b"elst", 0, &elst)));
    }
    parts.push(mdia);
    boxed(b"trak", &concat(&parts))
}

fn audio_trak(spec: &Mp4Spec, codec: &[u8; 4]) -> Vec<u8> {
    let rate = spec.audio_sample_rate;
    let duration = u64::from(spec.duration_ms) * u64::from(rate) / 1000;
    let samples = u32::try_from(duration / 1024).unwrap();
    let mdia = boxed(
        b"mdia",
        &concat(&[
            full_box(
                b"mdhd",
                u8::from(spec.version1),
                &[times(spec.version1, rate, duration), vec![0x55, 0xc4, 0, 0]].concat(),
            ),
            hdlr(b"soun", "SoundHandler"),
            boxed(
                b"minf",
                &concat(&[
                    full_box(b"smhd", 0, &[0; 4]),
                    stbl(audio_entry(codec, rate), samples, 1024),
                ]),
            ),
        ]),
    );
    boxed(b"trak", &concat(&[tkhd(spec, 2, 0, 0), mdia]))
}

/// The whole file.
pub fn build_mp4(spec: &Mp4Spec) -> Vec<u8> {
    let mut ftyp = spec.brand.to_vec();
    ftyp.extend_from_slice(&be32(0x200));
    for brand in [b"isom", b"iso2", b"avc1", b"mp41"] {
        ftyp.extend_from_slice(brand);
    }
    let mut traks = vec![mvhd(spec), video_trak(spec)];
    if let Some(codec) = &spec.audio_codec {
        traks.push(audio_trak(spec, codec));
    }
    let moov = boxed(b"moov", &concat(&traks));
    let mdat = boxed(b"mdat", &vec![0u8; spec.mdat_bytes]);
    let ftyp = boxed(b"ftyp", &ftyp);
    if spec.moov_first {
        concat(&[ftyp, moov, mdat])
    } else {
        concat(&[ftyp, mdat, moov])
    }
}
