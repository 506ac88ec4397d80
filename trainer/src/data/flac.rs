//! FLAC encoding of prepared utterances (16 kHz, mono, 16-bit).
//!
//! omniASR's prepared corpora store `audio_bytes` as FLAC (or Ogg); FLAC is lossless,
//! so the only loss in the whole prepare step is the 16-bit quantisation
//! (≈ -96 dBFS), far below the resampler's error.
//!
//! The encoder is libFLAC, the reference implementation, at compression level 5: the
//! level libsndfile (and so soundfile, the Python baseline) uses, so the files are as
//! small as the reference pipeline's. The stream is written front to back into memory,
//! so STREAMINFO carries the exact sample count (given up front) but no MD5 signature,
//! which the format allows ("0 = unknown") and our decoder does not need.

use flac_bound::{FlacEncoder, WriteWrapper};

use crate::data::audio::quantize_i16;
use crate::data::error::AudioError;

/// libsndfile's default FLAC compression level.
const COMPRESSION_LEVEL: u32 = 5;

/// Encodes mono `[-1, 1]` samples at `sample_rate_hz` as a 16-bit FLAC file in memory.
///
/// # Errors
/// [`AudioError::Encode`] if libFLAC rejects the configuration or the input.
pub fn encode_flac(samples: &[f32], sample_rate_hz: u32) -> Result<Vec<u8>, AudioError> {
    let pcm: Vec<i32> = samples
        .iter()
        .map(|&s| i32::from(quantize_i16(s)))
        .collect();
    let frames = u32::try_from(pcm.len())
        .map_err(|_| AudioError::Encode(format!("{} samples is too long", pcm.len())))?;
    // About 2:1 for speech; reserving avoids most re-allocations.
    let mut bytes = Vec::with_capacity(pcm.len());
    {
        let mut sink = WriteWrapper(&mut bytes);
        let mut encoder = FlacEncoder::new()
            .ok_or_else(|| AudioError::Encode("libFLAC could not allocate an encoder".into()))?
            .channels(1)
            .bits_per_sample(16)
            .sample_rate(sample_rate_hz)
            .compression_level(COMPRESSION_LEVEL)
            .total_samples_estimate(u64::from(frames))
            .init_write(&mut sink)
            .map_err(|e| AudioError::Encode(format!("libFLAC init: {e:?}")))?;
        encoder
            .process_interleaved(&pcm, frames)
            .map_err(|()| AudioError::Encode(format!("libFLAC: {:?}", encoder.state())))?;
        encoder.finish().map_err(|encoder| {
            AudioError::Encode(format!("libFLAC finish: {:?}", encoder.state()))
        })?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::audio::decode_audio;

    #[test]
    fn flac_roundtrip_is_exact_after_quantisation() {
        let samples: Vec<f32> = (0..20_000)
            .map(|i| ((i as f32) * 0.013).sin() * 0.4)
            .collect();
        let bytes = encode_flac(&samples, 16_000).unwrap();
        let audio = decode_audio(&bytes).unwrap();
        assert_eq!(audio.sample_rate_hz, 16_000);
        assert_eq!(audio.samples.len(), samples.len());
        for (a, b) in audio.samples.iter().zip(&samples) {
            assert!((a - b).abs() <= 1.0 / 32_768.0 + f32::EPSILON);
        }
    }

    #[test]
    fn streaminfo_records_rate_and_exact_length() {
        let samples = vec![0.25_f32; 12_345];
        let bytes = encode_flac(&samples, 16_000).unwrap();
        let reader = claxon::FlacReader::new(std::io::Cursor::new(&bytes)).unwrap();
        let info = reader.streaminfo();
        assert_eq!(info.samples, Some(12_345));
        assert_eq!(
            (info.sample_rate, info.channels, info.bits_per_sample),
            (16_000, 1, 16)
        );
    }

    #[test]
    fn empty_input_gives_a_valid_empty_stream() {
        let bytes = encode_flac(&[], 16_000).unwrap();
        assert!(bytes.starts_with(b"fLaC"));
    }
}
