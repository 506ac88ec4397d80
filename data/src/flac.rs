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
//! which the format allows ("0 = unknown") and our decoder does not need. libFLAC would
//! still compute the signature (7 % of prepare's time) and then drop it, having nowhere
//! to seek back to; this wrapper turns that off, which flac-bound cannot, and is why
//! libFLAC is called directly here.

#![allow(
    unsafe_code,
    reason = "the FFI boundary to libFLAC; each call's contract is stated where it is made"
)]

use std::ffi::{c_uint, c_void};
use std::marker::PhantomData;
use std::ptr::NonNull;

use libflac_sys as ffi;

use crate::audio::quantize_i16;
use crate::error::AudioError;

/// libsndfile's default FLAC compression level.
const COMPRESSION_LEVEL: u32 = 5;

unsafe extern "C" {
    /// Declared in libFLAC's `share/private.h` (so absent from libflac-sys's bindings)
    /// and exported by the library; the `flac` tool's `--no-md5-sum` uses it.
    fn FLAC__stream_encoder_set_do_md5(
        encoder: *mut ffi::FLAC__StreamEncoder,
        value: ffi::FLAC__bool,
    ) -> ffi::FLAC__bool;
}

/// Encodes mono `[-1, 1]` samples at `sample_rate_hz` as a 16-bit FLAC file in memory.
///
/// # Errors
/// [`AudioError::Encode`] if libFLAC rejects the configuration or the input.
pub fn encode_flac(samples: &[f32], sample_rate_hz: u32) -> Result<Vec<u8>, AudioError> {
    let pcm: Vec<i32> = samples
        .iter()
        .map(|&s| i32::from(quantize_i16(s)))
        .collect();
    encode_pcm16(&pcm, 1, sample_rate_hz)
}

/// Encodes interleaved 16-bit PCM (`channels` samples per frame) as FLAC in memory.
///
/// # Errors
/// [`AudioError::Encode`] if libFLAC rejects the configuration or the input.
pub(crate) fn encode_pcm16(
    interleaved: &[i32],
    channels: u32,
    sample_rate_hz: u32,
) -> Result<Vec<u8>, AudioError> {
    let format = StreamFormat {
        channels,
        sample_rate_hz,
        frames: frames_in(interleaved, channels)?,
    };
    // About 2:1 for speech; reserving avoids most re-allocations.
    let mut bytes = Vec::with_capacity(interleaved.len());
    let mut encoder = Encoder::start(&format, &mut bytes)?;
    encoder.process(interleaved)?;
    encoder.finish()?;
    Ok(bytes)
}

/// What STREAMINFO says: 16-bit samples in `channels`, and the exact length.
struct StreamFormat {
    channels: u32,
    sample_rate_hz: u32,
    frames: u32,
}

/// Whole frames of `channels` samples in `interleaved` (a ragged tail is dropped).
fn frames_in(interleaved: &[i32], channels: u32) -> Result<u32, AudioError> {
    let frames = interleaved.len() / channels.max(1) as usize;
    u32::try_from(frames).map_err(|_| AudioError::Encode(format!("{frames} frames is too long")))
}

/// An owned `FLAC__StreamEncoder` writing into a borrowed `Vec<u8>`, deleted on drop.
///
/// The lifetime is the contract libFLAC needs: it keeps a pointer to the output and
/// writes through it until the stream is finished or the encoder deleted, so the
/// output stays borrowed for as long as the encoder lives.
struct Encoder<'out> {
    raw: NonNull<ffi::FLAC__StreamEncoder>,
    /// As configured: how many samples libFLAC takes from each frame.
    channels: u32,
    output: PhantomData<&'out mut Vec<u8>>,
}

impl<'out> Encoder<'out> {
    /// Allocates, configures and initialises an encoder appending to `out`.
    fn start(format: &StreamFormat, out: &'out mut Vec<u8>) -> Result<Self, AudioError> {
        // SAFETY: no preconditions; a null return means allocation failed.
        let raw = unsafe { ffi::FLAC__stream_encoder_new() };
        let raw = NonNull::new(raw)
            .ok_or_else(|| AudioError::Encode("libFLAC could not allocate an encoder".into()))?;
        let mut encoder = Self {
            raw,
            channels: format.channels,
            output: PhantomData,
        };
        encoder.configure(format)?;
        encoder.init(out)?;
        Ok(encoder)
    }

    /// 16-bit, level 5, exact length, no MD5. Setters only fail on an initialised
    /// encoder, which this one is not yet.
    fn configure(&mut self, format: &StreamFormat) -> Result<(), AudioError> {
        let raw = self.raw.as_ptr();
        // SAFETY: `raw` is a live, not yet initialised encoder owned by `self`.
        let accepted = unsafe {
            ffi::FLAC__stream_encoder_set_channels(raw, format.channels) != 0
                && ffi::FLAC__stream_encoder_set_bits_per_sample(raw, 16) != 0
                && ffi::FLAC__stream_encoder_set_sample_rate(raw, format.sample_rate_hz) != 0
                && ffi::FLAC__stream_encoder_set_compression_level(raw, COMPRESSION_LEVEL) != 0
                && ffi::FLAC__stream_encoder_set_total_samples_estimate(
                    raw,
                    u64::from(format.frames),
                ) != 0
                && FLAC__stream_encoder_set_do_md5(raw, 0) != 0
        };
        if accepted {
            Ok(())
        } else {
            Err(self.error("configure"))
        }
    }

    /// Starts a stream whose bytes are appended to `out`.
    fn init(&mut self, out: &'out mut Vec<u8>) -> Result<(), AudioError> {
        let client_data = std::ptr::from_mut(out).cast::<c_void>();
        // SAFETY: the encoder is live and configured; `client_data` points to a
        // `Vec<u8>` borrowed for the encoder's whole life (`'out`), which only
        // `append_to_vec` touches. No seek, tell or metadata callbacks: libFLAC then
        // writes front to back.
        let status = unsafe {
            ffi::FLAC__stream_encoder_init_stream(
                self.raw.as_ptr(),
                Some(append_to_vec),
                None,
                None,
                None,
                client_data,
            )
        };
        if status == ffi::FLAC__STREAM_ENCODER_INIT_STATUS_OK {
            Ok(())
        } else {
            Err(AudioError::Encode(format!("libFLAC init status {status}")))
        }
    }

    /// Encodes the whole frames of `interleaved`.
    fn process(&mut self, interleaved: &[i32]) -> Result<(), AudioError> {
        let frames = frames_in(interleaved, self.channels)?;
        // SAFETY: the encoder was configured with `self.channels` channels, so libFLAC
        // reads `frames × channels` samples, no more than `interleaved` holds.
        let ok = unsafe {
            ffi::FLAC__stream_encoder_process_interleaved(
                self.raw.as_ptr(),
                interleaved.as_ptr(),
                frames,
            )
        };
        if ok != 0 {
            Ok(())
        } else {
            Err(self.error("process"))
        }
    }

    /// Flushes the last frame; after this libFLAC no longer touches the output.
    fn finish(self) -> Result<(), AudioError> {
        // SAFETY: the encoder is live; finishing an initialised encoder is always valid.
        let ok = unsafe { ffi::FLAC__stream_encoder_finish(self.raw.as_ptr()) };
        if ok != 0 {
            Ok(())
        } else {
            Err(self.error("finish"))
        }
    }

    fn error(&self, step: &str) -> AudioError {
        // SAFETY: the encoder is live.
        let state: c_uint = unsafe { ffi::FLAC__stream_encoder_get_state(self.raw.as_ptr()) };
        AudioError::Encode(format!("libFLAC {step}: encoder state {state}"))
    }
}

impl Drop for Encoder<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from `FLAC__stream_encoder_new` and is deleted once;
        // deleting an unfinished encoder finishes it first, while `'out` still holds.
        unsafe { ffi::FLAC__stream_encoder_delete(self.raw.as_ptr()) }
    }
}

/// libFLAC's write callback: appends each chunk to the `Vec<u8>` behind `client_data`.
unsafe extern "C" fn append_to_vec(
    _encoder: *const ffi::FLAC__StreamEncoder,
    buffer: *const ffi::FLAC__byte,
    bytes: usize,
    _samples: c_uint,
    _current_frame: c_uint,
    client_data: *mut c_void,
) -> ffi::FLAC__StreamEncoderWriteStatus {
    // SAFETY: `client_data` is the `&mut Vec<u8>` given to `init`, alive and not
    // otherwise borrowed while libFLAC runs; `buffer` holds `bytes` bytes.
    let (out, chunk) = unsafe {
        (
            &mut *client_data.cast::<Vec<u8>>(),
            std::slice::from_raw_parts(buffer, bytes),
        )
    };
    out.extend_from_slice(chunk);
    ffi::FLAC__STREAM_ENCODER_WRITE_STATUS_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::decode_audio;

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
