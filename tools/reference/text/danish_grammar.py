"""A small seeded Danish sentence grammar: enough distinct words and inflections to train
SentencePiece models of up to ~1,000 pieces, and fresh sentences to test them on.

Sentences are subject + verb + object/complement + adverbial, with numbers, names,
compounds and the punctuation of transcripts. Nothing here is meant to be grammatical
in every case, only Danish-looking in letters, words and their frequencies.
"""

import random

SUBJECTS = (
    "jeg du han hun vi I de den det man nogen ingen alle mange "
    "min mor min far min søster min bror vores nabo hans kone hendes mand bedstefar bedstemor "
    "læreren lægen chaufføren fiskeren bageren sygeplejersken præsten borgmesteren politiet "
    "drengen pigen børnene eleverne naboerne turisterne gæsterne kollegerne "
    "Mette Søren Jens Kirsten Ole Birgitte Lars Hanne Anders Maja Emil Freja Rasmus Ida Mikkel"
).split()

VERBS = (
    "har er var bliver blev skal skulle vil ville kan kunne må måtte går gik kommer kom "
    "ser så siger sagde tager tog giver gav får fik spiser spiste drikker drak køber købte "
    "sælger solgte læser læste skriver skrev hører hørte finder fandt bygger byggede "
    "kører kørte cykler cyklede sejler sejlede arbejder arbejdede bor boede synes syntes "
    "tror troede ved vidste husker huskede glemmer glemte elsker elskede hader hadede "
    "hjælper hjalp venter ventede besøger besøgte fortæller fortalte spørger spurgte"
).split()

OBJECTS = (
    "et æble en pære en kop kaffe et glas mælk en øl rugbrød med leverpostej smørrebrød "
    "frikadeller med kartofler rødgrød med fløde æbleskiver en kringle wienerbrød "
    "en bog en avis et brev en pakke en cykel en bil et hus en lejlighed en have en båd "
    "toget bussen færgen flyet skolen kirken havnen stranden skoven marken gården byen "
    "vejret nyhederne musikken koncerten kampen festen brylluppet fødselsdagen julefrokosten "
    "hunden katten hestene køerne fårene grisene hønsene fuglene fiskene "
    "regningen nøglerne billetten telefonen computeren fjernsynet radioen vinduet døren"
).split()

ADVERBIALS = (
    "i dag i går i morgen i aftes i weekenden om morgenen om aftenen om vinteren om sommeren "
    "hver dag hver uge nogle gange aldrig altid ofte sjældent lige nu bagefter først til sidst "
    "på landet i byen ved havet ved fjorden på Fyn i Jylland på Sjælland på Bornholm på Ærø "
    "i København i Aarhus i Odense i Aalborg i Esbjerg i Sønderborg i Skagen i Ribe "
    "derhjemme på arbejdet i skolen i haven i kælderen på loftet i køkkenet ude i skuret "
    "med glæde uden problemer ret hurtigt meget langsomt helt sikkert måske ikke"
).split()

ADJECTIVES = (
    "god godt gode dårlig dårligt stor stort store lille små lang langt lange kort kortere "
    "gammel gammelt gamle ung unge ny nyt nye varm varmt kold koldt glad gladt sur surt "
    "træt trætte sulten tørstig rig fattig smuk grim stærk svag hurtig langsom billig dyr "
    "rød rødt røde blå grøn grønt gul hvid sort brun grå lyserød mørk lys tung let blød hård "
    "sjov kedelig dejlig hyggelig farlig sikker rigtig forkert svær nem vigtig mærkelig "
    "fantastisk forfærdelig almindelig særlig ærlig venlig høflig doven flittig nysgerrig"
).split()

PLACES = (
    "Vesterbro Nørrebro Østerbro Amager Frederiksberg Valby Hellerup Roskilde Køge Næstved "
    "Slagelse Holbæk Kalundborg Svendborg Nyborg Middelfart Kolding Vejle Fredericia Horsens "
    "Silkeborg Herning Holstebro Viborg Randers Grenå Ebeltoft Thisted Hjørring Frederikshavn "
    "Tønder Haderslev Aabenraa Rønne Nexø Gudhjem Marstal Ærøskøbing Lemvig Skive Struer"
).split()

FILLERS = ["øh", "øhm", "altså", "ikke", "jo", "nå", "ja", "nej", "hmm", "sådan", "ligesom"]

NUMBERS = [
    "en", "to", "tre", "fire", "fem", "seks", "syv", "otte", "ni", "ti", "elleve", "tolv",
    "tyve", "tredive", "fyrre", "halvtreds", "tres", "halvfjerds", "firs", "halvfems",
    "hundrede", "tusind", "en halv", "halvanden", "3", "7", "12", "24", "100", "1.000",
    "2024", "1864", "13,5", "0,5", "42",
]

UNITS = ["kroner", "kilo", "liter", "meter", "kilometer", "minutter", "timer", "dage", "år", "gange"]

COMPOUND_HEADS = ["sommer", "vinter", "fod", "hånd", "jule", "bonde", "skole", "by", "havne", "kirke"]
COMPOUND_TAILS = ["huset", "festen", "bolden", "vejen", "gården", "tårnet", "ferien", "turen", "maden"]


def _phrase(rng: random.Random, words: list[str], lo: int, hi: int) -> str:
    """Between `lo` and `hi` words of `words`."""
    return " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi)))


def _clause(rng: random.Random) -> str:
    parts = [rng.choice(SUBJECTS), rng.choice(VERBS)]
    roll = rng.random()
    if roll < 0.5:
        parts.append(_phrase(rng, OBJECTS, 1, 2))
    elif roll < 0.7:
        parts.append(f"{rng.choice(NUMBERS)} {rng.choice(UNITS)}")
    elif roll < 0.85:
        parts.append(rng.choice(COMPOUND_HEADS) + rng.choice(COMPOUND_TAILS))
    if rng.random() < 0.4:
        parts.append(rng.choice(["meget", "ret", "helt", "lidt", "for", "så"]) + " " + rng.choice(ADJECTIVES))
    if rng.random() < 0.6:
        parts.append(_phrase(rng, ADVERBIALS, 1, 2))
    if rng.random() < 0.3:
        parts.append(rng.choice(["i", "fra", "til", "ved", "nær"]) + " " + rng.choice(PLACES))
    if rng.random() < 0.15:
        parts.insert(rng.randrange(len(parts) + 1), rng.choice(FILLERS))
    return " ".join(parts)


def grammar_sentences(n: int, seed: int) -> list[str]:
    """`n` sentences, one or two clauses each, capitalised and punctuated."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text = _clause(rng)
        if rng.random() < 0.3:
            text += rng.choice([", og ", ", men ", " fordi ", ", så ", " når "]) + _clause(rng)
        if rng.random() < 0.7:
            text = text[:1].upper() + text[1:]
        text += rng.choice([".", ".", ".", "?", "!", "", " ..."])
        out.append(text)
    return out
