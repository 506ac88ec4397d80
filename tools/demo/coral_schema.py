"""CoRal's raw `read_aloud` columns, shared by the synthetic corpus generators.

`schema()` is the Arrow schema of CoRal v1's Hugging Face Parquet shards (the `audio` column
is the HF `Audio` struct of the recording's file bytes); `synthetic_row()` fills one row of
it for an espeak-ng recording, with the constant columns every synthetic row shares.
"""

import pyarrow as pa


def schema() -> pa.Schema:
    return pa.schema(
        [
            ("id_recording", pa.string()),
            ("id_sentence", pa.string()),
            ("id_speaker", pa.string()),
            ("text", pa.string()),
            ("location", pa.string()),
            ("location_roomdim", pa.string()),
            ("noise_level", pa.string()),
            ("noise_type", pa.string()),
            ("source_url", pa.string()),
            ("age", pa.int64()),
            ("gender", pa.string()),
            ("dialect", pa.string()),
            ("country_birth", pa.string()),
            ("validated", pa.string()),
            ("audio", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
            ("asr_prediction", pa.string()),
            ("asr_validation_model", pa.string()),
            ("asr_wer", pa.float64()),
            ("asr_cer", pa.float64()),
        ]
    )


def synthetic_row(
    *,
    recording: str,
    sentence_id: str,
    speaker,
    text: str,
    country_birth: str | None,
    rejected: bool,
    audio: bytes,
    extension: str,
) -> dict:
    """One row for `speaker` (with `id`, `age`, `gender`, `dialect`, `snr_db`) reading `text`."""
    return {
        "id_recording": recording,
        "id_sentence": sentence_id,
        "id_speaker": speaker.id,
        "text": text,
        "location": "synthetic",
        "location_roomdim": "0x0x0",
        "noise_level": "" if speaker.snr_db is None else f"{speaker.snr_db:.0f}",
        "noise_type": "none" if speaker.snr_db is None else "white noise",
        "source_url": "",
        "age": speaker.age,
        "gender": speaker.gender,
        "dialect": speaker.dialect,
        "country_birth": country_birth,
        "validated": "rejected" if rejected else "validated",
        "audio": {"bytes": audio, "path": f"{recording}.{extension}"},
        "asr_prediction": text.lower(),
        "asr_validation_model": "none (synthetic)",
        "asr_wer": 0.0,
        "asr_cer": 0.0,
    }
