"""A deterministic, realistic message mix for the latency benchmarks.

Everything here is generated from a seed with `random.Random`: no external data, and the
same ``(n, seed)`` always gives the same messages. The mix imitates a customer-service
chat server: ~200 sessions talking at once, most posts short English questions, a few
longer or non-Latin ones, emoji, links, pasted JSON and stack traces, and ~15% spam
coming from a minority of spammer sessions.

Ordinary posts only go to ordinary sessions and spam only to spammer sessions (each
spammer sticks to one kind of spam), as in real traffic: spread over every session,
15% spam would get nearly every engagement terminated within a few posts.

    mix = build_mix(2_000)
    mix.messages        # list[Message], in time order
    mix.kinds           # the kind of each message, parallel to mix.messages
    mix.counts()        # {kind: how many}
    KINDS               # {kind: Kind(description, spam, weight)}
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from spamguard import Message

__all__ = ["DEFAULT_SEED", "KINDS", "Kind", "Mix", "build_mix", "replay"]

DEFAULT_SEED = 20_240_611
EPOCH = 1_700_000_000.0
"""Timestamp of the first session's start (Unix seconds)."""


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of message in the mix.

    Attributes:
        description: What the messages of this kind look like.
        spam: Whether the kind is spam, posted only by spammer sessions.
        weight: The kind's expected share of all messages.
    """

    description: str
    spam: bool
    weight: float


KINDS: dict[str, Kind] = {
    # Ordinary traffic: 85%.
    "short_en": Kind("short English customer-service message", spam=False, weight=0.60),
    "long_en": Kind("longer English message, 300-800 characters", spam=False, weight=0.07),
    "non_latin": Kind("Chinese, Arabic, Hindi or Russian message", spam=False, weight=0.07),
    "emoji": Kind("message with emoji: ZWJ sequences, flags, skin tones", False, 0.05),
    "links": Kind("message with one or two links", spam=False, weight=0.04),
    "json": Kind("pasted JSON snippet", spam=False, weight=0.01),
    "traceback": Kind("pasted Python stack trace", spam=False, weight=0.01),
    # Spam: 15%.
    "link_spam": Kind("many links, some defanged", spam=True, weight=0.03),
    "duplicate": Kind("one text repeated, disguised with ZW/homoglyph/fullwidth", True, 0.04),
    "emoji_flood": Kind("40-400 emoji", spam=True, weight=0.02),
    "symbol_flood": Kind("punctuation and symbol noise with long runs", spam=True, weight=0.02),
    "zalgo": Kind("text under stacked combining marks", spam=True, weight=0.02),
    "wall": Kind("a 5,000-character wall of text", spam=True, weight=0.02),
}

_SESSIONS = 200
_SPAM_SESSION_SHARE = 0.15
_SESSION_STARTS_SPREAD_S = 1_800.0  # sessions start within half an hour of each other
_WALL_CHARS = 5_000

# ------------------------------------------------------------------------ vocabulary

_GREETINGS = ("Hi", "Hello", "Hey", "Good morning", "Hi there", "Hello again", "")
_ORDINARY = (
    "my order {n} hasn't arrived yet",
    "can I change the delivery address for order {n}?",
    "I was charged twice for the same order",
    "how do I return an item?",
    "the tracking number doesn't work",
    "is the {item} available in size {size}?",
    "I'd like to cancel my subscription",
    "my package says delivered but I don't have it",
    "can you check the status of my refund?",
    "I can't log in to my account, it says my password is wrong",
    "do you ship to {country}?",
    "the discount code isn't working at checkout",
    "how long does shipping to {country} usually take?",
    "I received the wrong {item}",
    "can I add something to order {n}?",
    "the app keeps crashing when I open my cart",
    "what are your opening hours on weekends?",
    "the {item} arrived damaged",
)
_SHORT = (
    "ok",
    "thanks!",
    "Thank you",
    "yes",
    "no",
    "hello?",
    "still there?",
    "great, thanks a lot",
    "one moment please",
    "sure",
    "that's all, bye",
    "ok let me check",
    "it's {n}",
    "order number is {n}",
    "Perfect!",
    "I'm not sure",
)
_CLOSINGS = ("", "", " Thanks.", " Thank you!", " Please help.", " Any update?", " :)")
_ITEMS = ("jacket", "blender", "phone case", "running shoes", "desk lamp", "backpack", "kettle")
_SIZES = ("S", "M", "L", "XL", "42", "10.5")
_COUNTRIES = ("Canada", "Germany", "Brazil", "Japan", "India", "the UK", "Australia")
_LONG_SENTENCES = (
    "I ordered the {item} about two weeks ago and the website still shows it as processing.",
    "I already contacted you by email last Tuesday but nobody has replied so far.",
    "The confirmation I got says it would be delivered within 3-5 business days.",
    "My neighbour received her order from you yesterday, so I don't understand the delay.",
    "I paid with my credit card and the amount was taken from my account immediately.",
    "Could you please tell me whether it has been shipped and, if so, which carrier has it?",
    "If it is not possible to deliver it before Friday, I would prefer a full refund.",
    "I have been a customer for years and this is the first time something like this happens.",
    "The order number is {n} and it was placed under my husband's name.",
    "I also noticed that the invoice lists the wrong billing address, {n} Main Street.",
    "I tried calling the hotline twice but the waiting time was over forty minutes.",
    "Please note I will be travelling next week, so a delivery on Monday would be ideal.",
)
_NON_LATIN = (
    # Chinese
    "你好，我的订单{n}还没有到，能帮我查一下吗？",
    "请问可以修改收货地址吗？谢谢。",
    "我收到的商品有损坏，想申请退款。",
    "快递显示已签收，但是我没有收到包裹。",
    # Arabic
    "مرحبا، لم يصل طلبي بعد. رقم الطلب {n}",
    "هل يمكنني تغيير عنوان التوصيل؟ شكرا جزيلا",
    "المنتج وصل تالفا، أريد استرداد المبلغ من فضلك",
    # Hindi
    "नमस्ते, मेरा ऑर्डर {n} अभी तक नहीं आया है।",
    "क्या मैं डिलीवरी का पता बदल सकता हूँ? धन्यवाद।",
    "मुझे गलत सामान मिला है, कृपया मदद करें।",
    # Russian
    "Здравствуйте, мой заказ {n} до сих пор не пришёл. Можете проверить?",
    "Можно ли изменить адрес доставки? Спасибо.",
    "Товар пришёл повреждённым, хочу вернуть деньги.",
    "Подскажите, пожалуйста, сколько идёт доставка в Казань?",
)
_EMOJI_PLAIN = ("😀", "😂", "🙏", "❤️", "🎉", "😢", "😡", "🔥", "✅", "📦", "🚚", "⭐")
_EMOJI_ZWJ = ("👩‍💻", "👨‍👩‍👧", "🏳️‍🌈", "👩🏽‍🍳", "🧑‍🤝‍🧑", "❤️‍🔥", "🐻‍❄️")
_EMOJI_FLAGS = ("🇩🇪", "🇯🇵", "🇧🇷", "🇮🇳", "🇨🇦", "🇫🇷", "🇺🇸")
_EMOJI_TONES = ("👍🏻", "👍🏽", "👍🏿", "🙏🏼", "👋🏾", "💪🏽", "👌🏻")
_EMOJI_KEYCAPS = ("1️⃣", "2️⃣", "#️⃣")
_ALL_EMOJI = _EMOJI_PLAIN + _EMOJI_ZWJ + _EMOJI_FLAGS + _EMOJI_TONES + _EMOJI_KEYCAPS
_LINKS = (
    "https://www.example-shop.com/p/{n}?ref=chat",
    "https://help.example.com/articles/returns-and-refunds",
    "www.example.org/faq#shipping",
    "https://track.example-post.net/parcel/{n}",
    "http://imgur.example.com/a/{n}.png",
    "example.co.uk/order/{n}",
)
_SPAM_HOSTS = (
    "cheap-pills.top",
    "win-prize.xyz",
    "crypto-double.io",
    "free-gift-cards.ru",
    "bit.ly",
    "hot-singles.click",
    "casino-bonus.bet",
)
_SPAM_PITCHES = (
    "WIN A FREE IPHONE NOW click here before it's gone",
    "Make $5000 a week from home, message me on whatsapp",
    "Get 90% OFF all designer bags today only visit our store",
    "Double your bitcoin in 24 hours guaranteed no risk",
)
_HOMOGLYPHS = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і"}
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
_SYMBOLS = "!?$#*@%&~^+=/\\|<>★☆♥♦✓✔→⇒•※§¤"
_WALL_WORDS = (
    "the", "and", "order", "please", "refund", "amazing", "deal", "best", "price", "today",
    "shipping", "customer", "service", "quality", "product", "free", "offer", "limited",
    "time", "only", "now", "click", "buy", "cheap", "discount", "guaranteed",
)  # fmt: skip


# ------------------------------------------------------------------------ generators

Generator = Callable[[random.Random, int], str]


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        n=rng.randrange(100_000, 999_999),
        item=rng.choice(_ITEMS),
        size=rng.choice(_SIZES),
        country=rng.choice(_COUNTRIES),
    )


def _short_en(rng: random.Random, _: int) -> str:
    if rng.random() < 0.35:
        return _fill(rng, rng.choice(_SHORT))
    greeting = rng.choice(_GREETINGS)
    body = _fill(rng, rng.choice(_ORDINARY))
    text = f"{greeting}, {body}" if greeting else body[0].upper() + body[1:]
    return text + rng.choice(_CLOSINGS)


def _long_en(rng: random.Random, _: int) -> str:
    target = rng.randint(300, 800)
    parts = [f"{rng.choice(_GREETINGS) or 'Hello'},"]
    for sentence in rng.sample(_LONG_SENTENCES, len(_LONG_SENTENCES)):
        if sum(map(len, parts)) + len(parts) >= target:
            break
        parts.append(_fill(rng, sentence))
    return " ".join(parts)[:800]


def _non_latin(rng: random.Random, _: int) -> str:
    return _fill(rng, rng.choice(_NON_LATIN))


def _emoji(rng: random.Random, index: int) -> str:
    text = _short_en(rng, index)
    picks = [
        rng.choice(_EMOJI_ZWJ),
        rng.choice(_EMOJI_FLAGS),
        rng.choice(_EMOJI_TONES),
        rng.choice(_ALL_EMOJI),
    ]
    chosen = rng.sample(picks, rng.randint(1, 3))
    return f"{text} {''.join(chosen)}" if rng.random() < 0.7 else f"{''.join(chosen)} {text}"


def _links(rng: random.Random, index: int) -> str:
    links = [_fill(rng, link) for link in rng.sample(_LINKS, rng.randint(1, 2))]
    lead = rng.choice(("Here is the page:", "See", "I followed", "The link is", "Look at"))
    tail = _short_en(rng, index) if rng.random() < 0.5 else ""
    return f"{lead} {' and '.join(links)} {tail}".strip()


def _json(rng: random.Random, _: int) -> str:
    document = {
        "order_id": rng.randrange(100_000, 999_999),
        "status": rng.choice(("pending", "processing", "shipped", "error")),
        "customer": {"id": f"C-{rng.randrange(10_000)}", "country": rng.choice(("DE", "US"))},
        "items": [
            {"sku": f"SKU-{rng.randrange(1_000, 9_999)}", "qty": rng.randint(1, 3), "price": 19.99}
            for _ in range(rng.randint(1, 4))
        ],
        "error": {"code": 402, "message": "payment_declined"} if rng.random() < 0.5 else None,
    }
    return "This is what the app shows me:\n" + json.dumps(document, indent=2)


def _traceback(rng: random.Random, _: int) -> str:
    frames = rng.randint(3, 7)
    lines = ["The integration fails with this error:", "Traceback (most recent call last):"]
    modules = ("client.py", "session.py", "adapters.py", "connectionpool.py", "api.py")
    for depth in range(frames):
        module = rng.choice(modules)
        lines.append(
            f'  File "/usr/lib/python3.11/site-packages/shopapi/{module}", '
            f"line {rng.randint(20, 900)}, in call_{depth}"
        )
        lines.append(f"    response = self._send(request, timeout={rng.randint(5, 60)})")
    lines.append(
        "shopapi.errors.ApiError: 503 Service Unavailable for url: "
        f"https://api.example-shop.com/v2/orders/{rng.randrange(100_000, 999_999)}"
    )
    return "\n".join(lines)


def _defang(link: str, rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:
        return link.replace("http", "hxxp", 1).replace(".", "[.]")
    if style == 1:
        return link.replace(".", "(dot)", 1)
    if style == 2:
        return link.replace("://", "[://]", 1)
    return link


def _link_spam(rng: random.Random, _: int) -> str:
    links = []
    for _ in range(rng.randint(6, 30)):
        host = rng.choice(_SPAM_HOSTS)
        scheme = rng.choice(("https://", "http://", ""))
        link = f"{scheme}{host}/{rng.randrange(10**6):x}"
        links.append(_defang(link, rng) if rng.random() < 0.4 else link)
    separator = rng.choice(("\n", " ", " | "))
    return rng.choice(_SPAM_PITCHES) + "\n" + separator.join(links)


def _disguise(text: str, rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:  # exact repeat
        return text
    if style == 1:  # zero-width characters sprinkled between letters
        return "".join(
            char + (rng.choice(_ZERO_WIDTH) if rng.random() < 0.3 else "") for char in text
        )
    if style == 2:  # Cyrillic homoglyphs for some Latin letters
        return "".join(_HOMOGLYPHS.get(char, char) if rng.random() < 0.5 else char for char in text)
    # fullwidth forms of the printable ASCII letters and digits
    return "".join(
        chr(ord(char) + 0xFEE0) if char.isascii() and char.isalnum() else char for char in text
    )


def _duplicate(rng: random.Random, index: int) -> str:
    # A spammer session repeats one pitch: the session index picks it, so every post of
    # the session is a (disguised) copy of the same text.
    base = _SPAM_PITCHES[index % len(_SPAM_PITCHES)]
    return _disguise(base, rng)


def _emoji_flood(rng: random.Random, _: int) -> str:
    count = rng.randint(40, 400)
    return "".join(rng.choice(_ALL_EMOJI) for _ in range(count))


def _symbol_flood(rng: random.Random, _: int) -> str:
    parts = []
    for _ in range(rng.randint(8, 40)):
        symbol = rng.choice(_SYMBOLS)
        parts.append(symbol * rng.randint(1, 30))
        if rng.random() < 0.2:
            parts.append(f" {rng.choice(('BUY', 'FREE', 'WIN', 'NOW'))} ")
    return "".join(parts)


def _zalgo(rng: random.Random, _: int) -> str:
    text = rng.choice(_SPAM_PITCHES)
    marks_per_char = rng.randint(3, 30)
    return "".join(
        char
        + "".join(chr(rng.randrange(0x300, 0x370)) for _ in range(rng.randint(1, marks_per_char)))
        for char in text
    )


def _wall(rng: random.Random, _: int) -> str:
    words: list[str] = []
    length = 0
    while length < _WALL_CHARS:
        word = rng.choice(_WALL_WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:_WALL_CHARS]


_GENERATORS: dict[str, Generator] = {
    "short_en": _short_en,
    "long_en": _long_en,
    "non_latin": _non_latin,
    "emoji": _emoji,
    "links": _links,
    "json": _json,
    "traceback": _traceback,
    "link_spam": _link_spam,
    "duplicate": _duplicate,
    "emoji_flood": _emoji_flood,
    "symbol_flood": _symbol_flood,
    "zalgo": _zalgo,
    "wall": _wall,
}


# ------------------------------------------------------------------------ the mix


@dataclass(frozen=True, slots=True)
class Mix:
    """A generated message mix.

    Attributes:
        messages: The messages in time order, each with a session and a timestamp.
        kinds: The kind (a key of `KINDS`) of each message, parallel to ``messages``.
    """

    messages: list[Message]
    kinds: list[str]

    def counts(self) -> dict[str, int]:
        """How many messages of each kind, in the order of `KINDS`."""
        counter = Counter(self.kinds)
        return {kind: counter[kind] for kind in KINDS if counter[kind]}

    @property
    def span_s(self) -> float:
        """Seconds from the first message to the last."""
        stamps = [m.ts for m in self.messages if m.ts is not None]
        return max(stamps) - min(stamps) if stamps else 0.0


@dataclass(slots=True)
class _Session:
    name: str
    spam_kind: str | None  # None: an ordinary customer
    posts: list[str] = dataclasses.field(default_factory=list)  # kinds, in post order


def _spam_sessions(count: int) -> list[str]:
    """The spam kind of each spammer session, in proportion to the kinds' weights."""
    spam = {name: kind.weight for name, kind in KINDS.items() if kind.spam}
    total = sum(spam.values())
    kinds: list[str] = []
    for name, weight in spam.items():
        kinds += [name] * max(1, round(count * weight / total))
    return kinds


def _gap_s(rng: random.Random, spammer: bool) -> float:
    """Seconds between two posts of one session."""
    if spammer:
        return rng.uniform(0.5, 4.0)
    if rng.random() < 0.1:  # reading the agent's answer, looking something up
        return rng.uniform(20.0, 120.0)
    return rng.uniform(2.0, 15.0)


def build_mix(n: int = 2_000, seed: int = DEFAULT_SEED) -> Mix:
    """Generate ``n`` messages from ~200 concurrent sessions, in time order.

    Every message's kind is drawn by the weights of `KINDS`; spam goes to one of the
    spammer sessions of that kind, ordinary posts to one of the ordinary sessions. Each
    session starts at a random point of the first half hour and posts every few seconds
    (spammers faster), so the sessions interleave like live traffic.

    Args:
        n: How many messages.
        seed: The seed of the generator; the same seed gives the same mix.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    rng = random.Random(seed)
    spam_kinds = _spam_sessions(round(_SESSIONS * _SPAM_SESSION_SHARE))
    sessions = [_Session(f"spam-{i:03d}", kind) for i, kind in enumerate(spam_kinds)]
    sessions += [_Session(f"chat-{i:03d}", None) for i in range(_SESSIONS - len(sessions))]
    ordinary = [s for s in sessions if s.spam_kind is None]
    by_spam_kind = {kind: [s for s in sessions if s.spam_kind == kind] for kind in spam_kinds}

    names, weights = list(KINDS), [kind.weight for kind in KINDS.values()]
    for kind in rng.choices(names, weights, k=n):
        pool = by_spam_kind[kind] if KINDS[kind].spam else ordinary
        rng.choice(pool).posts.append(kind)

    stamped: list[tuple[float, int, Message, str]] = []
    for number, session in enumerate(sessions):
        ts = EPOCH + rng.uniform(0.0, _SESSION_STARTS_SPREAD_S)
        for post, kind in enumerate(session.posts):
            text = _GENERATORS[kind](rng, number)
            message = Message(
                text=text,
                session=session.name,
                ts=round(ts, 3),
                transaction_id=f"{session.name}-{post}",
            )
            stamped.append((ts, len(stamped), message, kind))
            ts += _gap_s(rng, session.spam_kind is not None)
    stamped.sort(key=lambda item: (item[0], item[1]))
    return Mix([item[2] for item in stamped], [item[3] for item in stamped])


def replay(messages: Sequence[Message], count: int, gap_s: float = 3_600.0) -> list[Message]:
    """``count`` messages cycling through ``messages``, each cycle in new sessions and later.

    Cycle ``c`` renames every session ``<session>~c`` and shifts every timestamp by
    ``c * (span + gap_s)``: time keeps moving forward and no cycle sees the state (windows,
    strikes, terminations) of the one before, so every cycle meets the same situations.

    Args:
        messages: One cycle, in time order.
        count: How many messages to return.
        gap_s: Quiet seconds between the end of one cycle and the start of the next.
    """
    if not messages:
        raise ValueError("messages must not be empty")
    stamps = [m.ts for m in messages if m.ts is not None]
    period = (max(stamps) - min(stamps) if stamps else 0.0) + gap_s
    result: list[Message] = []
    for index in range(count):
        cycle, position = divmod(index, len(messages))
        message = messages[position]
        if cycle:
            ts = None if message.ts is None else message.ts + cycle * period
            message = dataclasses.replace(message, session=f"{message.session}~{cycle}", ts=ts)
        result.append(message)
    return result
