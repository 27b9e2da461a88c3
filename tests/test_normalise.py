"""Tests of spamguard.normalise: disguises undone, real text kept, properties that hold for any str.

No timing assertions here (timings depend on the machine); the module docstring and the
comments of spamguard/normalise.py record what was measured.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
import regex
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spamguard import normalise
from spamguard.normalise import clean, fold_lookalikes, is_invisible, skeleton

# ---------------------------------------------------------------------------
# Strategies.
# ---------------------------------------------------------------------------

# Characters that interact with the pipeline: invisibles next to combining marks,
# Hangul jamo that recompose, Indic vowel halves, homoglyphs and the letters that
# casefold onto them, characters NFKC expands, odd whitespace and lone surrogates.
# Drawn together with arbitrary code points so that hypothesis finds the interactions
# that single characters cannot show.
_TRICKY = (
    "aeBy \t\n\r\x00\x0b\x1c\x7f\x85\xa0\u2028\u3000"
    "\u0301\u0308\u0338\u0345\u034f\u0306\u3099"  # marks, incl. CGJ and ypogegrammeni
    "\u200b\u200c\u200d\u202e\u2066\u00ad\ufeff\ufe0f\U000e0062\U000e0100\u180b"
    "\u115f\u1160\u3164\uffa0\u2800"  # blank-looking letters
    "\u1100\u1161\u11a8\uac00"  # Hangul L, V, T jamo and a syllable
    "\u0b47\u0b3e\u09c7\u09be\u0dd9\u0dcf"  # Oriya, Bengali, Sinhala two-part vowels
    "АВЕаеорсуіјѕӀӏԀԁҺһ\u1c82\u1c83ёйї"  # Cyrillic lookalikes, folders, composites
    "ΑΒΝνρυΥΐ"  # Greek
    "ıɡɑꞬƖʙᴀİßẞﬀ㎐ﷺǅ𝐛ｂ"  # Latin extras, compatibility characters
    "\ud800\udfff"  # lone surrogates
)
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(_TRICKY),
        st.characters(codec=None, exclude_categories=()),  # every code point, surrogates too
    ),
    max_size=40,
)
any_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec=None, exclude_categories=())),
    tricky_text,
)


def _no_marks(text: str) -> bool:
    return not any(
        unicodedata.category(ch) in ("Mn", "Me") for ch in unicodedata.normalize("NFD", text)
    )


# ---------------------------------------------------------------------------
# Disguises: each must have the skeleton of the plain text a reader sees.
# ---------------------------------------------------------------------------

DISGUISES = [
    pytest.param("ВUY  cheap\u200b pills", "Buy cheap pills", id="cyrillic-B+double-space+zwsp"),
    pytest.param("BuY ChEaP PiLlS", "Buy cheap pills", id="case"),
    pytest.param("  buy\t\n cheap \r\n pills  ", "buy cheap pills", id="whitespace-runs"),
    pytest.param("ｂｕｙ ｃｈｅａｐ", "buy cheap", id="fullwidth"),
    pytest.param("ＢＵＹ　ＣＨＥＡＰ", "buy cheap", id="fullwidth-caps+ideographic-space"),
    pytest.param("𝐛𝐮𝐲", "buy", id="math-bold"),
    pytest.param("𝐇𝐞𝐥𝐥𝐨 𝒲𝑜𝓇𝓁𝒹", "hello world", id="math-bold+script"),
    pytest.param("𝕓𝕦𝕪 𝔠𝔥𝔢𝔞𝔭", "buy cheap", id="math-double-struck+fraktur"),
    pytest.param("ⓑⓤⓨ", "buy", id="circled"),
    pytest.param("сheap", "cheap", id="cyrillic-es"),
    pytest.param("сhееsе", "cheese", id="cyrillic-e"),
    pytest.param("ԁоԝnlоаԁ", "download", id="cyrillic-komi-de+we"),
    pytest.param("РАУРАL", "paypal", id="cyrillic-caps"),
    pytest.param("їn", "in", id="cyrillic-yi-via-mark-removal"),
    pytest.param("ёlka", "elka", id="cyrillic-yo-via-mark-removal"),
    pytest.param("Αpple", "Apple", id="greek-capital-alpha"),
    pytest.param("ΝΙΚΕ", "nike", id="greek-caps"),
    pytest.param("αρρlε", "appl\u03b5", id="greek-lower-epsilon-not-mapped"),
    pytest.param("ɡооɡӏе", "google", id="script-g+palochka"),
    pytest.param("vıagra", "viagra", id="dotless-i"),
    pytest.param("ʙᴜʏ ᴄʜᴇᴀᴘ", "buy cheap", id="small-caps"),
    pytest.param("\u202ebuy\u202c cheap", "buy cheap", id="bidi-override"),
    pytest.param("\u2066buy\u2069 \u200echeap\u200f", "buy cheap", id="bidi-isolate+lrm-rlm"),
    pytest.param("\u202abuy\u202b cheap\u202c", "buy cheap", id="bidi-embedding"),
    pytest.param("b\U000e0075u\U000e0079y\U000e007f", "buy", id="tag-characters"),
    pytest.param("b\ufe0fu\ufe0ey\U000e0100", "buy", id="variation-selectors"),
    pytest.param("b\u180bu\u180fy", "buy", id="mongolian-free-variation-selectors"),
    pytest.param("buy\u00a0cheap\u202fpills", "buy cheap pills", id="nbsp+narrow-nbsp"),
    pytest.param("buy\u2003cheap\u2028pills\u2029", "buy cheap pills", id="em-space+line-sep"),
    pytest.param("b̸̢u̵y̷", "buy", id="zalgo"),
    pytest.param("b\u0336u\u0336y\u0336", "buy", id="strikethrough-marks"),
    pytest.param("bùy chéap", "buy cheap", id="accents"),
    pytest.param("pi\u00adlls", "pills", id="soft-hyphen"),
    pytest.param("p\u200di\u200cl\u2060l\ufeffs", "pills", id="zwj+zwnj+word-joiner+bom"),
    pytest.param("b\u034fu\u115fy\u3164", "buy", id="cgj+hangul-fillers"),
    pytest.param("\u2800buy\u2800", "buy", id="braille-blank"),
    pytest.param("b\x00u\x07y\x7f", "buy", id="ascii-controls"),
    pytest.param("b\x00u\x9by", "buy", id="c1-control-non-ascii-path"),
]


@pytest.mark.parametrize(("disguised", "plain"), DISGUISES)
def test_disguise_has_plain_skeleton(disguised: str, plain: str) -> None:
    assert skeleton(disguised) == skeleton(plain)


def test_documented_example() -> None:
    assert skeleton("ВUY  cheap\u200b pills") == skeleton("Buy cheap pills") == "buy cheap pills"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("𝐇𝐞𝐥𝐥𝐨", "Hello", id="math-bold-keeps-case"),
        pytest.param("ｈｅｌｌｏ", "hello", id="fullwidth"),
        pytest.param(
            "ＨＴＴＰＳ：／／ｅｘａｍｐｌｅ．ｃｏｍ", "HTTPS://example.com", id="fullwidth-url"
        ),
        pytest.param("ﬁle ㎏ ①", "file kg 1", id="ligature+squared+circled"),
        pytest.param("e\u200b\u0301", "\u00e9", id="invisible-removed-before-composition"),
    ],
)
def test_clean_applies_nfkc(text: str, expected: str) -> None:
    assert clean(text) == expected


# ---------------------------------------------------------------------------
# clean(): invisible characters go, everything visible stays.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Hello\nWorld", "Hello\nWorld", id="newline-and-case"),
        pytest.param("A\tB\r\nC", "A\tB\r\nC", id="tab-cr-lf-kept"),
        pytest.param("a  b", "a  b", id="runs-not-collapsed"),
        pytest.param("ВUY", "ВUY", id="homoglyphs-kept"),
        pytest.param("Café", "Café", id="accents-kept"),
        pytest.param("b̸u", "b̸u", id="marks-kept"),
        pytest.param("a\u00a0b\u3000c\u2028d\u2029e\u2009f", "a b c d e f", id="unicode-spaces"),
        pytest.param("a\x0bb\x0cc\x1cd\x85e", "a b c d e", id="whitespace-controls"),
        pytest.param("a\x00b\x1bc\x7fd", "abcd", id="ascii-controls"),
        pytest.param("a\x00b\u00e9", "ab\u00e9", id="nul-non-ascii"),
        pytest.param("a\u200bb\u2060c\ufeffd", "abcd", id="zero-width"),
        pytest.param("\ud800x\udfff", "\ufffdx\ufffd", id="lone-surrogates"),
        pytest.param("👩\u200d💻 ❤\ufe0f", "👩💻 ❤", id="zwj-and-fe0f-removed"),
        pytest.param("🏴\U000e0067\U000e0062\U000e007f", "🏴", id="tag-sequence-removed"),
        pytest.param("", "", id="empty"),
    ],
)
def test_clean(text: str, expected: str) -> None:
    assert clean(text) == expected


NON_LATIN = [
    pytest.param("您好，我的订单还没有收到。请帮我查一下。", id="chinese"),
    pytest.param("مرحبا، لم يصل طلبي بعد. هل يمكنك المساعدة؟", id="arabic"),
    pytest.param("नमस्ते, मेरा ऑर्डर अभी तक नहीं आया है।", id="hindi"),
    pytest.param("Здравствуйте, мой заказ ещё не пришёл. Помогите, пожалуйста!", id="russian"),
    pytest.param("こんにちは、注文した商品がまだ届きません。", id="japanese"),
    pytest.param("안녕하세요, 주문한 상품이 아직 안 왔어요.", id="korean"),
    pytest.param("สวัสดีครับ สินค้ายังไม่มาถึงเลย", id="thai"),
    pytest.param("Γεια σας, η παραγγελία μου δεν έφτασε.", id="greek"),
    pytest.param("שלום, ההזמנה שלי עוד לא הגיעה.", id="hebrew"),
]


@pytest.mark.parametrize("text", NON_LATIN)
def test_clean_keeps_non_latin_text(text: str) -> None:
    # Chinese uses the fullwidth comma, which NFKC folds to ","; every other letter stays.
    expected = text.replace("，", ",")
    assert clean(text) == expected


@pytest.mark.parametrize("text", NON_LATIN)
def test_skeleton_of_non_latin_text_is_a_stable_nonempty_key(text: str) -> None:
    key = skeleton(text)
    assert key
    assert skeleton(text) == key
    assert skeleton(key) == key


def test_russian_skeleton_maps_only_lookalikes() -> None:
    # о, р, с, е, а look Latin and are mapped; д, з, в, т, ж do not and are kept.
    assert skeleton("Дрозд вот жест") == "дpoзд вoт жecт"


def test_skeleton_strips_brahmic_vowel_signs() -> None:
    # Documented trade-off: most dependent vowel signs of Devanagari are Mn and vanish
    # from the key, so "ku" and "kuu" share one; the spacing signs (Mc) stay.
    assert skeleton("\u0915\u0941") == skeleton("\u0915\u0942") == "\u0915"
    assert skeleton("\u0915\u093f") == "\u0915\u093f"


# ---------------------------------------------------------------------------
# The homoglyph table.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lookalike", "latin"),
    [pytest.param(k, v, id=f"U+{ord(k):04X}->{v}") for k, v in normalise._HOMOGLYPHS.items()],
)
def test_each_homoglyph_maps_to_its_latin_letter(lookalike: str, latin: str) -> None:
    assert len(latin) == 1
    assert latin.isascii()
    assert latin.isalpha()
    assert skeleton(lookalike) == latin.lower()
    assert skeleton(f"x{lookalike}x") == f"x{latin.lower()}x"


def test_homoglyph_keys_are_single_nfkd_stable_letters() -> None:
    for key in normalise._HOMOGLYPHS:
        assert len(key) == 1
        assert not key.isascii()
        assert unicodedata.category(key).startswith("L")
        # NFKD runs first, so a decomposable key could never be seen.
        assert unicodedata.normalize("NFKD", key) == key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("В", "b", id="cyrillic-capital-ve"),
        pytest.param("в", "в", id="cyrillic-small-ve-kept"),
        pytest.param("Н", "h", id="cyrillic-capital-en"),
        pytest.param("н", "н", id="cyrillic-small-en-kept"),
        pytest.param("М", "m", id="cyrillic-capital-em"),
        pytest.param("м", "м", id="cyrillic-small-em-kept"),
        pytest.param("Т", "t", id="cyrillic-capital-te"),
        pytest.param("т", "т", id="cyrillic-small-te-kept"),
        pytest.param("Ν", "n", id="greek-capital-nu"),
        pytest.param("ν", "v", id="greek-small-nu"),
        pytest.param("Υ", "y", id="greek-capital-upsilon"),
        pytest.param("υ", "u", id="greek-small-upsilon"),
        pytest.param("τ", "τ", id="greek-tau-kept"),
        pytest.param("1", "1", id="digits-not-letters"),
    ],
)
def test_homoglyphs_are_mapped_before_casefolding(text: str, expected: str) -> None:
    assert skeleton(text) == expected


CASED = ("Lu", "Ll", "Lt")


def test_letters_folding_onto_homoglyphs_are_mapped_too() -> None:
    # A letter that casefolds onto a table entry must map like it, or a second
    # skeleton() would change the key (e.g. Cyrillic capital Komi De, Latin capital
    # script G, and the lowercase "narrow o" U+1C82).
    for cp in range(0x20000):
        letter = chr(cp)
        if letter in normalise._HOMOGLYPHS or unicodedata.category(letter) not in CASED:
            continue
        folded = letter.casefold()
        if folded != letter and folded in normalise._HOMOGLYPHS:
            assert skeleton(letter) == normalise._HOMOGLYPHS[folded].lower(), hex(cp)
    assert skeleton("\u0500\ua7ac\u1c82") == "dgo"


# ---------------------------------------------------------------------------
# The invisible set.
# ---------------------------------------------------------------------------

INVISIBLES = [
    0x00AD,  # soft hyphen
    0x034F,  # combining grapheme joiner
    0x061C,  # Arabic letter mark
    0x115F,
    0x1160,
    0x17B4,
    0x17B5,
    0x180B,
    0x180E,
    0x180F,
    0x200B,
    0x200C,
    0x200D,
    0x200E,
    0x200F,
    *range(0x202A, 0x202F),
    0x2060,
    *range(0x2066, 0x206A),
    0x2800,
    0x3164,
    *range(0xFE00, 0xFE10),
    0xFEFF,
    0xFFA0,
    0xE0000,
    0xE0001,
    0xE0020,
    0xE0041,
    0xE007F,
    0xE0100,
    0xE01EF,
    *range(0x09),
    *range(0x0E, 0x1C),
    0x7F,
    0x80,
    0x9F,
]


@pytest.mark.parametrize("cp", INVISIBLES, ids=lambda cp: f"U+{cp:04X}")
def test_invisible(cp: int) -> None:
    assert is_invisible(chr(cp))
    assert clean(f"a{chr(cp)}b") == "ab"
    assert skeleton(f"a{chr(cp)}b") == "ab"


@pytest.mark.parametrize(
    "ch",
    ["a", " ", "\t", "\n", "\r", "\x0b", "\x85", "\xa0", "\u3000", "\u0301", "é", "😀", "\ufffd"],
    ids=ascii,
)
def test_not_invisible(ch: str) -> None:
    assert not is_invisible(ch)


def test_every_format_character_is_invisible() -> None:
    for cp in range(0x110000):
        if unicodedata.category(chr(cp)) == "Cf":
            assert is_invisible(chr(cp)), hex(cp)


def test_is_invisible_wants_one_character() -> None:
    with pytest.raises(TypeError):
        is_invisible("ab")


def test_restricted_import_scan_equals_full_scan() -> None:
    # The module scans planes 0, 1 and 14 only (see _SCANNED_RANGES); a full scan must
    # find nothing more, or a newer Unicode database broke that assumption.
    assert normalise._scan_unicode([range(0x110000)]) == normalise._SCAN


def _seconds_of_compositions() -> set[int]:
    """Second halves of primary (not excluded) canonical compositions, Hangul V, T too."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for cp in range(0x110000):
        decomposition = unicodedata.decomposition(chr(cp)).split()
        if len(decomposition) == 2 and not decomposition[0].startswith("<"):
            pair = "".join(chr(int(code, 16)) for code in decomposition)
            if unicodedata.normalize("NFC", pair) == chr(cp):
                seconds.add(ord(pair[1]))
    return seconds


def test_unstable_sets_hold_every_unstable_character() -> None:
    # clean() and skeleton() normalise window by window, cutting before characters that
    # are not in these sets; that is exact only if each of them has combining class 0,
    # is unchanged by the normalisation and is never the second half of a canonical
    # composition (UAX #15).  Checked over every code point, so also that the planes
    # read at import hold them all.
    seconds = _seconds_of_compositions()
    missing = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        fixed = unicodedata.combining(ch) == 0 and cp not in seconds
        for form, unstable in (
            ("NFKC", normalise._NFKC_UNSTABLE),
            ("NFC", normalise._NFC_UNSTABLE),
        ):
            kept = fixed and unicodedata.normalize(form, ch) == ch
            if not kept and cp not in unstable:
                missing.append((form, hex(cp)))
    assert not missing


def test_astral_classes_are_exact() -> None:
    # The astral mark and invisible classes run behind a `regex` property lookahead; they
    # must remove exactly the characters of the plain class, and the fast form must be
    # in use (it falls back to the plain class when `regex` data disagree).
    astral = "".join(map(chr, [*range(0x10000, 0x30000), *range(0xE0000, 0xE1000)]))
    for fast, members in (
        (normalise._MARKS_ASTRAL_RE, normalise._MARKS_ASTRAL),
        (normalise._INVISIBLE_ASTRAL_RE, normalise._INVISIBLE_ASTRAL),
    ):
        assert isinstance(fast, regex.Pattern)
        expected = "".join(ch for ch in astral if ord(ch) not in members)
        assert fast.sub("", astral) == expected


# Characters that make composition happen or not: kana and voicing marks, Hangul
# syllables and jamo, accents, Indic two-part vowels, astral composing pairs (Kaithi,
# Chakma, Grantha), compatibility characters of every plane, CJK and random letters.
composing_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            "かが\u3099\u309aｶﾞﾟ１？注\u1100\u1161\u11a8가각ae\u0301\u0323é\u0b47\u0b3e\u0bc6"
            "\u0bd7\U00011099\U000110ba\U00011131\U00011127\U00011347\U0001133e\U0001d400"
            "\U0002f800\ufb01\u2460İ\u0345 \U0001d165\U0001d16e\U000110bd"
        ),
        st.characters(min_codepoint=0x20, max_codepoint=0x2FFFF, exclude_categories=["Cs"]),
    ),
    max_size=40,
)


@settings(max_examples=max(500, settings().max_examples))
@given(composing_text)
@example("\u3000\u0301")
@example("\U00011099\U000110ba\u4e00")
@example("가\u11a8\u4e00\u1100\u1161")
@example("か\U0001d41c\u0301" * 600)  # more astral windows than are cut one by one
def test_windowed_normalisation_is_plain_normalisation(text: str) -> None:
    text = text.replace("\0", "")
    assert normalise._compose_nfkc(text) == unicodedata.normalize("NFKC", text)
    assert normalise._compose_nfc(text) == unicodedata.normalize("NFC", text)
    assert normalise._normalize_windows(text, normalise._NFKC_WINDOWS) == unicodedata.normalize(
        "NFKC", text
    )
    assert normalise._normalize_windows(text, normalise._NFC_WINDOWS) == unicodedata.normalize(
        "NFC", text
    )


kana_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            "かが\u3099\u309aカガｶﾞﾟ１？！、。注文\u1100\u1161\u11a8가각a\u0301é…㍻\u3000"
        ),
        st.characters(min_codepoint=0x3000, max_codepoint=0x30FF),
        # Halfwidth and fullwidth forms, minus the halfwidth Hangul filler (invisible).
        st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF, exclude_characters="\uffa0"),
    ),
    max_size=30,
)


@given(kana_text)
@example("か\u3099１")  # the window must take the stable character in front along
@example("ｶﾞ？注")
def test_clean_is_plain_nfkc_on_kana_text(text: str) -> None:
    # No invisibles in this alphabet (U+3000 becomes a space either way), so clean() must
    # equal NFKC however it gets there.
    assert clean(text) == unicodedata.normalize("NFKC", text)


# ---------------------------------------------------------------------------
# Robustness.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "\ud800",
        "\udfff\ud800",
        "\x00" * 1000,
        "\u0301" * 10_000,
        "ﷺ" * 10_000,  # NFKC expands each to 18 characters
        "a\u200b" * 500_000,
        ("Привет 😀 \u202e b̸̢ 𝐛 ｂ \ud800 \x00 " * 50_000),
    ],
    ids=["surrogate", "surrogate-pair-reversed", "nul", "marks", "expanding", "1MB-zwsp", "mix"],
)
def test_never_raises_on_odd_or_huge_input(text: str) -> None:
    cleaned = clean(text)
    key = skeleton(text)
    assert isinstance(cleaned, str)
    assert isinstance(key, str)
    # No surrogates survive, so the results can always be encoded.
    cleaned.encode("utf-8")
    key.encode("utf-8")


# ---------------------------------------------------------------------------
# Properties.
# ---------------------------------------------------------------------------


@given(any_text)
@example("e\u200b\u0301")  # deleting the ZWSP lets the accent compose
@example("\u1100\u0301\u1161")  # deleting the mark lets the jamo compose in skeleton
@example("\u0b47\u200b\u0b3e")  # ... and the Oriya vowel halves
@example("İ")  # casefolds to i + combining dot
@example("\u1c82")  # casefolds onto a homoglyph
def test_idempotent(text: str) -> None:
    cleaned = clean(text)
    key = skeleton(text)
    assert clean(cleaned) == cleaned
    assert skeleton(key) == key
    # skeleton() is clean() plus more, and its output is already clean.
    assert skeleton(cleaned) == key
    assert clean(key) == key


@given(any_text)
def test_clean_output(text: str) -> None:
    cleaned = clean(text)
    assert not any(is_invisible(ch) for ch in cleaned)
    assert not any(ch.isspace() and ch not in " \t\n\r" for ch in cleaned)
    assert not any(0xD800 <= ord(ch) < 0xE000 for ch in cleaned)
    assert unicodedata.is_normalized("NFKC", cleaned)


@given(any_text)
def test_skeleton_output(text: str) -> None:
    key = skeleton(text)
    assert key == key.strip()
    assert "  " not in key
    assert not any(ch.isspace() and ch != " " for ch in key)
    assert not any(is_invisible(ch) for ch in key)
    assert key.casefold() == key
    assert _no_marks(key)
    assert not any(ch in normalise._HOMOGLYPHS for ch in key)
    assert unicodedata.is_normalized("NFKC", key)


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
@example("a\x00 b\x1c\x1dc \x7f d")
def test_ascii_skeleton_is_lowercase_collapse(text: str) -> None:
    # The simple form, once the control characters that are not whitespace are gone
    # (ASCII does hold invisibles: NUL, BEL, ESC, DEL, ...).
    visible = re.sub(r"[\x00-\x08\x0e-\x1b\x7f]", "", text)
    assert skeleton(text) == normalise._undo_spelling(" ".join(visible.lower().split()))


printable_ascii = st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from(" \t\n\r")


@given(st.text(alphabet=printable_ascii))
def test_printable_ascii_skeleton_is_exactly_lowercase_collapse(text: str) -> None:
    assert skeleton(text) == normalise._undo_spelling(" ".join(text.lower().split()))
    assert clean(text) == text


@given(st.text(alphabet=st.sampled_from("ab \t\n.-_*01345@$"), max_size=40))
@example("a b\nc")  # a gap that collapsing turns into one space
@example("a.$.c")  # a leetspeak symbol inside a dotted run
@example("c h 3 a p")  # joined first, folded second
def test_spelling_folds_are_idempotent(text: str) -> None:
    key = skeleton(text)
    assert skeleton(key) == key


# ---------------------------------------------------------------------------
# Spelling disguises: spaced-out letters and leetspeak.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disguised", "plain"),
    [
        pytest.param("b.u.y n.o.w", "buy now", id="dotted"),
        pytest.param("b-u-y n-o-w", "buy now", id="dashed"),
        pytest.param("b_u_y n*o*w", "buy now", id="underscores-stars"),
        pytest.param("b u y n o w", "buynow", id="spaced-loses-word-gaps"),
        pytest.param("B U Y  c h e a p", "buycheap", id="spaced-any-width"),
        pytest.param("ch34p p1lls n0w", "cheap pills now", id="leet-digits"),
        pytest.param("c@$h fr33", "cash free", id="leet-symbols"),
        pytest.param("c h 3 a p", "cheap", id="spaced-leet"),
        pytest.param("ⅽ h 3 а р", "cheap", id="spaced-leet-homoglyphs"),
    ],
)
def test_spelling_disguises_are_undone(disguised: str, plain: str) -> None:
    assert skeleton(disguised) == plain


@pytest.mark.parametrize(
    "text",
    [
        "order 12345",
        "3 items at $5",
        "24/7 support",
        "call 555 123 4567",
        "a b",  # two single letters are no run
        "3.14 and 1.5",
    ],
)
def test_numbers_and_short_tokens_are_kept(text: str) -> None:
    assert skeleton(text) == text


def test_fold_lookalikes_maps_letters_only() -> None:
    assert fold_lookalikes("pіlls-r-us.com") == "pills-r-us.com"  # Cyrillic і
    assert fold_lookalikes("P\u0300\u0301ILLS.com") == "pills.com"
    assert fold_lookalikes("ch34p  $5") == "ch34p  $5"
    assert fold_lookalikes("\x00ok") == "ok"


@given(st.text(alphabet=st.characters(max_codepoint=0x7F)))
def test_ascii_fast_path_agrees_with_general_path(text: str) -> None:
    # A zero-width space is deleted, but it sends the text down the non-ASCII path.
    assert skeleton(text + "\u200b") == skeleton(text)
    assert clean(text + "\u200b") == clean(text)
    assert clean("\u200b" + text) == clean(text)


@given(st.text(alphabet=st.characters(categories=["Lu", "Ll"], max_codepoint=0x7F)))
def test_clean_keeps_case(text: str) -> None:
    assert clean(text) == text
    assert clean(f"{text}\u00a0{text}") == f"{text} {text}"


@given(any_text, any_text)
def test_invisible_insertion_does_not_change_the_key(left: str, right: str) -> None:
    assert skeleton(left + "\u200b" + right) == skeleton(left + right)
    assert clean(left + "\u2060\ufe0f" + right) == clean(left + right)


def test_every_code_point_is_idempotent() -> None:
    # Exhaustive over the planes that hold anything but ideographs and private use
    # (about 1.5 s); single characters are where casefold and NFKC surprises live.
    # A sample of the remaining planes keeps this affordable.
    for block in (range(0x20000), range(0xE0000, 0xE1000), range(0x20000, 0x110000, 97)):
        for cp in block:
            ch = chr(cp)
            cleaned = clean(ch)
            key = skeleton(ch)
            assert clean(cleaned) == cleaned, hex(cp)
            assert skeleton(key) == key, hex(cp)
            assert skeleton(cleaned) == key, hex(cp)


@given(st.one_of(st.text(alphabet=st.characters(codec=None), max_size=60), composing_text))
@example("\u3164\ufeff\u00a0\ud800x")
def test_skeleton_of_clean_text_skips_nothing(text: str) -> None:
    assert normalise.skeleton_of_clean(clean(text)) == skeleton(text)


def test_clean_leaves_nothing_invisible() -> None:
    # skeleton_of_clean relies on it: clean() output never holds an invisible character,
    # odd whitespace or a lone surrogate, for any code point.
    wrong = [
        hex(cp)
        for cp in range(0x110000)
        if normalise._remove_invisibles(clean(chr(cp))) != clean(chr(cp))
    ]
    assert not wrong


# -- long runs of marks out of canonical order ----------------------------------------------


def test_the_zero_class_non_starters_are_all_there_are() -> None:
    """Characters of combining class 0 whose decomposition holds only non-starters."""
    found = set()
    for code in range(0x110000):
        char = chr(code)
        if 0xD800 <= code < 0xE000 or unicodedata.combining(char):
            continue
        parts = unicodedata.normalize("NFKD", char)
        if parts != char and all(unicodedata.combining(part) for part in parts):
            found.add(char)
    assert "".join(sorted(found)) == normalise._ZERO_CLASS_NON_STARTERS


_MARK_HEAVY = st.text(
    alphabet=st.sampled_from(
        [chr(c) for c in range(0x300, 0x370)]
        + ["\u0f73", "\u0f75", "\u0f81", "\uff9e", "\u0344", "\u0316", "\u3099", "\U0001d167"]
        + ["a", "é", "ǘ", "か", "가", "\u1100", "\u1161", " ", "\u200b"]
        # marks in the `regex` module's Unicode data that the interpreter's may not know
        + ["\u05c8", "\u1acf", "\u1ad0"]
    ),
    max_size=300,
)


@given(_MARK_HEAVY)
@example("ǘ" + "\u0301\u0316\u0f73\uff9e\U0001d167" * 20 + "a" + "\u0344\u0316" * 40)
@example("a" + "\u0301" * 20 + "\u0327" + "\u05c8" + "\u0327" * 10 + "b")
def test_ordering_long_mark_runs_keeps_every_normal_form(text: str) -> None:
    ordered = normalise._order_long_mark_runs(text)
    assert unicodedata.normalize("NFKD", ordered) == unicodedata.normalize("NFKD", text)
    visible = normalise._remove_invisibles(text)
    assert clean(text) == unicodedata.normalize("NFKC", visible)


def test_marks_out_of_canonical_order_are_put_in_order_first() -> None:
    text = "a" + "\u0301" * 40 + "\u0316" * 40  # class 230, then 220: all 40 move
    assert normalise._order_long_mark_runs(text) == "a" + "\u0316" * 40 + "\u0301" * 40
    in_order = "a" + "\u0316" * 40 + "\u0301" * 40
    assert normalise._order_long_mark_runs(in_order) is in_order  # nothing to do
    short = "a" + "\u0301" * 29 + "\u0316"  # below the length where order costs much
    assert normalise._order_long_mark_runs(short) is short
