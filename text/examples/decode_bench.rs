//! Decode a set of logit matrices with `dialekt_text::decode` and time it, for
//! `bench/decode/run.sh` (which runs pyctcdecode on the same files).
//!
//! Usage: `decode_bench TOKENIZER.model INPUT_DIR OUT.txt [LM.arpa] [BEAM] [ALPHA] [BETA]`
//! where INPUT_DIR holds `logits.f32` (little-endian float32, the matrices one after the
//! other) and `frames.txt` (the vocabulary size, then one frame count per matrix).
//! Writes one transcript per line to OUT.txt and prints `{"seconds": …, "frames": …}`
//! (decoding only: the LM is loaded, and the logits read, before the clock starts).

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use dialekt_text::decode::{BeamConfig, Decoder, LanguageModel, LmConfig, Vocabulary};
use dialekt_text::tokenizer::Tokenizer;

mod support;

fn main() -> ExitCode {
    support::exit_status(run())
}

fn run() -> support::Outcome {
    let args: Vec<String> = std::env::args().collect();
    let [_, tokenizer, input, out, rest @ ..] = args.as_slice() else {
        return Err(
            "usage: decode_bench TOKENIZER INPUT_DIR OUT.txt [LM.arpa] [BEAM] [ALPHA] [BETA]"
                .into(),
        );
    };
    let tokenizer = Tokenizer::from_file(Path::new(tokenizer))?;
    let vocabulary = Vocabulary::from_tokenizer(&tokenizer)?;
    let input = Path::new(input);
    let frames_text = std::fs::read_to_string(input.join("frames.txt"))?;
    let mut counts = frames_text.lines().map(str::parse::<usize>);
    let vocab = counts.next().ok_or("empty frames.txt")??;
    let frames = counts.collect::<Result<Vec<_>, _>>()?;
    let bytes = std::fs::read(input.join("logits.f32"))?;
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let model = match rest.first() {
        Some(arpa) => Some(dialekt_text::lm::read_arpa(Path::new(arpa))?),
        None => None,
    };
    let number = |at: usize, default: f64| rest.get(at).map_or(Ok(default), |v| v.parse::<f64>());
    let config = BeamConfig {
        beam_width: number(1, 100.0)? as usize,
        ..BeamConfig::default()
    };
    let lm_config = LmConfig {
        alpha: number(2, 0.5)?,
        beta: number(3, 1.5)?,
        ..LmConfig::default()
    };
    let lm = match &model {
        Some(model) => Some(LanguageModel::new(model, None, lm_config)?),
        None => None,
    };
    let decoder = Decoder::new(&vocabulary, lm.as_ref(), config)?;
    let start = Instant::now();
    let mut transcripts = Vec::with_capacity(frames.len());
    let mut offset = 0;
    for &count in &frames {
        let matrix = &values[offset..offset + count * vocab];
        offset += count * vocab;
        transcripts.push(decoder.decode(matrix, vocab)?);
    }
    let seconds = start.elapsed().as_secs_f64();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out)?);
    for transcript in &transcripts {
        writeln!(file, "{transcript}")?;
    }
    file.flush()?;
    let total: usize = frames.iter().sum();
    writeln!(
        std::io::stdout().lock(),
        "{{\"seconds\": {seconds}, \"frames\": {total}}}"
    )?;
    Ok(())
}
