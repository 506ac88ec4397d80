"""A deterministic Danish-like text for the LM and decoder fixtures.

Real Danish function words plus generated words (Danish-looking syllables), drawn from a
Zipfian distribution with per-word preferred successors, so the text has the statistics
n-gram estimators care about: many singletons, skewed continuation counts, recurring
phrases. Only letters a-z, æ, ø, å, so every word can be spelled by the omniASR tokenizer
fixture (text/tests/fixtures/spm_omni.model).
"""

import random

BASE_WORDS = """
og i at det er en til på som de med har for ikke der var et den af vi kan sig
han hun jeg du om så men fra skal vil også eller når nu kun over efter ved blev
meget være have mange alle hvad hvor op ud ind her da sin sine min dit vores jeres
deres hans hendes godt stor lille ny gammel dansk danske danmark københavn aarhus
år dag tid gang måde mennesker land by hus vej skole arbejde børn folk verden
sige gøre komme gå se få tage give stå ligge tro vide tale spise drikke læse
skrive høre sidde bo køre synes lide lave bruge finde hedde mene kende holde
rigtig lidt mere mest aldrig altid igen stadig allerede måske bare jo vel nok
hjem ude inde oppe nede hvorfor hvordan hvornår hvem hvilken hvilke fordi selv
morgen aften nat uge måned sommer vinter efterår forår vand mad brød kaffe øl
""".split()

ONSETS = ["", "b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t",
          "v", "sk", "st", "sp", "tr", "kr", "br", "fl", "gr", "bl", "sn", "kn"]
VOWELS = ["a", "e", "i", "o", "u", "y", "æ", "ø", "å", "ei", "ou", "ie"]
CODAS = ["", "", "n", "r", "l", "s", "t", "d", "g", "k", "m", "nd", "ng", "st", "rt", "lv"]


def make_vocabulary(rng: random.Random, size: int) -> list[str]:
    words = list(dict.fromkeys(BASE_WORDS))
    seen = set(words)
    while len(words) < size:
        syllables = rng.choice([1, 2, 2, 3, 3, 4])
        word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS)
                       for _ in range(syllables))
        if len(word) >= 2 and word not in seen:
            seen.add(word)
            words.append(word)
    return words


VOCABULARY_SEED = 7
SUCCESSOR_SEED = 8


def make_sentences(seed: int, words_wanted: int, vocabulary_size: int = 4000) -> list[str]:
    """Sentences of 1-18 words until `words_wanted` words are written. The vocabulary and
    each word's preferred successors are fixed (seeded apart from `seed`), so texts made
    with different seeds are samples of one language."""
    vocabulary = make_vocabulary(random.Random(VOCABULARY_SEED), vocabulary_size)
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(vocabulary))]
    successor_rng = random.Random(SUCCESSOR_SEED)
    successors = {word: successor_rng.choices(vocabulary, weights, k=12) for word in vocabulary}
    rng = random.Random(seed)
    sentences = []
    total = 0
    while total < words_wanted:
        length = min(18, max(1, int(rng.expovariate(1 / 8))))
        sentence = [rng.choices(vocabulary, weights)[0]]
        while len(sentence) < length:
            if rng.random() < 0.65:
                sentence.append(rng.choice(successors[sentence[-1]]))
            else:
                sentence.append(rng.choices(vocabulary, weights)[0])
        sentences.append(" ".join(sentence))
        total += len(sentence)
    return sentences
