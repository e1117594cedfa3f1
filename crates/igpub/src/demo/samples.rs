//! The demo's sample media, made at first run so the repository ships no binary files:
//! three JPEG photos drawn with the `image` crate, and a reel.
//!
//! The reel is a structurally complete MP4 (ftyp, then moov with an H.264 video track and an
//! AAC audio track, then mdat) whose samples are blank: it passes Meta's checks and igpub's
//! pre-flight (faststart, codecs, 9:16, 8 s at 30 fps), but a player shows no picture. It
//! exists to show a reel's journey, not a film.

use image::codecs::jpeg::JpegEncoder;
use image::{ImageError, Rgb, RgbImage};

/// One sample photo.
#[derive(Debug, Clone, Copy)]
pub struct SamplePhoto {
    /// A short name, used in captions and alt texts.
    pub name: &'static str,
    /// What the picture shows, for its alt text.
    pub alt_text: &'static str,
    width: u32,
    height: u32,
    top: [u8; 3],
    bottom: [u8; 3],
    sun: [u8; 3],
}

/// The photos the demo posts: a square, a portrait 4:5 and a landscape 1.91:1, the three
/// shapes Instagram's feed takes (graph-api.md §2.3).
pub const PHOTOS: [SamplePhoto; 3] = [
    SamplePhoto {
        name: "sunrise",
        alt_text: "An orange sun rising over pink hills",
        width: 1080,
        height: 1080,
        top: [255, 183, 94],
        bottom: [214, 80, 118],
        sun: [255, 236, 179],
    },
    SamplePhoto {
        name: "ocean",
        alt_text: "A pale moon over a deep blue sea",
        width: 1080,
        height: 1350,
        top: [30, 60, 114],
        bottom: [42, 157, 143],
        sun: [233, 245, 249],
    },
    SamplePhoto {
        name: "forest",
        alt_text: "A yellow sun behind green forest hills",
        width: 1080,
        height: 566,
        top: [168, 218, 181],
        bottom: [34, 94, 56],
        sun: [250, 219, 95],
    },
];

impl SamplePhoto {
    /// The photo as a baseline JPEG.
    pub fn jpeg(&self) -> Result<Vec<u8>, ImageError> {
        let picture = self.draw();
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 85).encode_image(&picture)?;
        Ok(out)
    }

    /// A vertical gradient sky, a sun, and rolling hills in front of it.
    fn draw(&self) -> RgbImage {
        let (width, height) = (self.width as f32, self.height as f32);
        let sun_x = width * 0.62;
        let sun_y = height * 0.42;
        let sun_radius = width.min(height) * 0.16;
        RgbImage::from_fn(self.width, self.height, |x, y| {
            let (fx, fy) = (x as f32, y as f32);
            let hill = height * (0.72 + 0.06 * (fx / width * std::f32::consts::TAU * 1.5).sin());
            if fy > hill {
                let shade = 0.55 + 0.25 * (fy - hill) / (height - hill).max(1.0);
                return Rgb(self.bottom.map(|c| (f32::from(c) * shade) as u8));
            }
            let distance = ((fx - sun_x).powi(2) + (fy - sun_y).powi(2)).sqrt();
            if distance < sun_radius {
                return Rgb(self.sun);
            }
            let t = fy / height;
            let mix = |a: u8, b: u8| (f32::from(a) * (1.0 - t) + f32::from(b) * t) as u8;
            Rgb([
                mix(self.top[0], self.bottom[0]),
                mix(self.top[1], self.bottom[1]),
                mix(self.top[2], self.bottom[2]),
            ])
        })
    }
}

/// The reel: 1080×1920 (9:16), 8 s, 30 fps, H.264 video and AAC audio, `moov` first.
pub fn reel_mp4() -> Vec<u8> {
    Mp4::reel().build()
}

/// The facts of a sample MP4.
struct Mp4 {
    width: u16,
    height: u16,
    duration_ms: u32,
    fps: u32,
    audio_rate: u32,
    mdat_bytes: usize,
}

impl Mp4 {
    fn reel() -> Self {
        Self {
            width: 1080,
            height: 1920,
            duration_ms: 8_000,
            fps: 30,
            audio_rate: 44_100,
            mdat_bytes: 16 * 1024,
        }
    }

    fn build(&self) -> Vec<u8> {
        let mut ftyp = b"isom".to_vec();
        ftyp.extend_from_slice(&0x200u32.to_be_bytes());
        for brand in [b"isom", b"iso2", b"avc1", b"mp41"] {
            ftyp.extend_from_slice(brand);
        }
        let moov = boxed(
            b"moov",
            &[self.mvhd(), self.video_trak(), self.audio_trak()].concat(),
        );
        [
            boxed(b"ftyp", &ftyp),
            moov,
            boxed(b"mdat", &vec![0u8; self.mdat_bytes]),
        ]
        .concat()
    }

    fn mvhd(&self) -> Vec<u8> {
        let mut body = times(1000, self.duration_ms);
        body.extend_from_slice(&0x0001_0000u32.to_be_bytes()); // rate 1.0
        body.extend_from_slice(&[0x01, 0x00]); // volume 1.0
        body.extend_from_slice(&[0; 10]);
        body.extend_from_slice(&identity_matrix());
        body.extend_from_slice(&[0; 24]);
        body.extend_from_slice(&3u32.to_be_bytes()); // next track id
        full_box(b"mvhd", &body)
    }

    fn tkhd(&self, track_id: u32, width: u16, height: u16) -> Vec<u8> {
        let mut body = vec![0; 8];
        body.extend_from_slice(&track_id.to_be_bytes());
        body.extend_from_slice(&[0; 4]);
        body.extend_from_slice(&self.duration_ms.to_be_bytes());
        body.extend_from_slice(&[0; 16]); // reserved, layer, group, volume
        body.extend_from_slice(&identity_matrix());
        body.extend_from_slice(&(u32::from(width) << 16).to_be_bytes());
        body.extend_from_slice(&(u32::from(height) << 16).to_be_bytes());
        full_box(b"tkhd", &body)
    }

    fn video_trak(&self) -> Vec<u8> {
        let timescale = self.fps * 1000;
        let frames = self.duration_ms * self.fps / 1000;
        let duration = self.duration_ms * self.fps;
        let mut entry = vec![0; 6];
        entry.extend_from_slice(&[0, 1]); // data reference index
        entry.extend_from_slice(&[0; 16]);
        entry.extend_from_slice(&self.width.to_be_bytes());
        entry.extend_from_slice(&self.height.to_be_bytes());
        entry.extend_from_slice(&0x0048_0000u32.to_be_bytes()); // 72 dpi
        entry.extend_from_slice(&0x0048_0000u32.to_be_bytes());
        entry.extend_from_slice(&[0; 4]);
        entry.extend_from_slice(&[0, 1]); // frame count
        entry.extend_from_slice(&[0; 32]); // compressor name
        entry.extend_from_slice(&[0, 0x18, 0xff, 0xff]);
        let mdia = boxed(
            b"mdia",
            &[
                full_box(
                    b"mdhd",
                    &[times(timescale, duration), vec![0x55, 0xc4, 0, 0]].concat(),
                ),
                handler(b"vide", "VideoHandler"),
                boxed(
                    b"minf",
                    &[
                        full_box(b"vmhd", &[0; 8]),
                        sample_table(boxed(b"avc1", &entry), frames, 1000),
                    ]
                    .concat(),
                ),
            ]
            .concat(),
        );
        boxed(
            b"trak",
            &[self.tkhd(1, self.width, self.height), mdia].concat(),
        )
    }

    fn audio_trak(&self) -> Vec<u8> {
        let rate = self.audio_rate;
        let duration = self.duration_ms / 1000 * rate;
        let mut entry = vec![0; 6];
        entry.extend_from_slice(&[0, 1]);
        entry.extend_from_slice(&[0; 8]);
        entry.extend_from_slice(&[0, 2, 0, 16]); // stereo, 16-bit
        entry.extend_from_slice(&[0; 4]);
        entry.extend_from_slice(&(rate << 16).to_be_bytes());
        let mdia = boxed(
            b"mdia",
            &[
                full_box(
                    b"mdhd",
                    &[times(rate, duration), vec![0x55, 0xc4, 0, 0]].concat(),
                ),
                handler(b"soun", "SoundHandler"),
                boxed(
                    b"minf",
                    &[
                        full_box(b"smhd", &[0; 4]),
                        sample_table(boxed(b"mp4a", &entry), duration / 1024, 1024),
                    ]
                    .concat(),
                ),
            ]
            .concat(),
        );
        boxed(b"trak", &[self.tkhd(2, 0, 0), mdia].concat())
    }
}

fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    // Sample boxes are a few kilobytes: their sizes always fit the 32-bit field.
    let size = u32::try_from(body.len() + 8).unwrap_or(u32::MAX);
    [&size.to_be_bytes()[..], kind, body].concat()
}

fn full_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    boxed(kind, &[&[0u8, 0, 0, 0][..], body].concat())
}

/// Creation and modification times (zero), then timescale and duration, as version 0 lays them.
fn times(timescale: u32, duration: u32) -> Vec<u8> {
    [
        &[0u8; 8][..],
        &timescale.to_be_bytes(),
        &duration.to_be_bytes(),
    ]
    .concat()
}

fn identity_matrix() -> Vec<u8> {
    [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect()
}

fn handler(kind: &[u8; 4], name: &str) -> Vec<u8> {
    let body = [&[0u8; 4][..], kind, &[0; 12], name.as_bytes(), &[0]].concat();
    full_box(b"hdlr", &body)
}

fn sample_table(entry: Vec<u8>, samples: u32, delta: u32) -> Vec<u8> {
    let stsd = [&1u32.to_be_bytes()[..], &entry].concat();
    let stts = [1u32, samples, delta]
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect::<Vec<_>>();
    boxed(
        b"stbl",
        &[
            full_box(b"stsd", &stsd),
            full_box(b"stts", &stts),
            full_box(b"stsc", &0u32.to_be_bytes()),
            full_box(b"stsz", &[0; 8]),
            full_box(b"stco", &0u32.to_be_bytes()),
        ]
        .concat(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::mp4::parse_mp4;

    #[test]
    fn sample_photos_are_jpegs_in_the_feeds_aspect_range() {
        for photo in PHOTOS {
            let jpeg = photo.jpeg().expect("encodes");
            let size = imagesize::blob_size(&jpeg).expect("has a size");
            let ratio = size.width as f64 / size.height as f64;
            // graph-api.md §2.3: 4:5 to 1.91:1.
            assert!((0.8..=1.91).contains(&ratio), "{}: {ratio}", photo.name);
            assert_eq!(
                jpeg.get(..2),
                Some([0xFF, 0xD8].as_slice()),
                "{}",
                photo.name
            );
        }
    }

    #[test]
    fn the_sample_reel_parses_as_a_faststart_h264_aac_reel_of_eight_seconds() {
        let facts = parse_mp4(&reel_mp4()).expect("parses");
        let video = facts.video().expect("has a video track");
        assert!((video.frame_rate.unwrap_or_default() - 30.0).abs() < 1e-6);
        let duration = facts.duration_secs.unwrap_or_default();
        assert!((duration - 8.0).abs() < 1e-6, "{duration}");
        assert_eq!(facts.layout, crate::media::mp4::MoovLayout::MoovFirst);
        assert_eq!(video.codec.map(|c| c.as_text()).as_deref(), Some("avc1"));
        assert_eq!((video.width, video.height), (Some(1080), Some(1920)));
        let audio = facts.audio().expect("has an audio track");
        assert_eq!(audio.codec.map(|c| c.as_text()).as_deref(), Some("mp4a"));
    }
}
