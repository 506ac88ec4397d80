"""Danish test sentences shared by the normalisation and tokenizer fixture generators.

Deterministic (seeded): hand-written sentences with the things CoRal's normaliser treats
specially (numerals in every shape, symbols, fillers, hyphens, "aa", abbreviations,
accents, odd Unicode), plus random recombinations of fragments.
"""

import random

HANDWRITTEN = [
    "Det koster 21 kr. og 50 øre.",
    "Vi mødes kl. 14.30 på Nytorv 3.",
    "Der bor 1.234.567 mennesker i regionen, ca. 12,5 % af befolkningen.",
    "Han løb 10.000 meter på 31,07 minutter.",
    "Prisen steg med 3,5% til 1.000.000 kroner.",
    "I 1999 var der 999.999 indbyggere, i 2024 var der 1.000.001.",
    "Temperaturen faldt til -12 grader, men steg til +3.",
    "Min e-mail er fornavn.efternavn@firma.dk, skriv gerne!",
    "Øhm, jeg tror ehm, at det var hmm ... mhm, nej.",
    "ØHM, EHMM, Hmm og Mhh er fyldord.",
    "Eh, jeg ved det ikke, øh.",
    "Aage og Aase bor i Aabenraa ved Aalborg Å.",
    "Vi skal bruge 2 kg mel og 250 μg gær, fx til boller.",
    "Se § 3, stk. 2, hhv. § 4, f.eks. i loven.",
    "Alkoholprocenten er 0,5 ‰ over grænsen.",
    "Hun sagde: \"Det er nu!\" – og gik.",
    "Café Ñandú serverer crème brûlée og smørrebrød.",
    "Škoda, Citroën og Peugeot kører på Åboulevarden.",
    "Han hedder Jürgen Müller og kommer fra Kiel.",
    "Hun er født i İstanbul og taler tyrkisk: ğ, ş, ç, ı.",
    "Det var den 24.12.2023 kl. 18:00.",
    "Ring på 12 34 56 78 eller +45 70 10 20 30.",
    "Version 2.0.1 af programmet udkom i år 2.021.",
    "Han vandt 1. præmie og hun blev nr. 2.",
    "Det er 100 år siden, og 1000 dage, og 10000 timer.",
    "Der var 1100 deltagere og 1121 tilskuere.",
    "Tallet 1.0.00000 er ikke et tal, men 1.000000 heller ikke.",
    "Omkring 999.999.999 eller 1.000.000.000 stjerner.",
    "0,5 liter mælk og 0,25 liter fløde.",
    "Hun har 3 børn: 1 dreng og 2 piger.",
    "Bussen kører hvert 7. minut fra perron 4B.",
    "Vi ses i uge 42 (den 17/10).",
    "Det regnede 15 mm i går — hele 150 % mere end normalt.",
    "Svaret er 42; spørgsmålet er ukendt.",
    "Ｆｕｌｌｗｉｄｔｈ tekst med １２ og ３,５.",
    "Matematik: 𝐀𝐁𝐂 og ℌ𝔢𝔩𝔩𝔬 og ﬁnale.",
    "Arabisk ١٢ og 1٣ og ٣ tal.",
    "Han sagde 'ja' og ’nej’ og «måske».",
    "Kaffe\u200bpause og e\u0301 og a\u0301 og \u0301 alene.",
    "Tab\tmellem\tordene og  dobbelt  mellemrum.",
    "Linje et\nlinje to\r\nlinje tre",
    "Smiley 😀 og hjerte ❤ og ★ stjerne.",
    "Ordet øhmand er ikke et fyldord, men øhm er.",
    "Mmh, hmm-hmm, eh-he.",
    "Københavns Kommune har 650.000 indbyggere.",
    "Sønderjysk, vestjysk og bornholmsk er dialekter.",
    "Det er 23 grader og 75% luftfugtighed.",
    "Han kørte 120 km/t på motorvejen E45.",
    "Skatten er 37,02 pct. af 450.000,50 kr.",
    "IKEA, DSB og TV 2 er forkortelser.",
    "Jeg har 21 ting, 31 ting og 99 ting.",
    "Klokken er 7 og 8 og 9 og 0.",
    "Μ og μ og µ er forskellige tegn.",
    "Ærø, Øresund og Åmosen.",
    "Han skrev 'naïve' og 'façade' og 'déjà vu'.",
    "2 + 2 = 4, og 10 - 3 = 7.",
    "Det var en 50/50-chance.",
    "Nr. 1, nr. 11, nr. 111, nr. 1111, nr. 11111, nr. 111111, nr. 1111111.",
    "Hun fik 12 i dansk og 10 i matematik og -3 i fysik.",
    "|pipe| og _understreg_ og #hashtag og @bruger.",
    "Ｅｈｍ, ekstraarbejde og e-mail-adresse, ØHMM.",
    "Kl. 7-8 eller 7–8, 3x3, 2.5 og 2,5.",
    "1.000.000.000 og 12.345.678.901 kroner.",
]

FRAGMENTS = [
    "jeg", "du", "vi", "de", "har", "var", "skal", "kan", "ikke", "meget", "måske",
    "æbler", "øl", "år", "ål", "Aarhus", "aa", "AA", "kaffe", "e-mail", "Tv-avisen",
    "øhm", "ehm", "hmm", "mhm", "Øhh", "EHM", "hmmm", "eh", "øh",
    "0", "1", "7", "10", "13", "21", "42", "99", "100", "101", "110", "999", "1000", "1001",
    "1010", "1100", "2000", "10.000", "12.345", "100.000", "999.999", "1.000.000",
    "12.345.678", "123.456.789", "1.234.567.890", "3,5", "0,25", "12,75", "1.000,50",
    "1,0", "2,15", "007", "05", "1٣", "١٢", "１２", "½", "²", "3²", "4B", "B4", "x1", "1x",
    "%", "‰", "§", "+", "-", "–", "—", "kg", "μg", "fx", "f.eks.", "hhv.", "osv.",
    "!", "?", ",", ".", ":", ";", "(", ")", "[", "]", "\"", "'", "’", "«", "»", "/", "&",
    "café", "crème", "naïve", "Müller", "İ", "ı", "ſ", "ﬁ", "𝐀", "K", "Å", "ß",
    "e\u0301", "\u200b", "\t", "  ", "\u00a0",
]


def sentences(n_random: int = 260, seed: int = 4242) -> list[str]:
    rng = random.Random(seed)
    out = list(HANDWRITTEN)
    for _ in range(n_random):
        words = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 14))]
        sep = [" " if rng.random() < 0.9 else rng.choice(["", "  ", "-", ".", ","]) for _ in words]
        text = "".join(w + s for w, s in zip(words, sep)).strip(" ")
        if rng.random() < 0.5:
            text = text[:1].upper() + text[1:]
        if rng.random() < 0.5:
            text += rng.choice([".", "!", "?", ""])
        out.append(text)
    return out
