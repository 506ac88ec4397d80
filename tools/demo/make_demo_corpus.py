"""Build dialekt's synthetic Danish speech corpora in CoRal's raw Hugging Face schema.

SYNTHETIC DATA: every utterance is espeak-ng speaking a sentence made up by the
template generator in this file. The speakers, ages, genders, dialects and birth
countries are invented labels; the "dialects" are espeak-ng voice families, not
Danish dialects. Nothing here is real speech or a real person, and a model trained
on it learns nothing about Danish.

Two corpora, from the same sentence generator with different seeds:

  demo      the committed fine-tuning corpus of the demo (`./dev demo`): 480 rows,
            35 speakers, five synthetic "dialects" that map to five CoRal
            evaluation groups, each a voice family of its own (variant, pitch and
            speed bands) that the pretraining corpus never uses:
                nørrejysk  (Nordjysk)     da+m4, da+m5      pitch 20-35, speed 120-135
                sønderjysk (Sønderjysk)   da+klatt, klatt2  pitch 40-55, speed 145-160
                fynsk      (Fynsk)        da+f4, da+f5      pitch 65-80, speed 195-215
                bornholmsk (Bornholmsk)   da+croak, da+m6   pitch 35-50, speed 155-170
                amagermål  (Københavnsk)  da+m7, da+m8      pitch 45-60, speed 185-200
            Per dialect 4 train speakers x 15 rows, 1 val x 12, 2 test x 12;
            sentences of 4-7 words, all recordings clean (about 15.6 MB in all).
            3 rows (one per split) are marked `validated = "rejected"` to
            exercise CoRal's filter.
  pretrain  a separate corpus to pretrain the demo's base model on; generated
            locally, never committed (data/ is ignored): ~2,600 train and 120 val
            rows from 36 "neutral" speakers (da+m1..m3, da+f1..f3, pitch 40-60,
            speed 150-175), all labelled sjællandsk, train/val speaker-disjoint.
            It shares no sentence and no speaker with the demo corpus (its
            generator skips every demo sentence, so it regenerates that list).

Sentences are 4-10 words (demo: 4-7) from eleven templates: names and nouns with the
right en/et article and adjective forms, present/past tense, places, time phrases and
numerals written as digits (1-99, which espeak-ng reads in Danish and CoRal's
normalisation spells out); about 400 word forms besides the numerals. Only a-z, æ, ø,
å, digits, spaces and , . ? occur.
Sentences are unique within a corpus, so splits are sentence-disjoint too.

Layout written (CoRal v1 `read_aloud` columns, HF `Audio` struct of FLAC bytes,
16 kHz mono 16-bit, path "<id_recording>.flac"; snappy, 64 rows per row group):
    demo/coral/read_aloud/{train,val,test}-00000-of-00001.parquet
    data/pretrain-coral/read_aloud/{train,val}-00000-of-00001.parquet

Requirements: espeak-ng and sox on PATH; Python with numpy, soundfile, pyarrow:
    python3 -m venv /work/venvs/demo
    /work/venvs/demo/bin/pip install numpy soundfile pyarrow
    /work/venvs/demo/bin/python tools/demo/make_demo_corpus.py --corpus demo
    /work/venvs/demo/bin/python tools/demo/make_demo_corpus.py --corpus pretrain
(--out DIR overrides demo/coral or data/pretrain-coral.)

Deterministic for a given espeak-ng, sox and libFLAC version: sentences, speakers
and noise are seeded (noise per row, so the two synthesis workers' order does not
matter), sox dither is off, and libsndfile's FLAC stream holds only the audio, its
MD5 and libFLAC's fixed vendor string (so the bytes also depend on the libFLAC that
soundfile loads).
"""

import argparse
import dataclasses
import io
import random
import re
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import soundfile as sf

from coral_schema import schema, synthetic_row

ROOT = Path(__file__).resolve().parents[2]
RATE_HZ = 16_000
ROW_GROUP_SIZE = 64
# espeak-ng speaks at full scale (sox would clip a few samples when resampling); -10.5 dB
# leaves headroom and makes the FLAC smaller (peaks about -13 dBFS, RMS about -31 dBFS).
SOX_VOLUME = "0.3"
FLAC_COMPRESSION = 1.0  # soundfile's scale: libFLAC level 8 (libsndfile's default is 5)
WORKERS = 2  # espeak-ng/sox subprocesses in flight

DEMO_SENTENCE_SEED = 20_251_201
PRETRAIN_SENTENCE_SEED = 20_251_202
DEMO_SPEAKER_SEED = 20_251_203
PRETRAIN_SPEAKER_SEED = 20_251_204
NOISE_SEED = 20_251_205

# --------------------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------------------

NAMES = [
    "Anna", "Jens", "Mette", "Lars", "Sofie", "Peter", "Karen", "Mads", "Ida", "Søren",
    "Line", "Niels", "Freja", "Henrik", "Emma", "Ole", "Louise", "Rasmus", "Morten", "Thomas",
    "Hanne", "Jonas", "Anders", "Signe",
]
# Singular subjects that are not names (lower case; capitalised at sentence start).
PERSONS = [
    "min bror", "min søster", "min mor", "min far", "min onkel", "naboen", "læreren",
    "bageren", "lægen", "chaufføren", "pigen", "drengen", "vores datter", "vores søn",
    "hans ven", "hendes kollega", "fiskeren", "hun", "han", "jeg",
]
PLURAL_SUBJECTS = ["vi", "de", "børnene", "mine forældre", "naboerne", "turisterne"]

# (present, past, participle) of transitive verbs that fit any thing below.
THING_VERBS = [
    ("køber", "købte", "købt"), ("ser", "så", "set"), ("finder", "fandt", "fundet"),
    ("får", "fik", "fået"), ("henter", "hentede", "hentet"), ("sælger", "solgte", "solgt"),
    ("glemmer", "glemte", "glemt"), ("låner", "lånte", "lånt"), ("mister", "mistede", "mistet"),
    ("maler", "malede", "malet"), ("bærer", "bar", "båret"), ("pakker", "pakkede", "pakket"),
]
FOOD_VERBS = [
    ("spiser", "spiste", "spist"), ("bager", "bagte", "bagt"), ("skærer", "skar", "skåret"),
    ("køber", "købte", "købt"), ("deler", "delte", "delt"),
]
# (singular, gender "en"/"et", plural, definite singular)
THINGS = [
    ("bil", "en", "biler", "bilen"), ("cykel", "en", "cykler", "cyklen"),
    ("bog", "en", "bøger", "bogen"), ("stol", "en", "stole", "stolen"),
    ("lampe", "en", "lamper", "lampen"), ("taske", "en", "tasker", "tasken"),
    ("kop", "en", "kopper", "koppen"), ("jakke", "en", "jakker", "jakken"),
    ("hat", "en", "hatte", "hatten"), ("nøgle", "en", "nøgler", "nøglen"),
    ("blomst", "en", "blomster", "blomsten"), ("avis", "en", "aviser", "avisen"),
    ("kniv", "en", "knive", "kniven"), ("hund", "en", "hunde", "hunden"),
    ("kat", "en", "katte", "katten"), ("fugl", "en", "fugle", "fuglen"),
    ("hus", "et", "huse", "huset"), ("bord", "et", "borde", "bordet"),
    ("billede", "et", "billeder", "billedet"), ("brev", "et", "breve", "brevet"),
    ("glas", "et", "glas", "glasset"), ("skib", "et", "skibe", "skibet"),
    ("vindue", "et", "vinduer", "vinduet"), ("ur", "et", "ure", "uret"),
    ("kort", "et", "kort", "kortet"), ("tæppe", "et", "tæpper", "tæppet"),
    ("flag", "et", "flag", "flaget"), ("lys", "et", "lys", "lyset"),
]
FOODS = [
    ("æble", "et", "æbler", "æblet"), ("pære", "en", "pærer", "pæren"),
    ("kage", "en", "kager", "kagen"), ("bolle", "en", "boller", "bollen"),
    ("appelsin", "en", "appelsiner", "appelsinen"), ("banan", "en", "bananer", "bananen"),
    ("gulerod", "en", "gulerødder", "guleroden"), ("tomat", "en", "tomater", "tomaten"),
    ("pølse", "en", "pølser", "pølsen"), ("ost", "en", "oste", "osten"),
    ("brød", "et", "brød", "brødet"), ("rundstykke", "et", "rundstykker", "rundstykket"),
    ("æg", "et", "æg", "ægget"),
]
# (common gender, neuter, plural/definite)
ADJECTIVES = [
    ("stor", "stort", "store"), ("gammel", "gammelt", "gamle"), ("ny", "nyt", "nye"),
    ("rød", "rødt", "røde"), ("blå", "blåt", "blå"), ("grøn", "grønt", "grønne"),
    ("gul", "gult", "gule"), ("hvid", "hvidt", "hvide"), ("sort", "sort", "sorte"),
    ("billig", "billigt", "billige"), ("dyr", "dyrt", "dyre"), ("smuk", "smukt", "smukke"),
    ("tung", "tungt", "tunge"), ("let", "let", "lette"), ("flot", "flot", "flotte"),
    ("lille", "lille", "små"),
]
FOOD_ADJECTIVES = [
    ("frisk", "friskt", "friske"), ("varm", "varmt", "varme"), ("kold", "koldt", "kolde"),
    ("sød", "sødt", "søde"), ("stor", "stort", "store"), ("lille", "lille", "små"),
    ("god", "godt", "gode"),
]
CITIES = [
    "Aarhus", "Odense", "Aalborg", "Esbjerg", "Randers", "Kolding", "Vejle", "Roskilde",
    "Horsens", "Herning", "Silkeborg", "Næstved", "Viborg", "Svendborg", "Rønne", "Skagen",
    "Ribe", "København",
]
PLACES = [f"i {c}" for c in CITIES] + [
    "på stationen", "på torvet", "på biblioteket", "på skolen", "på havnen", "på markedet",
    "på kontoret", "ved havet", "ved søen", "ved stranden", "ved kirken", "i haven",
    "i skoven", "i byen", "i køkkenet", "i butikken", "i parken", "hos bageren",
]
PAST_TIMES = [
    "i går", "i morges", "i sidste uge", "sidste år", "i sommer", "i vinter",
    "sidste weekend", "til jul", "om natten",
]
PRESENT_TIMES = [
    "i dag", "i morgen", "på mandag", "på tirsdag", "på onsdag", "på torsdag", "på fredag",
    "på lørdag", "på søndag", "hver dag", "om morgenen", "om aftenen", "i weekenden", "nu",
]
# (present, past) of motion verbs: "<subject> <verb> til <city>".
MOTION_VERBS = [
    ("kører", "kørte"), ("rejser", "rejste"), ("flytter", "flyttede"), ("cykler", "cyklede"),
    ("går", "gik"), ("tager", "tog"), ("sejler", "sejlede"),
]
VEHICLES = [("toget", "kører"), ("bussen", "kører"), ("færgen", "sejler"), ("flyet", "letter"),
            ("metroen", "kører"), ("båden", "sejler"), ("rutebilen", "kører")]
VEHICLE_FROM = ["fra stationen", "fra havnen", "fra torvet", "fra byen"] + [
    f"fra {c}" for c in CITIES
]
# "Klokken <N> <activity> <subject> ..." (present tense, V2 order).
DAILY = [
    ("står", "op"), ("går", "hjem"), ("spiser", "frokost"), ("spiser", "aftensmad"),
    ("går", "i seng"), ("kommer", "hjem"), ("tager", "på arbejde"), ("læser", "avis"),
    ("går", "en tur"), ("går", "i skole"),
]
OPINION_VERBS = ["synes", "siger", "mener", "tror"]
DEGREES = ["meget", "ret", "alt for", "helt", "lidt"]


def _subject(rng: random.Random) -> str:
    return rng.choice(NAMES) if rng.random() < 0.55 else rng.choice(PERSONS)


def _adjective(adj: tuple[str, str, str], gender: str) -> str:
    return adj[0] if gender == "en" else adj[1]


def _thing(rng: random.Random, food: bool) -> tuple[tuple[str, str, str, str], tuple[str, str, str]]:
    if food:
        return rng.choice(FOODS), rng.choice(FOOD_ADJECTIVES)
    return rng.choice(THINGS), rng.choice(ADJECTIVES)


def _verb_and_time(rng: random.Random, verbs: list[tuple[str, ...]]) -> tuple[str, str]:
    verb = rng.choice(verbs)
    if rng.random() < 0.5:
        return verb[1], rng.choice(PAST_TIMES)
    return verb[0], rng.choice(PRESENT_TIMES)


def _t_count_object(rng: random.Random) -> str:
    # "Anna købte 3 røde æbler i Aarhus."
    food = rng.random() < 0.5
    verb, _ = _verb_and_time(rng, FOOD_VERBS if food else THING_VERBS)
    (_, _, plural, _), adj = _thing(rng, food)
    tail = rng.choice(PLACES)
    return f"{_subject(rng)} {verb} {rng.randint(2, 99)} {adj[2]} {plural} {tail}."


def _t_object_time(rng: random.Random) -> str:
    # "Jens fandt en gammel nøgle i går."
    food = rng.random() < 0.35
    verb, when = _verb_and_time(rng, FOOD_VERBS if food else THING_VERBS)
    (noun, gender, _, _), adj = _thing(rng, food)
    return f"{_subject(rng)} {verb} {gender} {_adjective(adj, gender)} {noun} {when}."


def _t_vehicle(rng: random.Random) -> str:
    # "Toget kører klokken 7 fra stationen."
    vehicle, verb = rng.choice(VEHICLES)
    return f"{vehicle} {verb} klokken {rng.randint(1, 12)} {rng.choice(VEHICLE_FROM)}."


def _t_there_were(rng: random.Random) -> str:
    # "Der var 24 store hunde på torvet."
    food = rng.random() < 0.3
    (_, _, plural, _), adj = _thing(rng, food)
    verb = rng.choice(["var", "er", "står", "stod", "ligger", "lå"])
    if rng.random() < 0.5:
        return f"der {verb} {rng.randint(2, 99)} {adj[2]} {plural} {rng.choice(PLACES)}."
    return f"der {verb} {rng.randint(2, 99)} {plural} {rng.choice(PLACES)}."


def _t_have_you(rng: random.Random) -> str:
    # "Har naboen set en sort kat i haven?"
    food = rng.random() < 0.3
    verb = rng.choice(FOOD_VERBS if food else THING_VERBS)
    (noun, gender, _, _), adj = _thing(rng, food)
    who = rng.choice(NAMES + PERSONS + ["du"] + PLURAL_SUBJECTS)
    aux = "Har" if rng.random() < 0.7 else "Havde"
    return f"{aux} {who} {verb[2]} {gender} {_adjective(adj, gender)} {noun} {rng.choice(PLACES)}?"


def _t_how_many(rng: random.Random) -> str:
    # "Hvor mange æbler købte Anna i går?"
    food = rng.random() < 0.5
    verb, when = _verb_and_time(rng, FOOD_VERBS if food else THING_VERBS)
    (_, _, plural, _), _ = _thing(rng, food)
    who = rng.choice(NAMES + PERSONS + ["du"] + PLURAL_SUBJECTS)
    return f"hvor mange {plural} {verb} {who} {when}?"


def _t_motion(rng: random.Random) -> str:
    # "I går kørte min bror til Aalborg."
    verb = rng.choice(MOTION_VERBS)
    if rng.random() < 0.5:
        when, verb = rng.choice(PAST_TIMES), verb[1]
    else:
        when, verb = rng.choice(PRESENT_TIMES), verb[0]
    who = rng.choice(NAMES + PERSONS + PLURAL_SUBJECTS)
    if rng.random() < 0.5:
        return f"{when} {verb} {who} til {rng.choice(CITIES)}."
    return f"{who} {verb} til {rng.choice(CITIES)} {when}."


def _t_daily(rng: random.Random) -> str:
    # "Klokken 7 står min far op."
    verb, rest = rng.choice(DAILY)
    who = rng.choice(NAMES + PERSONS + PLURAL_SUBJECTS)
    if rng.random() < 0.5:
        return f"klokken {rng.randint(1, 12)} {verb} {who} {rest}."
    return f"{who} {verb} {rest} klokken {rng.randint(1, 12)}."


def _t_opinion(rng: random.Random) -> str:
    # "Naboen synes, at huset er alt for dyrt."
    food = rng.random() < 0.3
    (_, gender, _, definite), adj = _thing(rng, food)
    who = rng.choice(NAMES + PERSONS + PLURAL_SUBJECTS)
    verb = rng.choice(OPINION_VERBS)
    tense = "er" if rng.random() < 0.6 else "var"
    return f"{who} {verb}, at {definite} {tense} {rng.choice(DEGREES)} {_adjective(adj, gender)}."


def _t_age(rng: random.Random) -> str:
    # "Mette er 34 år og bor i Odense."
    who = rng.choice(NAMES + PERSONS)
    verb = rng.choice(["bor", "arbejder", "studerer", "boede", "arbejdede"])
    return f"{who} er {rng.randint(1, 99)} år og {verb} i {rng.choice(CITIES)}."


def _t_weather(rng: random.Random) -> str:
    # "I morgen bliver der 18 grader i Skagen."
    if rng.random() < 0.5:
        when, verb = rng.choice(PAST_TIMES), rng.choice(["var der", "blev der"])
    else:
        when, verb = rng.choice(PRESENT_TIMES), rng.choice(["er der", "bliver der"])
    return f"{when} {verb} {rng.randint(1, 35)} grader i {rng.choice(CITIES)}."


TEMPLATES = [
    _t_count_object, _t_object_time, _t_vehicle, _t_there_were, _t_have_you,
    _t_how_many, _t_motion, _t_daily, _t_opinion, _t_age, _t_weather,
]
ALLOWED = re.compile(r"[A-Za-zÆØÅæøå0-9 ,.?]+")


def sentences(
    seed: int, count: int, exclude: frozenset[str] = frozenset(), max_words: int = 10
) -> list[str]:
    """`count` distinct sentences of 4 to `max_words` words, none in `exclude`, from a
    `random.Random(seed)`."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        text = rng.choice(TEMPLATES)(rng)
        text = text[0].upper() + text[1:]
        words = len(text.split())
        if not 4 <= words <= max_words or text in seen or text in exclude:
            continue
        assert ALLOWED.fullmatch(text) and text[-1] in ".?", text
        assert all(1 <= int(n) <= 99 for n in re.findall(r"\d+", text)), text
        seen.add(text)
        out.append(text)
    return out


# --------------------------------------------------------------------------------------
# Speakers
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Speaker:
    id: str
    split: str
    age: int
    gender: str
    dialect: str
    variant: str  # espeak-ng variant, used as `-v da+<variant>`
    pitch: int  # espeak-ng -p (0..99)
    speed: int  # espeak-ng -s (words per minute)
    utterances: int
    snr_db: float | None  # added white noise; None = clean


@dataclass(frozen=True)
class Dialect:
    name: str  # CoRal raw sub-dialect
    variants: tuple[str, ...]
    genders: tuple[str, ...]  # per variant
    pitch: tuple[int, int]  # inclusive band
    speed: tuple[int, int]
    snr_db: float | None


# Five CoRal evaluation groups (Nordjysk, Sønderjysk, Fynsk, Bornholmsk, Københavnsk),
# each a voice family the pretraining voices (m1-m3, f1-f3, pitch 40-60, speed 150-175)
# do not use. klatt, klatt2 and croak have no gender; klatt2 is labelled female so that
# sønderjysk has both. All clean: white noise at 35 dB SNR on amagermål (last field
# 35.0) works but cost about 1 MB (7 %) of the committed corpus.
DEMO_DIALECTS = [
    Dialect("nørrejysk", ("m4", "m5"), ("male", "male"), (20, 35), (120, 135), None),
    Dialect("sønderjysk", ("klatt", "klatt2"), ("male", "female"), (40, 55), (145, 160), None),
    Dialect("fynsk", ("f4", "f5"), ("female", "female"), (65, 80), (195, 215), None),
    Dialect("bornholmsk", ("croak", "m6"), ("male", "male"), (35, 50), (155, 170), None),
    Dialect("amagermål", ("m7", "m8"), ("male", "male"), (45, 60), (185, 200), None),
]
DEMO_PER_DIALECT = [("train", 4, 15), ("val", 1, 12), ("test", 2, 12)]  # split, speakers, rows each
# Age bands of CoRal's evaluation ([0, 25), [25, 50), [50, ∞)) within 18-80.
AGE_BANDS = [(18, 24), (25, 49), (50, 80)]

PRETRAIN_VARIANTS = [("m1", "male"), ("m2", "male"), ("m3", "male"),
                     ("f1", "female"), ("f2", "female"), ("f3", "female")]
PRETRAIN_SPEAKERS_PER_VARIANT = 6
PRETRAIN_VAL_SPEAKERS = 4
PRETRAIN_TRAIN_ROWS = 2_600
PRETRAIN_VAL_ROWS = 120


def _distinct_voice(rng: random.Random, pitch: tuple[int, int], speed: tuple[int, int],
                    taken: set[tuple[str, int, int]], variant: str) -> tuple[int, int]:
    while True:
        voice = (variant, rng.randint(*pitch), rng.randint(*speed))
        if voice not in taken:
            taken.add(voice)
            return voice[1], voice[2]


def demo_speakers() -> list[Speaker]:
    rng = random.Random(DEMO_SPEAKER_SEED)
    speakers: list[Speaker] = []
    test_index = 0
    for dialect in DEMO_DIALECTS:
        taken: set[tuple[str, int, int]] = set()
        k = 0  # speaker within dialect: alternates the two variants
        for split, count, rows in DEMO_PER_DIALECT:
            for _ in range(count):
                v = k % len(dialect.variants)
                variant = dialect.variants[v]
                pitch, speed = _distinct_voice(rng, dialect.pitch, dialect.speed, taken, variant)
                if split == "test":
                    # Cycle the test speakers through the three age groups, so all appear.
                    age = rng.randint(*AGE_BANDS[test_index % len(AGE_BANDS)])
                    test_index += 1
                else:
                    age = rng.randint(18, 80)
                speakers.append(Speaker(
                    id=f"demo_spk_{len(speakers) + 1:03d}", split=split, age=age,
                    gender=dialect.genders[v], dialect=dialect.name, variant=variant,
                    pitch=pitch, speed=speed, utterances=rows, snr_db=dialect.snr_db,
                ))
                k += 1
    return speakers


def pretrain_speakers() -> list[Speaker]:
    rng = random.Random(PRETRAIN_SPEAKER_SEED)
    taken: set[tuple[str, int, int]] = set()
    voices = []
    for i in range(PRETRAIN_SPEAKERS_PER_VARIANT):
        for variant, gender in PRETRAIN_VARIANTS:
            pitch, speed = _distinct_voice(rng, (40, 60), (150, 175), taken, variant)
            voices.append((variant, gender, pitch, speed, rng.randint(18, 80)))
    # Val speakers: the first speaker of two male and two female variants (seeded choice).
    males = [i for i, (_, g) in enumerate(PRETRAIN_VARIANTS) if g == "male"]
    females = [i for i, (_, g) in enumerate(PRETRAIN_VARIANTS) if g == "female"]
    half = PRETRAIN_VAL_SPEAKERS // 2
    val_voices = set(rng.sample(males, half) + rng.sample(females, PRETRAIN_VAL_SPEAKERS - half))
    splits = ["val" if i in val_voices else "train" for i in range(len(voices))]
    n_train = splits.count("train")
    speakers = []
    t = 0
    for i, ((variant, gender, pitch, speed, age), split) in enumerate(zip(voices, splits)):
        if split == "train":
            rows = PRETRAIN_TRAIN_ROWS // n_train + (t < PRETRAIN_TRAIN_ROWS % n_train)
            t += 1
        else:
            rows = PRETRAIN_VAL_ROWS // PRETRAIN_VAL_SPEAKERS
        speakers.append(Speaker(
            id=f"pretrain_spk_{i + 1:03d}", split=split, age=age, gender=gender,
            dialect="sjællandsk", variant=variant, pitch=pitch, speed=speed,
            utterances=rows, snr_db=None,
        ))
    return speakers


def check_variants(variants: set[str]) -> None:
    """espeak-ng silently falls back to the plain voice for an unknown variant."""
    listing = subprocess.run(["espeak-ng", "--voices=variant"], check=True, capture_output=True,
                             text=True).stdout
    files = {word for word in listing.split() if word.startswith("!v/")}
    missing = sorted(v for v in variants if f"!v/{v}" not in files)
    assert not missing, f"espeak-ng lacks the variants {missing}"


# --------------------------------------------------------------------------------------
# Audio
# --------------------------------------------------------------------------------------


def synthesize(text: str, speaker: Speaker) -> np.ndarray:
    """espeak-ng at its native 22.05 kHz, then sox to 16 kHz (no dither)."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        out = Path(tmp) / "rate.wav"
        subprocess.run(
            ["espeak-ng", "-v", f"da+{speaker.variant}", "-p", str(speaker.pitch),
             "-s", str(speaker.speed), "-w", str(raw), text],
            check=True, stderr=subprocess.DEVNULL,
        )
        subprocess.run(
            ["sox", "-D", str(raw), "-e", "floating-point", "-b", "32", str(out),
             "vol", SOX_VOLUME, "rate", "-v", str(RATE_HZ)],
            check=True,
        )
        audio, rate = sf.read(out, dtype="float64")
    assert rate == RATE_HZ and audio.ndim == 1, (rate, audio.shape)
    return audio


def finish(audio: np.ndarray, speaker: Speaker, rng: np.random.Generator) -> np.ndarray:
    """0.1 s of silence at both ends, the speaker's noise, peak limit 0.95."""
    pad = np.zeros(int(0.1 * RATE_HZ))
    audio = np.concatenate([pad, audio, pad])
    if speaker.snr_db is not None:
        power = np.mean(audio**2)
        scale = np.sqrt(power / 10 ** (speaker.snr_db / 10))
        audio = audio + rng.standard_normal(audio.shape) * scale
    peak = np.max(np.abs(audio))
    if peak > 0.95:
        audio = audio * (0.95 / peak)
    return audio


def flac_bytes(audio: np.ndarray) -> bytes:
    """16 kHz mono 16-bit FLAC. Quantised here (x 32768, round half away from zero, as
    the Rust side's `quantize_i16`), so libsndfile only encodes integers."""
    scaled = audio * 32_768.0
    pcm = np.clip(np.trunc(scaled + np.copysign(0.5, scaled)), -32_768, 32_767).astype(np.int16)
    buf = io.BytesIO()
    sf.write(buf, pcm, RATE_HZ, format="FLAC", subtype="PCM_16", compression_level=FLAC_COMPRESSION)
    data = buf.getvalue()
    assert data.startswith(b"fLaC")
    return data


# --------------------------------------------------------------------------------------
# Corpora
# --------------------------------------------------------------------------------------

# The committed corpus keeps to shorter sentences (4-7 words; pretrain 4-10) to stay small.
DEMO_MAX_WORDS = 7
DEMO_ROWS = sum(len(DEMO_DIALECTS) * n * rows for _, n, rows in DEMO_PER_DIALECT)


def demo_sentences() -> list[str]:
    return sentences(DEMO_SENTENCE_SEED, DEMO_ROWS, max_words=DEMO_MAX_WORDS)


@dataclass(frozen=True)
class Job:
    index: int  # row within the corpus (seeds the row's noise)
    speaker: Speaker
    utterance: int
    sentence_id: str
    text: str
    rejected: bool


def plan(corpus: str) -> tuple[list[str], list[Job]]:
    if corpus == "demo":
        speakers = demo_speakers()
        texts = demo_sentences()
        prefix = "sent"
        splits = ["train", "val", "test"]
    else:
        speakers = pretrain_speakers()
        total = sum(s.utterances for s in speakers)
        texts = sentences(PRETRAIN_SENTENCE_SEED, total, exclude=frozenset(demo_sentences()))
        prefix = "pretrain_sent"
        splits = ["train", "val"]
    jobs: list[Job] = []
    for split in splits:
        for speaker in (s for s in speakers if s.split == split):
            for u in range(speaker.utterances):
                i = len(jobs)
                jobs.append(Job(i, speaker, u, f"{prefix}_{i:04d}", texts[i], False))
    assert len(jobs) == len(texts)
    if corpus == "demo":
        # Exactly one row per split is marked the way CoRal's validation marks a bad
        # recording, so the demo exercises the `validated == "rejected"` filter.
        rng = random.Random(DEMO_SPEAKER_SEED + 1)
        for split in splits:
            pick = rng.choice([j.index for j in jobs if j.speaker.split == split])
            jobs[pick] = dataclasses.replace(jobs[pick], rejected=True)
    return splits, jobs


def render(job: Job) -> dict:
    rng = np.random.default_rng([NOISE_SEED, job.index])
    speaker = job.speaker
    audio = finish(synthesize(job.text, speaker), speaker, rng)
    recording = f"rec_{speaker.id}_{job.utterance:03d}"
    row = synthetic_row(
        recording=recording,
        sentence_id=job.sentence_id,
        speaker=speaker,
        text=job.text,
        country_birth="DK",
        rejected=job.rejected,
        audio=flac_bytes(audio),
        extension="flac",
    )
    row["_seconds"] = len(audio) / RATE_HZ
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", choices=["demo", "pretrain"], required=True)
    parser.add_argument("--out", type=Path, help="default: demo/coral or data/pretrain-coral")
    args = parser.parse_args()
    out_dir = args.out or ROOT / ("demo/coral" if args.corpus == "demo" else "data/pretrain-coral")

    start = time.monotonic()
    splits, jobs = plan(args.corpus)
    check_variants({j.speaker.variant for j in jobs})
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        rendered = list(pool.map(render, jobs))

    out = out_dir / "read_aloud"
    out.mkdir(parents=True, exist_ok=True)
    totals = [0, 0, 0.0, 0.0]
    for split in splits:
        split_rows = [r for r, j in zip(rendered, jobs) if j.speaker.split == split]
        seconds = sum(r.pop("_seconds") for r in split_rows)
        speakers = len({r["id_speaker"] for r in split_rows})
        table = pa.Table.from_pylist(split_rows, schema=schema())
        path = out / f"{split}-00000-of-00001.parquet"
        pq.write_table(table, path, row_group_size=ROW_GROUP_SIZE, compression="snappy")
        mb = path.stat().st_size / 1e6
        for k, v in enumerate([table.num_rows, speakers, seconds / 3600, mb]):
            totals[k] += v
        print(f"{path}: {table.num_rows} rows, {speakers} speakers, {seconds / 3600:.3f} h, {mb:.2f} MB")
    print(f"total: {totals[0]} rows, {totals[1]} speakers, {totals[2]:.3f} h, {totals[3]:.2f} MB "
          f"({time.monotonic() - start:.0f} s)")


if __name__ == "__main__":
    main()
