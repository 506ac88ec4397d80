//! FLAC encoding of prepared utterances (16 kHz, mono, 16-bit).
//!
//! omniASR's prepared corpora store `audio_bytes` as FLAC (or Ogg); FLAC is lossless,
//! so the only loss in the whole prepare step is the 16-bit quantisation
//! (≈ -96 dBFS), far below the resampler's error.

use flacenc::component::BitRepr as _;
use flacenc::error::Verify as _;

use crate::data::audio::quantize_i16;
use crate::data::error::AudioError;

/// Encodes mono `[-1, 1]` samples at `sample_rate_hz` as a 16-bit FLAC file in memory.
///
/// # Errors
/// [`AudioError::Encode`] if flacenc rejects the configuration or the input.
pub fn encode_flac(samples: &[f32], sample_rate_hz: u32) -> Result<Vec<u8>, AudioError> {
    let pcm: Vec<i32> = samples
        .iter()
        .map(|&s| i32::from(quantize_i16(s)))
        .collect();
    let mut config = flacenc::config::Encoder::default();
    // Threads come from the caller (rayon over utterances); one encode per thread.
    config.multithread = false;
    let config = config
        .into_verified()
        .map_err(|(_, e)| AudioError::Encode(format!("{e:?}")))?;
    let source = flacenc::source::MemSource::from_samples(&pcm, 1, 16, sample_rate_hz as usize);
    let stream = flacenc::encode_with_fixed_block_size(&config, source, config.block_size)
        .map_err(|e| AudioError::Encode(format!("{e:?}")))?;
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream
        .write(&mut sink)
        .map_err(|e| AudioError::Encode(format!("{e:?}")))?;
    Ok(sink.into_inner())
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
}
