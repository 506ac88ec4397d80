//! Decoding compressed audio bytes into mono `f32` samples.
//!
//! CoRal stores each utterance as the original WAV file (HF `Audio` struct); the
//! prepared corpus stores FLAC. Rate, bit depth and channel count always come from
//! the header, never from an assumption, and every channel layout is averaged to mono
//! exactly as fairseq2's loader does (`mean` over channels).

use std::io::Cursor;

use crate::error::AudioError;

/// Lowest sample rate we accept. Anything below 8 kHz cannot carry speech up to
/// the 8 kHz Nyquist limit of the 16 kHz target and is almost certainly a bad header.
pub const MIN_SAMPLE_RATE_HZ: u32 = 8_000;
/// Highest sample rate we accept; higher values are treated as a corrupt header.
pub const MAX_SAMPLE_RATE_HZ: u32 = 384_000;

/// Mono audio at a known sample rate, samples in `[-1, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MonoAudio {
    pub samples: Vec<f32>,
    pub sample_rate_hz: u32,
}

impl MonoAudio {
    /// Duration in seconds.
    #[must_use]
    pub fn duration_secs(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate_hz)
    }
}

/// Decodes WAV or FLAC bytes (sniffed from the magic number) to mono.
///
/// # Errors
/// [`AudioError`] for unknown containers, malformed headers, sample rates outside
/// [`MIN_SAMPLE_RATE_HZ`]..=[`MAX_SAMPLE_RATE_HZ`], and empty audio.
pub fn decode_audio(bytes: &[u8]) -> Result<MonoAudio, AudioError> {
    let audio = if bytes.starts_with(b"fLaC") {
        decode_flac(bytes)?
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WAVE" {
        decode_wav(bytes)?
    } else {
        return Err(AudioError::UnknownFormat {
            magic: bytes.iter().take(12).copied().collect(),
        });
    };
    check_rate(audio.sample_rate_hz)?;
    if audio.samples.is_empty() {
        return Err(AudioError::Empty);
    }
    Ok(audio)
}

fn check_rate(sample_rate_hz: u32) -> Result<(), AudioError> {
    if (MIN_SAMPLE_RATE_HZ..=MAX_SAMPLE_RATE_HZ).contains(&sample_rate_hz) {
        Ok(())
    } else {
        Err(AudioError::SampleRate {
            sample_rate_hz,
            min_hz: MIN_SAMPLE_RATE_HZ,
            max_hz: MAX_SAMPLE_RATE_HZ,
        })
    }
}

/// Decodes PCM integer (8–32 bit) or IEEE float WAV.
fn decode_wav(bytes: &[u8]) -> Result<MonoAudio, AudioError> {
    let mut reader = hound::WavReader::new(Cursor::new(bytes))?;
    let spec = reader.spec();
    check_rate(spec.sample_rate)?;
    let channels = usize::from(spec.channels);
    if channels == 0 {
        return Err(AudioError::Layout("WAV header declares 0 channels".into()));
    }
    if let Some(sample_bytes) = direct_sample_bytes(spec) {
        if let Some(interleaved) = decode_wav_direct(bytes, reader, sample_bytes)? {
            return Ok(MonoAudio {
                samples: downmix(interleaved, channels),
                sample_rate_hz: spec.sample_rate,
            });
        }
        // The data chunk's container is wider than its samples (rare): hound reads it.
        reader = hound::WavReader::new(Cursor::new(bytes))?;
    }
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
        hound::SampleFormat::Int => {
            let scale = int_scale(u32::from(spec.bits_per_sample))?;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()?
        }
    };
    Ok(MonoAudio {
        samples: downmix(interleaved, channels),
        sample_rate_hz: spec.sample_rate,
    })
}

/// Bytes per sample of the two layouts nearly all speech corpora use (16-bit integer
/// and 32-bit float, as CoRal's WAVs are), which [`decode_wav_direct`] converts; `None`
/// for the others, which go through hound.
fn direct_sample_bytes(spec: hound::WavSpec) -> Option<usize> {
    match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => Some(2),
        (hound::SampleFormat::Float, 32) => Some(4),
        _ => None,
    }
}

/// Converts the data chunk straight from its bytes: hound's per-sample reader costs
/// more than resampling and encoding together. The samples are identical to hound's.
/// `Ok(None)` when the chunk's container is wider than `sample_bytes` per sample.
fn decode_wav_direct(
    bytes: &[u8],
    reader: hound::WavReader<Cursor<&[u8]>>,
    sample_bytes: usize,
) -> Result<Option<Vec<f32>>, AudioError> {
    let samples = reader.len() as usize;
    // hound leaves the reader at the first sample, just after the data chunk's header
    // ("data", then its byte length), which tells the container size per sample.
    let start = usize::try_from(reader.into_inner().position()).unwrap_or(usize::MAX);
    let declared = start
        .checked_sub(4)
        .and_then(|at| bytes.get(at..start))
        .map(|len| u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize);
    if declared.is_none_or(|len| len / sample_bytes != samples) {
        return Ok(None);
    }
    let len = samples * sample_bytes;
    // hound fails on a data chunk cut short; so does this.
    let data = bytes.get(start..start + len).ok_or_else(|| {
        AudioError::Layout(format!(
            "WAV data chunk declares {len} bytes but {} follow the header",
            bytes.len().saturating_sub(start)
        ))
    })?;
    let scale = 1.0 / 32_768.0;
    Ok(Some(if sample_bytes == 2 {
        data.chunks_exact(2)
            .map(|b| f32::from(i16::from_le_bytes([b[0], b[1]])) * scale)
            .collect()
    } else {
        data.chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }))
}

/// Decodes FLAC (any bit depth up to 32, any channel count), a block at a time: the
/// loader decodes every training utterance, and claxon's per-sample iterator costs
/// a quarter of that.
fn decode_flac(bytes: &[u8]) -> Result<MonoAudio, AudioError> {
    let mut reader = claxon::FlacReader::new(Cursor::new(bytes))?;
    let info = reader.streaminfo();
    check_rate(info.sample_rate)?;
    let channels = info.channels;
    if channels == 0 {
        return Err(AudioError::Layout("FLAC header declares 0 channels".into()));
    }
    let scale = int_scale(info.bits_per_sample)?;
    let capacity = info
        .samples
        .and_then(|n| usize::try_from(n).ok())
        .map_or(0, |n| n.saturating_mul(channels as usize));
    let mut interleaved = Vec::with_capacity(capacity.min(1 << 28));
    let mut blocks = reader.blocks();
    let mut buffer = Vec::new();
    while let Some(block) = blocks.read_next_or_eof(buffer)? {
        if channels == 1 {
            interleaved.extend(block.channel(0).iter().map(|&s| s as f32 * scale));
        } else {
            let block = &block;
            interleaved
                .extend((0..block.duration() as usize).flat_map(|i| {
                    (0..channels).map(move |ch| block.channel(ch)[i] as f32 * scale)
                }));
        }
        buffer = block.into_buffer();
    }
    Ok(MonoAudio {
        samples: downmix(interleaved, channels as usize),
        sample_rate_hz: info.sample_rate,
    })
}

/// `1 / 2^(bits-1)`: maps signed integers of `bits` width onto `[-1, 1)`, the same
/// convention as libsndfile (which fairseq2 and soundfile use).
fn int_scale(bits: u32) -> Result<f32, AudioError> {
    if (1..=32).contains(&bits) {
        Ok(1.0 / (1u64 << (bits - 1)) as f32)
    } else {
        Err(AudioError::Layout(format!("{bits} bits per sample")))
    }
}

/// Averages interleaved channels into one (mono input is returned as is). A trailing
/// partial frame is dropped.
#[must_use]
pub fn downmix(interleaved: Vec<f32>, channels: usize) -> Vec<f32> {
    if channels <= 1 {
        return interleaved;
    }
    let inv = 1.0 / channels as f32;
    interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() * inv)
        .collect()
}

/// Encodes mono samples as a 16-bit PCM WAV file in memory (used by tests and the
/// demo tooling to build CoRal-style inputs).
///
/// # Errors
/// [`AudioError::Wav`] if hound refuses the spec.
pub fn encode_wav_i16(samples: &[f32], sample_rate_hz: u32) -> Result<Vec<u8>, AudioError> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: sample_rate_hz,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = Cursor::new(Vec::new());
    {
        let mut writer = hound::WavWriter::new(&mut cursor, spec)?;
        for &s in samples {
            writer.write_sample(quantize_i16(s))?;
        }
        writer.finalize()?;
    }
    Ok(cursor.into_inner())
}

/// Rounds a `[-1, 1]` sample to 16-bit PCM, clipping out-of-range values.
#[must_use]
pub fn quantize_i16(sample: f32) -> i16 {
    // Rounds half away from zero, as `f32::round` does, but without its libm call (x86-64
    // has no rounding instruction before SSE4.1), so the loop over a file vectorises:
    // in f64 the sum is exact, and truncation then rounds. `as` saturates, so values
    // beyond full scale clip instead of wrapping, and NaN becomes 0.
    let scaled = f64::from(sample) * 32_768.0;
    (scaled + 0.5_f64.copysign(scaled)) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The same value as the plain `round` and `clamp` it replaces, for every float.
        #[test]
        fn quantize_rounds_half_away_and_clips(bits in proptest::num::u32::ANY) {
            let sample = f32::from_bits(bits);
            let expected = (sample * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16;
            proptest::prop_assert_eq!(quantize_i16(sample), expected);
        }
    }

    #[test]
    fn quantize_handles_ties_and_full_scale() {
        let step = 1.0 / 32_768.0;
        assert_eq!(quantize_i16(0.5 * step), 1);
        assert_eq!(quantize_i16(-0.5 * step), -1);
        assert_eq!(quantize_i16(1.5 * step), 2);
        assert_eq!(quantize_i16(0.499_999_97 * step), 0);
        assert_eq!(quantize_i16(1.0), 32_767);
        assert_eq!(quantize_i16(-1.0), -32_768);
        assert_eq!(quantize_i16(f32::INFINITY), 32_767);
        assert_eq!(quantize_i16(f32::NAN), 0);
    }

    #[test]
    fn wav_roundtrip_keeps_rate_and_samples() {
        let samples: Vec<f32> = (0..1000).map(|i| ((i as f32) * 0.01).sin() * 0.5).collect();
        let bytes = encode_wav_i16(&samples, 48_000).unwrap();
        let audio = decode_audio(&bytes).unwrap();
        assert_eq!(audio.sample_rate_hz, 48_000);
        assert_eq!(audio.samples.len(), samples.len());
        for (a, b) in audio.samples.iter().zip(&samples) {
            assert!((a - b).abs() <= 1.0 / 32_768.0);
        }
    }

    #[test]
    fn the_direct_wav_path_gives_hounds_samples() {
        for (format, bits) in [
            (hound::SampleFormat::Int, 16),
            (hound::SampleFormat::Float, 32),
            (hound::SampleFormat::Int, 24),
        ] {
            let spec = hound::WavSpec {
                channels: 2,
                sample_rate: 44_100,
                bits_per_sample: bits,
                sample_format: format,
            };
            let mut cursor = Cursor::new(Vec::new());
            let mut writer = hound::WavWriter::new(&mut cursor, spec).unwrap();
            for i in 0..2_000 {
                let x = ((i as f32) * 0.07).sin() * 0.9;
                match format {
                    hound::SampleFormat::Float => writer.write_sample(x).unwrap(),
                    hound::SampleFormat::Int => {
                        let full = (1_i64 << (bits - 1)) as f32;
                        writer.write_sample((x * full) as i32).unwrap();
                    }
                }
            }
            writer.finalize().unwrap();
            let bytes = cursor.into_inner();
            let mut reader = hound::WavReader::new(Cursor::new(&bytes)).unwrap();
            let expected: Vec<f32> = match format {
                hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
                hound::SampleFormat::Int => {
                    let scale = int_scale(u32::from(bits)).unwrap();
                    reader
                        .samples::<i32>()
                        .map(|s| s.unwrap() as f32 * scale)
                        .collect()
                }
            };
            let audio = decode_audio(&bytes).unwrap();
            assert_eq!(audio.samples, downmix(expected, 2), "{format:?} {bits}");
            let mut truncated = bytes.clone();
            truncated.truncate(bytes.len() - 100);
            assert!(
                decode_audio(&truncated).is_err(),
                "{format:?} {bits} truncated"
            );
        }
    }

    #[test]
    fn stereo_flac_decodes_to_the_channel_mean() {
        let frames = 5_000;
        let interleaved: Vec<i32> = (0..frames * 2)
            .map(|i| {
                ((i as f32 * 0.011).sin() * 20_000.0) as i32 * if i % 2 == 0 { 1 } else { -1 } / 3
            })
            .collect();
        let bytes = crate::flac::encode_pcm16(&interleaved, 2, 22_050).unwrap();
        let audio = decode_audio(&bytes).unwrap();
        let scale = int_scale(16).unwrap();
        let expected = downmix(interleaved.iter().map(|&s| s as f32 * scale).collect(), 2);
        assert_eq!(audio.sample_rate_hz, 22_050);
        assert_eq!(audio.samples, expected);
    }

    #[test]
    fn stereo_is_averaged() {
        assert_eq!(downmix(vec![1.0, 0.0, 0.5, 0.5], 2), vec![0.5, 0.5]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(
            decode_audio(b"hello world, not audio"),
            Err(AudioError::UnknownFormat { .. })
        ));
        let mut truncated = encode_wav_i16(&[0.1; 100], 16_000).unwrap();
        truncated.truncate(30);
        assert!(decode_audio(&truncated).is_err());
    }

    #[test]
    fn absurd_sample_rate_is_rejected() {
        let mut bytes = encode_wav_i16(&[0.1; 100], 16_000).unwrap();
        // The sample rate lives at byte 24 of a canonical WAV header.
        bytes[24..28].copy_from_slice(&3u32.to_le_bytes());
        assert!(matches!(
            decode_audio(&bytes),
            Err(AudioError::SampleRate { .. } | AudioError::Wav(_))
        ));
    }
}
