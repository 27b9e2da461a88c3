"""Deterministic synthetic chat traffic, labelled ham and spam, for tuning and benchmarks.

`synthesize` plays out customer-service chat sessions and yields their posts as corpus
lines, the JSON objects `spamguard.replay.parse_line` reads, in time order::

    for line in synthesize(sessions=2_000, spam_share=0.2, seed=1):
        print(json.dumps(line, ensure_ascii=False))

Every session has one *kind* (`HAM_KINDS` or `SPAM_KINDS`, described in
`KIND_DESCRIPTIONS`), written on each of its lines as ``kind``. Ham sessions are ordinary
customers and agents; spam sessions are a spammer who may open with an innocent "hi"
(labelled ham), to whom the agent posts at most a greeting before the first spam post.
Spam intensities are drawn on both sides of the shipped thresholds (`rules/default.yaml`),
so that sweeping a threshold trades ham against spam gradually rather than in one step.

Sessions arrive as a Poisson process (one every `MEAN_ARRIVAL_S` seconds on average) and
overlap, as in a server log. Sessions are generated lazily and merged with a heap, so
memory grows with the number of sessions active at once, never with ``sessions``.

Output depends only on the arguments: one `random.Random` drives the schedule (arrival
times and which sessions are spam), and each session's content comes from its own
`random.Random` seeded from ``(seed, session index)``. Which sessions are spam depends on
how many sessions there are, so corpora of different sizes differ in more than length.
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final, TypeVar, cast

from spamguard.message import Message, Role

__all__ = [
    "EPOCH",
    "HAM_KINDS",
    "KIND_DESCRIPTIONS",
    "MEAN_ARRIVAL_S",
    "SPAM_KINDS",
    "message_of",
    "synthesize",
]

EPOCH: Final = 1_700_000_000.0
"""The default ``start``: the first session's first post (2023-11-14 22:13:20 UTC)."""
MEAN_ARRIVAL_S: Final = 5.0
"""Mean seconds between two session starts: with sessions of a few minutes, dozens of
sessions are active at once."""

HAM_KINDS: Final = (
    "conversation",
    "fast-typer",
    "paste",
    "repeater",
    "emoji-friendly",
    "links",
    "non-latin",
)
SPAM_KINDS: Final = (
    "link-spam",
    "duplicates",
    "disguised-duplicates",
    "emoji-flood",
    "symbol-flood",
    "zalgo",
    "wall",
    "burst",
)
KIND_DESCRIPTIONS: Final = MappingProxyType(
    {
        "conversation": "customer questions with order numbers, e-mails and addresses; "
        "agent answers and help-centre links",
        "fast-typer": "a customer splitting each thought over 2-7 short lines 1-3 s apart",
        "paste": "a conversation with pasted logs, stack traces, JSON, order lists or "
        "addresses of 250-6,000 characters",
        "repeater": "a customer who waits, asks 'hello?' and re-asks the same question "
        "(a few ask a third time)",
        "emoji-friendly": "a customer who adds a few emoji (ZWJ sequences, flags, skin tones) "
        "and emphasis runs of 4-80 ('!!!!', 'pleaseeee')",
        "links": "a customer sharing 1-3 links per post (product pages, screenshots)",
        "non-latin": "a conversation in Chinese, Arabic, Hindi or Russian",
        "link-spam": "posts of 2-12 links: spam hosts, shorteners, defanged links",
        "duplicates": "one promotion posted 3-10 times, some spammers slower than the window",
        "disguised-duplicates": "one promotion reposted 3-10 times under homoglyphs, "
        "zero-width characters, case, punctuation, fullwidth and word changes",
        "emoji-flood": "posts of 20-400 emoji (ZWJ sequences, flags, skin tones), "
        "some padded with text",
        "symbol-flood": "symbol banners with runs of 5-1,500 characters, and symbol noise",
        "zalgo": "promotions under stacks of 3-80 combining marks",
        "wall": "walls of text of 1,500-60,000 characters",
        "burst": "10-40 short posts 0.2-1 s apart",
    }
)

_END_USER = "end_user"
_AGENT = "agent"
_HAM = "ham"
_SPAM = "spam"
_RETRY_CHANCE = 0.03  # of a ham customer post being re-sent by the client

# ============================================================================ vocabulary


@dataclass(frozen=True, slots=True)
class _Tenant:
    name: str
    brand: str
    help_host: str
    weight: int


_TENANTS = (
    _Tenant("acme", "Acme Shop", "help.acme.example.com", 5),
    _Tenant("globex", "Globex Mobile", "support.globex.example.net", 3),
    _Tenant("initech", "Initech Bank", "help.initech.example.org", 2),
)
_INTERFACES = (("web", 3), ("mobile", 2))
_AGENTS = ("Maria", "Tom", "Aisha", "Kenji", "Lena", "Rahul", "Sofia", "Omar", "Grace", "Pavel")
_FIRST_NAMES = ("jane", "omar", "li", "priya", "lukas", "sofia", "mateo", "yuki", "amara", "ivan")
_LAST_NAMES = ("doe", "haddad", "wang", "sharma", "becker", "rossi", "garcia", "tanaka", "okafor")
_MAIL_HOSTS = ("example.com", "example.net", "mail.example.org")
_STREETS = ("Main Street", "Oak Avenue", "Station Road", "Elm Drive", "Harbour Lane", "Mill Road")
_CITIES = ("Springfield", "Riverton", "Lakeside", "Fairview", "Greenville", "Bristol", "Madison")
_COUNTRY_NAMES = ("Canada", "Germany", "Brazil", "Japan", "India", "the UK", "Australia")
_ITEMS = ("jacket", "blender", "phone case", "running shoes", "desk lamp", "backpack", "kettle")
_SIZES = ("S", "M", "L", "XL", "42", "10.5")
_CARRIERS = ("DHL", "UPS", "FedEx", "Royal Mail", "DPD")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ARTICLES = (
    "returns-and-refunds",
    "track-your-order",
    "change-delivery-address",
    "reset-your-password",
    "payment-methods",
    "cancel-subscription",
    "damaged-items",
    "international-shipping",
)


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    """What customers and agents say in one language; ``{name}`` fields are filled in."""

    greetings: tuple[str, ...]
    questions: tuple[str, ...]
    follow_ups: tuple[str, ...]
    acks: tuple[str, ...]
    closings: tuple[str, ...]
    agent_greetings: tuple[str, ...]
    agent_answers: tuple[str, ...]
    agent_closings: tuple[str, ...]


_ENGLISH = _Vocabulary(
    greetings=("Hi", "Hello", "Hey", "Good morning", "Hi there", "Hello again"),
    questions=(
        "my order {order} hasn't arrived yet",
        "can I change the delivery address for order {order}?",
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
        "I received the wrong {item}",
        "can I add something to order {order}?",
        "the app keeps crashing when I open my cart",
        "the {item} arrived damaged",
        "I need to change the email on my account, the old one is {email}",
        "can you send order {order} to {address} instead?",
        "I never got the confirmation email for order {order}, my email is {email}",
        "the courier left my parcel at {address} but that's not my address",
    ),
    follow_ups=(
        "it's {order}",
        "order number is {order}",
        "the email on the account is {email}",
        "my address is {address}",
        "I ordered it on {date}",
        "yes, that's the one",
        "how long will the refund take?",
        "when will it arrive?",
        "can you send me the tracking number?",
        "do I need to send the {item} back first?",
        "is there a fee for that?",
        "I paid with PayPal if that matters",
        "the {item}, size {size}",
        "it's a gift so I'd like it to arrive before {date}",
        "I already tried that twice, it didn't help",
        "ok and what happens if it doesn't arrive by then?",
    ),
    acks=(
        "ok",
        "thanks!",
        "Thank you",
        "yes",
        "no",
        "great, thanks a lot",
        "one moment please",
        "sure",
        "ok let me check",
        "Perfect!",
        "I'm not sure",
        "ah ok, I see",
        "alright",
    ),
    closings=(
        "that's all, thanks!",
        "great, thank you for your help",
        "ok bye",
        "perfect, have a nice day",
        "Thanks a lot, you've been very helpful.",
    ),
    agent_greetings=(
        "Hi, thanks for contacting {brand}! My name is {agent}, how can I help you today?",
        "Hello, you're chatting with {agent} from {brand} support. How can I help?",
        "Hi there, I'm {agent}. Let me take a look at that for you.",
    ),
    agent_answers=(
        "Let me check order {order} for you, one moment please.",
        "Thanks for waiting. Order {order} was shipped on {date} with {carrier}, "
        "the tracking number is {tracking}.",
        "I'm sorry about that. I've issued a refund of {amount}; it should reach your "
        "account within 3-5 business days.",
        "I've updated the delivery address to {address}.",
        "I can see the payment was taken twice. The second charge is only a "
        "pre-authorisation and will be released automatically.",
        "Could you confirm the email address on the account, please?",
        "I've sent a password reset link to {email}, it's valid for 24 hours.",
        "Yes, we ship to {country}; it usually takes 5-8 business days.",
        "I've arranged a replacement {item}. It ships tomorrow and you don't need to send "
        "the damaged one back.",
        "That code expired on {date}, but I've added a 10% credit to your account instead.",
    ),
    agent_closings=(
        "Is there anything else I can help you with?",
        "Thanks for contacting {brand}, have a great day!",
        "Happy to help! Have a nice day.",
    ),
)

_CHINESE = _Vocabulary(
    greetings=("你好", "您好", "在吗？"),
    questions=(
        "我的订单{order}还没有到，能帮我查一下吗？",
        "请问可以修改收货地址吗？",
        "我收到的商品有损坏，想申请退款。",
        "快递显示已签收，但是我没有收到包裹。",
        "我被重复扣款了，订单号是{order}。",
        "优惠码在结账时不能用。",
    ),
    follow_ups=(
        "订单号是{order}",
        "我的邮箱是{email}",
        "新地址是{address}",
        "大概什么时候能到？",
        "退款需要多长时间？",
    ),
    acks=("好的", "谢谢！", "明白了", "好的，谢谢你的帮助"),
    closings=("没有其他问题了，谢谢！", "好的，再见"),
    agent_greetings=("您好，我是{agent}，很高兴为您服务。请问有什么可以帮您？",),
    agent_answers=(
        "请稍等，我帮您查一下订单{order}。",
        "您的包裹已经发出，预计{ddmm}送达，快递单号{tracking}。",
        "退款已经处理，三到五个工作日内到账。",
        "地址已经为您修改好了。",
    ),
    agent_closings=("还有其他可以帮您的吗？", "感谢您的耐心，祝您生活愉快！"),
)

_ARABIC = _Vocabulary(
    greetings=("مرحبا", "السلام عليكم", "أهلا"),
    questions=(
        "لم يصل طلبي بعد. رقم الطلب {order}",
        "هل يمكنني تغيير عنوان التوصيل؟",
        "المنتج وصل تالفا، أريد استرداد المبلغ من فضلك",
        "تم خصم المبلغ مرتين من بطاقتي",
        "لا أستطيع تسجيل الدخول إلى حسابي",
    ),
    follow_ups=(
        "رقم الطلب هو {order}",
        "بريدي الإلكتروني {email}",
        "متى سيصل الطلب؟",
        "كم يستغرق استرداد المبلغ؟",
    ),
    acks=("حسنا", "شكرا", "شكرا جزيلا", "تمام"),
    closings=("شكرا على المساعدة، مع السلامة", "هذا كل شيء، شكرا"),
    agent_greetings=("مرحبا، معك {agent} من خدمة العملاء. كيف يمكنني مساعدتك؟",),
    agent_answers=(
        "لحظة من فضلك، سأتحقق من الطلب {order}.",
        "تم شحن طلبك وسيصل يوم {ddmm}.",
        "تمت معالجة الاسترداد وسيظهر في حسابك خلال ٣ إلى ٥ أيام عمل.",
        "تم تحديث العنوان بنجاح.",
    ),
    agent_closings=("هل هناك أي شيء آخر يمكنني مساعدتك به؟",),
)

_HINDI = _Vocabulary(
    greetings=("नमस्ते", "हेलो"),
    questions=(
        "मेरा ऑर्डर {order} अभी तक नहीं आया है।",
        "क्या मैं डिलीवरी का पता बदल सकता हूँ?",
        "मुझे गलत सामान मिला है, कृपया मदद करें।",
        "मेरे कार्ड से दो बार पैसे कट गए हैं।",
        "मैं अपने अकाउंट में लॉग इन नहीं कर पा रहा हूँ।",
    ),
    follow_ups=(
        "ऑर्डर नंबर {order} है",
        "मेरा ईमेल {email} है",
        "यह कब तक पहुँचेगा?",
        "रिफंड में कितना समय लगेगा?",
    ),
    acks=("ठीक है", "धन्यवाद", "बहुत बहुत धन्यवाद", "समझ गया"),
    closings=("बस इतना ही, धन्यवाद!", "ठीक है, अलविदा"),
    agent_greetings=("नमस्ते, मैं {agent} हूँ। मैं आपकी क्या सहायता कर सकता हूँ?",),
    agent_answers=(
        "कृपया एक मिनट रुकें, मैं ऑर्डर {order} देख रहा हूँ।",
        "आपका ऑर्डर भेज दिया गया है और {ddmm} तक पहुँच जाएगा।",
        "आपका रिफंड प्रोसेस हो गया है, 3-5 कार्यदिवस में मिल जाएगा।",
    ),
    agent_closings=("क्या मैं आपकी और कोई सहायता कर सकता हूँ?",),
)

_RUSSIAN = _Vocabulary(
    greetings=("Здравствуйте", "Добрый день", "Привет"),
    questions=(
        "Мой заказ {order} до сих пор не пришёл. Можете проверить?",
        "Можно ли изменить адрес доставки?",
        "Товар пришёл повреждённым, хочу вернуть деньги.",
        "С карты списали деньги дважды.",
        "Подскажите, пожалуйста, сколько идёт доставка в Казань?",
    ),
    follow_ups=(
        "Номер заказа {order}",
        "Моя почта {email}",
        "Когда примерно придёт?",
        "Сколько времени займёт возврат?",
    ),
    acks=("Хорошо", "Спасибо!", "Понятно", "Большое спасибо"),
    closings=("Больше вопросов нет, спасибо!", "Спасибо, до свидания"),
    agent_greetings=("Здравствуйте! Меня зовут {agent}, чем могу помочь?",),
    agent_answers=(
        "Одну минуту, проверяю заказ {order}.",
        "Ваш заказ отправлен, доставка ожидается {ddmm}.",
        "Возврат оформлен, деньги поступят в течение 3-5 рабочих дней.",
    ),
    agent_closings=("Могу ли я ещё чем-нибудь помочь?",),
)

_NON_LATIN = (_CHINESE, _ARABIC, _HINDI, _RUSSIAN)

_AGENT_LINK_LINES = (
    "You can find the steps here: {link}",
    "Here is our guide: {link}",
    "This article explains it: {link}",
    "More details: {link} and {link2}",
)
_CUSTOMER_LINKS = (
    "https://www.example-shop.com/p/{n}?ref=chat",
    "https://img.example.net/{hex}.png",
    "https://track.example-post.net/parcel/{tracking}",
    "www.example.org/item/{n}",
    "example.co.uk/order/{n}",
    "https://www.example-shop.com/cart/{hex}",
)
_LINK_LEADS = (
    "here's the product:",
    "this is what I mean",
    "screenshot:",
    "the tracking page says delivered",
    "same as this one",
    "look at",
)

# A thought typed as it comes: a fast typer posts a prefix of one of these, line by line.
_FRAGMENTS = (
    ("hey", "so i ordered a {item}", "like 2 weeks ago", "order {order}", "still says processing",
     "can you check??", "thx"),
    ("hi", "quick question", "can i change the address", "on order {order}", "i moved last week",
     "new one is {address}"),
    ("hello", "my card got charged twice", "for the same order", "{order}",
     "can you refund one of them", "pls"),
    ("hi!", "i can't log in", "it says my password is wrong", "but i reset it yesterday",
     "email is {email}", "help"),
    ("ok", "wait", "one more thing", "the {item} i got", "is the wrong size", "i ordered {size}",
     "can i swap it"),
    ("so", "the tracking link", "doesn't open", "it just spins", "on my phone and laptop"),
    ("yes", "that's it", "thank u", "and when does it arrive?"),
)  # fmt: skip
_HELLOS = ("hello?", "hello??", "anyone there?", "?", "hellooo", "are you still there?", "hi?")

_EMOJI_PLAIN = (
    "😀", "😂", "🙏", "❤️", "🎉", "😢", "😡", "🔥",
    "✅", "📦", "🚚", "⭐", "😊", "🥳", "😭",
)  # fmt: skip
_EMOJI_ZWJ = ("👩‍💻", "👨‍👩‍👧", "🏳️‍🌈", "👩🏽‍🍳", "🧑‍🤝‍🧑", "❤️‍🔥", "🐻‍❄️")
_EMOJI_FLAGS = ("🇩🇪", "🇯🇵", "🇧🇷", "🇮🇳", "🇨🇦", "🇫🇷", "🇺🇸")
_EMOJI_TONES = ("👍🏻", "👍🏽", "👍🏿", "🙏🏼", "👋🏾", "💪🏽", "👌🏻", "🙌🏾")
_EMOJI_KEYCAPS = ("1️⃣", "2️⃣", "#️⃣")
_ALL_EMOJI = _EMOJI_PLAIN + _EMOJI_ZWJ + _EMOJI_FLAGS + _EMOJI_TONES + _EMOJI_KEYCAPS
_EMOJI_ACKS = (
    "thanks!!! 😊🙏",
    "ok 👍",
    "👍🏽",
    "great 🎉",
    "perfect, thank you so much 🙏🏼❤️",
    "omg finally 😭😭",
    "haha ok 😂",
    "yay 🥳🥳🥳",
    "thank you!! 🙌🏾",
    "lol 😅",
)

_PITCHES = (
    "WIN A FREE IPHONE 15 NOW!!! click here before it's gone",
    "Make $5000 a week from home, message me on whatsapp",
    "Get 90% OFF all designer bags today only, visit our store",
    "Double your bitcoin in 24 hours guaranteed, no risk",
    "Hot singles in your area want to meet you tonight",
    "Cheap followers and likes, 10k for $5, instant delivery",
    "Your account has been suspended, verify your details here",
    "Claim your $500 gift card before midnight",
    "Best casino bonus 200% on first deposit, play now",
    "Lose 10 kg in 2 weeks with this one weird trick",
)
_SPAM_HOSTS = (
    "cheap-pills.top",
    "win-prize.xyz",
    "crypto-double.io",
    "free-gift-cards.ru",
    "hot-singles.click",
    "casino-bonus.bet",
    "example.com",
)
_SHORTENERS = ("bit.ly", "tinyurl.com", "t.co", "is.gd", "cutt.ly")
_PROMO_WORDS = ("today", "now", "free", "bonus", "limited", "exclusive", "vip", "offer", "deal")
_HOMOGLYPHS = {"a": "а", "c": "с", "e": "е", "o": "о", "p": "р", "x": "х", "y": "у", "i": "і"}
_COMBINING = tuple(map(chr, range(0x300, 0x370)))  # the Combining Diacritical Marks block
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
# Symbols only: pictographs such as ♥ count as emoji, which the emoji flood covers.
_BANNER_SYMBOLS = "★☆♡◆✓✗→⇒•※§¤=*#~!$+-_<>░▓█▬═»"
_NOISE_SYMBOLS = "!?$#*@%&~^+=/\\|<>★☆♡◆✓✗→⇒•※§¤"
_WALL_SENTENCES = (
    "Dear customer, we are pleased to inform you that you have been selected for an "
    "exclusive offer.",
    "Our products are the best quality at the lowest price, guaranteed.",
    "Limited time only: order now and get free shipping worldwide.",
    "Thousands of happy customers trust us every single day.",
    "Visit our website today and use the code SAVE50 at checkout.",
    "Do not miss this once in a lifetime opportunity to change your life.",
    "This offer expires at midnight, so act fast before it is too late.",
    "Reply YES to claim your reward and a specialist will contact you.",
    "No credit card needed, no hidden fees, cancel any time.",
    "Join our community of winners and start earning from home.",
)
_BURST_POSTS = (
    "BUY NOW",
    "cheap!!",
    "dm me",
    "free $$$",
    "click here",
    "join now",
    "hello",
    "hey",
    "check my profile",
    "100% legit",
    "only today",
    "👉👉👉",
    "💰💰💰",
    "WIN",
    "promo",
    "ask me how",
    "limited offer",
    "last chance",
    "act fast",
)
_OPENERS = ("hi", "hello", "hey there", "hi, is anyone there?", "good evening")

# ============================================================================ sessions

_T = TypeVar("_T")


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    """A value whose logarithm is uniform: as many small intensities as large ones."""
    return float(low * (high / low) ** rng.random())


def _weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    names = [name for name, _ in options]
    return rng.choices(names, [weight for _, weight in options])[0]


@dataclass(frozen=True, slots=True)
class _Post:
    at: float  # seconds after the session's start
    role: str
    text: str
    label: str
    number: int  # the transaction number; a retry repeats its original's


@dataclass(slots=True)
class _Chat:
    """One session being played out: who takes part, what they said and when."""

    rng: random.Random
    tenant: _Tenant
    agent_name: str
    vocabulary: _Vocabulary = _ENGLISH
    retry_chance: float = 0.0
    decorate: Callable[[_Chat, str], str] | None = None
    clock: float = 0.0
    posts: list[_Post] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    _decks: dict[tuple[object, ...], list[object]] = field(default_factory=dict)

    def customer(self, text: str, pause: float, label: str = _HAM) -> None:
        """The customer posts ``text`` ``pause`` seconds after the previous post."""
        if label == _HAM and self.decorate is not None:
            text = self.decorate(self, text)
        number = self._post(_END_USER, text, pause, label)
        if label == _HAM and self.rng.random() < self.retry_chance:
            # The client did not see the server's answer and sends the post again.
            self.clock += self.rng.uniform(0.5, 6.0)
            self.posts.append(_Post(self.clock, _END_USER, text, label, number))

    def agent(self, text: str, pause: float) -> None:
        """The agent posts ``text`` ``pause`` seconds after the previous post."""
        self._post(_AGENT, text, pause, _HAM)

    def _post(self, role: str, text: str, pause: float, label: str) -> int:
        if self.posts:  # the first post opens the session, at its start
            self.clock += pause
        number = self.posts[-1].number + 1 if self.posts else 0
        self.posts.append(_Post(self.clock, role, text, label, number))
        return number

    def draw(self, pool: tuple[_T, ...]) -> _T:
        """An entry of ``pool``, not repeated in this session until the pool is used up."""
        deck = self._decks.get(pool)
        if not deck:
            deck = list(pool)
            self.rng.shuffle(deck)
            self._decks[pool] = deck
        return cast("_T", deck.pop())

    def fill(self, template: str) -> str:
        """``template`` with the session's facts (order number, e-mail ...) filled in."""
        if "{" not in template:
            return template
        return template.format_map(_Fields(self))

    def value(self, name: str) -> str:
        """The value of ``{name}`` in a template: a session fact, or a fresh random one."""
        rng = self.rng
        if name in self.facts:
            return self.facts[name]
        if name in _PICKS:
            return rng.choice(_PICKS[name])
        if name == "amount":
            return f"${rng.randint(9, 250)}.{rng.randrange(100):02d}"
        if name == "n":
            return str(rng.randrange(100_000, 999_999))
        if name == "hex":
            return f"{rng.getrandbits(40):010x}"
        if name in ("link", "link2"):
            return f"https://{self.tenant.help_host}/articles/{rng.choice(_ARTICLES)}"
        if name == "brand":
            return self.tenant.brand
        if name == "agent":
            return self.agent_name
        raise KeyError(name)

    # Typical pauses: the agent reads and types, the customer answers.
    def agent_pause(self) -> float:
        """Seconds before the agent answers."""
        return self.rng.uniform(8.0, 45.0)

    def customer_pause(self) -> float:
        """Seconds before the customer answers; now and then they look something up."""
        if self.rng.random() < 0.1:
            return self.rng.uniform(30.0, 120.0)
        return self.rng.uniform(4.0, 30.0)


class _Fields(dict[str, str]):
    """Template values computed on demand: a template only draws what it uses."""

    def __init__(self, chat: _Chat) -> None:
        super().__init__()
        self._chat = chat

    def __missing__(self, name: str) -> str:
        return self._chat.value(name)


_PICKS = {
    "item": _ITEMS,
    "size": _SIZES,
    "country": _COUNTRY_NAMES,
    "carrier": _CARRIERS,
}


def _facts(rng: random.Random) -> dict[str, str]:
    """One customer's order, e-mail, address and dates, the same all through a session."""
    first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
    month, day = rng.randrange(12), rng.randint(1, 28)
    return {
        "order": rng.choice(("#", "A-", "")) + str(rng.randrange(100_000, 999_999)),
        "email": f"{first}.{last}{rng.randrange(100)}@{rng.choice(_MAIL_HOSTS)}",
        "address": f"{rng.randint(1, 250)} {rng.choice(_STREETS)}, {rng.choice(_CITIES)} "
        f"{rng.randrange(10_000, 99_999)}",
        "tracking": f"1Z{rng.getrandbits(48):012X}",
        "date": f"{_MONTHS[month]} {day}",
        "ddmm": f"{day:02d}.{month + 1:02d}",
    }


# ---------------------------------------------------------------------------- ham


def _open(chat: _Chat) -> None:
    """The customer greets and asks; the agent greets."""
    vocabulary, rng = chat.vocabulary, chat.rng
    greeting = rng.choice(vocabulary.greetings)
    question = chat.fill(chat.draw(vocabulary.questions))
    if rng.random() < 0.3:
        chat.customer(greeting, 0.0)
        chat.customer(question, rng.uniform(2.0, 12.0))
    else:
        chat.customer(f"{greeting}, {question}", 0.0)
    chat.agent(chat.fill(rng.choice(vocabulary.agent_greetings)), chat.agent_pause())


def _exchange(chat: _Chat) -> None:
    """One round: a customer follow-up, the agent's answer, now and then a link or an ack."""
    vocabulary, rng = chat.vocabulary, chat.rng
    chat.customer(chat.fill(chat.draw(vocabulary.follow_ups)), chat.customer_pause())
    chat.agent(chat.fill(chat.draw(vocabulary.agent_answers)), chat.agent_pause())
    if vocabulary is _ENGLISH and rng.random() < 0.3:
        chat.agent(chat.fill(chat.draw(_AGENT_LINK_LINES)), rng.uniform(3.0, 15.0))
    if rng.random() < 0.5:
        chat.customer(chat.draw(vocabulary.acks), chat.customer_pause())


def _close(chat: _Chat) -> None:
    """The customer thanks and leaves; usually the agent closes too."""
    vocabulary, rng = chat.vocabulary, chat.rng
    chat.customer(chat.fill(chat.draw(vocabulary.closings)), chat.customer_pause())
    if rng.random() < 0.8:
        chat.agent(chat.fill(rng.choice(vocabulary.agent_closings)), chat.agent_pause())


def _conversation(chat: _Chat, extra: Callable[[_Chat], None] | None = None) -> None:
    """A whole conversation; ``extra`` (a paste, links) happens in 1-2 of its rounds."""
    rng = chat.rng
    _open(chat)
    rounds = rng.randint(1, 4)
    extra_rounds = set(rng.sample(range(rounds), min(rounds, rng.randint(1, 2))))
    for number in range(rounds):
        if extra is not None and number in extra_rounds:
            extra(chat)
        _exchange(chat)
    _close(chat)


def _share_links(chat: _Chat) -> None:
    rng = chat.rng
    links = [chat.fill(link) for link in rng.sample(_CUSTOMER_LINKS, rng.randint(1, 3))]
    joiner = rng.choice((" ", " and ", "\n"))
    chat.customer(f"{rng.choice(_LINK_LEADS)} {joiner.join(links)}", chat.customer_pause())


def _paste(chat: _Chat) -> None:
    rng = chat.rng
    target = round(_log_uniform(rng, 250, 6_000))
    make, leads = rng.choice(_PASTES)
    lead = rng.choice(leads)
    body = make(chat, target)
    chat.customer(f"{lead}\n{body}" if lead else body, chat.customer_pause())


def _grow(line: Callable[[], str], target: int) -> list[str]:
    """Lines from ``line()`` until they hold about ``target`` characters."""
    lines: list[str] = []
    size = 0
    while size < target:
        text = line()
        lines.append(text)
        size += len(text) + 1
    return lines


def _log_paste(chat: _Chat, target: int) -> str:
    rng, facts = chat.rng, chat.facts
    clock = rng.uniform(0, 80_000)
    urls_left = rng.randint(0, 2)  # logs name a few URLs; more would be a link flood

    def line() -> str:
        nonlocal clock, urls_left
        clock += rng.uniform(0.01, 30.0)
        hours, rest = divmod(int(clock), 3600)
        time = f"{hours % 24:02d}:{rest // 60:02d}:{rest % 60:02d},{rng.randrange(1000):03d}"
        stamp = f"2023-11-14 {time}"
        level = rng.choice(("INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"))
        if urls_left and rng.random() < 0.1:
            urls_left -= 1
            message = f"redirect to https://checkout.example-shop.com/pay/{rng.getrandbits(32):08x}"
        else:
            message = rng.choice(
                (
                    f"request GET /api/v2/orders/{facts['order'].lstrip('#A-')} failed: 503",
                    f"retrying in {rng.randint(1, 30)}s (attempt {rng.randint(1, 5)}/5)",
                    "payment authorisation declined: code=402 reason=insufficient_funds",
                    f"session {rng.getrandbits(32):08x} refreshed token",
                    f"cart {rng.getrandbits(24):06x} updated: items={rng.randint(1, 9)}",
                    "connection reset by peer",
                )
            )
        return f"{stamp} {level} [{rng.choice(('main', 'worker-1', 'worker-2', 'sync'))}] {message}"

    return "\n".join(_grow(line, target))


def _traceback_paste(chat: _Chat, target: int) -> str:
    rng = chat.rng
    modules = ("client", "session", "adapters", "connectionpool", "api", "checkout")

    def frame() -> str:
        return (
            f'  File "/srv/shopapp/lib/{rng.choice(modules)}.py", line {rng.randint(20, 900)}, '
            f"in call\n    response = self._send(request, timeout={rng.randint(5, 60)})"
        )

    frames = _grow(frame, target - 120)
    error = "shopapi.errors.ApiError: 503 Service Unavailable"
    return "\n".join(["Traceback (most recent call last):", *frames, error])


def _json_paste(chat: _Chat, target: int) -> str:
    rng = chat.rng

    def item() -> str:
        entry = {
            "sku": f"SKU-{rng.randrange(1_000, 9_999)}",
            "name": rng.choice(_ITEMS),
            "qty": rng.randint(1, 3),
            "price": round(rng.uniform(5, 200), 2),
            "status": rng.choice(("pending", "shipped", "error")),
        }
        return "  " + json.dumps(entry) + ","

    items = _grow(item, target - 40)
    items[-1] = items[-1].rstrip(",")
    return "\n".join([f'{{"order": "{chat.facts["order"]}", "items": [', *items, "]}"])


def _order_paste(chat: _Chat, target: int) -> str:
    rng = chat.rng

    def row() -> str:
        return (
            f"{rng.randint(1, 4)} x {rng.choice(_ITEMS)} ({rng.choice(_SIZES)})  "
            f"SKU-{rng.randrange(1_000, 9_999)}  ${rng.randint(5, 200)}.{rng.randrange(100):02d}"
        )

    return "\n".join(
        [f"Order {chat.facts['order']} - placed {chat.facts['date']}", *_grow(row, target)]
    )


def _address_paste(chat: _Chat, target: int) -> str:
    rng = chat.rng

    def block() -> str:
        return (
            f"{rng.choice(_FIRST_NAMES).title()} {rng.choice(_LAST_NAMES).title()}, "
            f"{rng.randint(1, 250)} {rng.choice(_STREETS)}\n"
            f"{rng.choice(_CITIES)} {rng.randrange(10_000, 99_999)}, {rng.choice(_COUNTRY_NAMES)}"
        )

    # Address lists are short: nobody pastes a thousand addresses into a chat.
    return "\n".join(_grow(block, min(target, 1_200)))


_PASTES: tuple[tuple[Callable[[_Chat, int], str], tuple[str, ...]], ...] = (
    (_log_paste, ("here's the log:", "this is what the app logs:", "")),
    (_traceback_paste, ("this is the error:", "the integration fails with this:", "")),
    (_json_paste, ("here's what the API returns:", "I copied it from the app:", "")),
    (_order_paste, ("these are the items:", "I ordered these:", "")),
    (_address_paste, ("please ship to these addresses:", "our offices:", "")),
)


def _fast_thought(chat: _Chat) -> None:
    """A thought typed as 2-7 short lines, 1-3 s apart."""
    rng = chat.rng
    fragments = chat.draw(_FRAGMENTS)
    count = rng.randint(2, len(fragments))
    for number, fragment in enumerate(fragments[:count]):
        pause = chat.customer_pause() if number == 0 else rng.uniform(1.0, 3.0)
        chat.customer(chat.fill(fragment), pause)


def _fast_typer(chat: _Chat) -> None:
    rng = chat.rng
    _fast_thought(chat)
    chat.agent(chat.fill(rng.choice(_ENGLISH.agent_greetings)), chat.agent_pause())
    for _ in range(rng.randint(1, 3)):
        _fast_thought(chat)
        chat.agent(chat.fill(chat.draw(_ENGLISH.agent_answers)), chat.agent_pause())
    _close(chat)


def _repeater(chat: _Chat) -> None:
    """Nobody answers at first: the customer says hello and asks again."""
    rng = chat.rng
    question = f"{rng.choice(_ENGLISH.greetings)}, {chat.fill(chat.draw(_ENGLISH.questions))}"
    chat.customer(question, 0.0)
    for _ in range(rng.randint(1, 2)):
        chat.customer(chat.draw(_HELLOS), rng.uniform(20.0, 60.0))
    again = rng.choice((question, question + "?", question.lower(), "hello? " + question))
    chat.customer(again, rng.uniform(15.0, 60.0))
    if rng.random() < 0.1:  # a third time: the duplicate rule's cost on real customers
        chat.customer(question, rng.uniform(30.0, 90.0))
    answer = chat.fill(chat.draw(_ENGLISH.agent_answers))
    chat.agent(f"Sorry for the wait, we're very busy today. {answer}", rng.uniform(10.0, 40.0))
    for _ in range(rng.randint(0, 2)):
        _exchange(chat)
    _close(chat)


def _emoji_decoration(chat: _Chat, text: str) -> str:
    """Expressive customers add 1-3 emoji to most posts, answer with emoji, or stretch."""
    rng = chat.rng
    roll = rng.random()
    if roll < 0.15:
        return chat.draw(_EMOJI_ACKS)
    if roll < 0.7:
        pool = rng.choice((_EMOJI_PLAIN, _EMOJI_PLAIN, _EMOJI_ZWJ, _EMOJI_FLAGS, _EMOJI_TONES))
        return f"{text} {''.join(rng.choices(pool, k=rng.randint(1, 3)))}"
    if roll < 0.8:
        # Emphasis runs of 4-80 ("!!!!", "pleaseeee"): real chat has them below the
        # shipped max_run of 100, so only a lower limit costs ham.
        word = rng.choice(("!", "?!", " please", " sooo", " omg", " noo"))
        return text + word + word[-1] * round(_log_uniform(rng, 4, 80))
    return text


def _laugh(chat: _Chat) -> None:
    """A laughing reaction: from 12 visible characters, all emoji exceeds ``max_share``."""
    decorate, chat.decorate = chat.decorate, None
    chat.customer("😂" * chat.rng.randint(4, 14), chat.customer_pause())
    chat.decorate = decorate


def _emoji_friendly(chat: _Chat) -> None:
    chat.decorate = _emoji_decoration
    _conversation(chat, _laugh if chat.rng.random() < 0.15 else None)


def _non_latin(chat: _Chat) -> None:
    chat.vocabulary = chat.rng.choice(_NON_LATIN)
    _conversation(chat)


_HAM_WRITERS: dict[str, tuple[int, Callable[[_Chat], None]]] = {
    "conversation": (36, _conversation),
    "fast-typer": (14, _fast_typer),
    "paste": (8, lambda chat: _conversation(chat, _paste)),
    "repeater": (9, _repeater),
    "emoji-friendly": (12, _emoji_friendly),
    "links": (9, lambda chat: _conversation(chat, _share_links)),
    "non-latin": (12, _non_latin),
}

# ---------------------------------------------------------------------------- spam


def _spam_opening(chat: _Chat) -> None:
    """Some spammers say hi first; the agent may greet before the first spam post."""
    rng = chat.rng
    if rng.random() < 0.35:
        chat.customer(rng.choice(_OPENERS), 0.0)
    if rng.random() < 0.5:
        chat.agent(chat.fill(rng.choice(_ENGLISH.agent_greetings)), rng.uniform(2.0, 15.0))


def _spam_posts(chat: _Chat, texts: Sequence[str], pause: Callable[[], float]) -> None:
    for text in texts:
        chat.customer(text, pause(), _SPAM)


def _spam_link(rng: random.Random) -> str:
    path = f"{rng.getrandbits(28):07x}"
    style = rng.randrange(6)
    if style == 0:
        return f"https://{rng.choice(_SHORTENERS)}/{path}"
    if style == 1:
        return f"{rng.choice(_SHORTENERS)}/{path}"
    host = rng.choice(_SPAM_HOSTS)
    if style == 2:
        return f"hxxps://{host.replace('.', '[.]')}/{path}"
    if style == 3:
        return f"{host.replace('.', '[.]')}/{path}"
    if style == 4:
        return f"{host.replace('.', ' (dot) ', 1)}/{path}"
    return f"{rng.choice(('https://', 'http://', ''))}{host}/{path}"


def _link_spam(chat: _Chat) -> None:
    rng = chat.rng

    def post() -> str:
        links = [_spam_link(rng) for _ in range(rng.randint(2, 12))]
        return f"{rng.choice(_PITCHES)}\n" + rng.choice(("\n", " ", " | ")).join(links)

    _spam_posts(chat, [post() for _ in range(rng.randint(1, 5))], lambda: rng.uniform(4, 40))


def _duplicates(chat: _Chat) -> None:
    rng = chat.rng
    pitch = rng.choice(_PITCHES)
    # Some spammers post more slowly than the duplicate window is long.
    low, high = (4.0, 40.0) if rng.random() < 0.7 else (100.0, 200.0)
    _spam_posts(chat, [pitch] * rng.randint(3, 10), lambda: rng.uniform(low, high))


def _homoglyphs(rng: random.Random, text: str) -> str:
    return "".join(_HOMOGLYPHS.get(char, char) if rng.random() < 0.5 else char for char in text)


def _zero_width(rng: random.Random, text: str) -> str:
    return "".join(char + rng.choice(_ZERO_WIDTH) if rng.random() < 0.3 else char for char in text)


def _fullwidth(rng: random.Random, text: str) -> str:
    del rng  # nothing to draw: every character has one fullwidth form
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def _recase(rng: random.Random, text: str) -> str:
    return rng.choice((text.upper(), text.lower(), text.title(), text.swapcase()))


def _repunctuate(rng: random.Random, text: str) -> str:
    words = []
    for written in text.split():
        word = written.rstrip("!.,?") if rng.random() < 0.3 else written
        if rng.random() < 0.2:
            word += rng.choice(("!", ".", ",", "*", "!!"))
        words.append(word)
    return " ".join(words)


_DISGUISES = (_homoglyphs, _zero_width, _fullwidth, _recase, _repunctuate)


def _disguised_duplicates(chat: _Chat) -> None:
    rng = chat.rng
    pitch = rng.choice(_PITCHES)
    # Disguises alone are undone by normalisation; inserted words are not. With one
    # inserted word per copy about half the pairs stay above 90% similarity, with two
    # almost none: the copies spread across the range a similarity sweep explores.
    changes = rng.choices((0, 1, 2), (4, 4, 2))[0]

    def copy() -> str:
        words = pitch.split()
        for _ in range(changes):
            words.insert(rng.randrange(len(words) + 1), rng.choice(_PROMO_WORDS))
        text = " ".join(words)
        for disguise in rng.sample(_DISGUISES, rng.randint(1, 2)):
            text = disguise(rng, text)
        return text

    posts = [copy() for _ in range(rng.randint(3, 10))]
    _spam_posts(chat, posts, lambda: rng.uniform(4.0, 40.0))


def _emoji_flood(chat: _Chat) -> None:
    rng = chat.rng

    def post() -> str:
        emoji = rng.choices(_ALL_EMOJI, k=round(_log_uniform(rng, 20, 400)))
        if rng.random() < 0.5:  # padded with two pitches, the share of emoji is lower
            cut = rng.randrange(len(emoji) + 1)
            pitches = f"{rng.choice(_PITCHES)} {rng.choice(_PITCHES)}"
            return f"{''.join(emoji[:cut])} {pitches} {''.join(emoji[cut:])}"
        return "".join(emoji)

    _spam_posts(chat, [post() for _ in range(rng.randint(1, 4))], lambda: rng.uniform(3, 30))


def _symbol_flood(chat: _Chat) -> None:
    rng = chat.rng

    def banner() -> str:
        symbol = rng.choice(_BANNER_SYMBOLS)
        run = symbol * round(_log_uniform(rng, 5, 1_500))
        return f"{run}\n{rng.choice(_PITCHES)}\n{run}"

    def noise() -> str:
        parts = []
        for _ in range(rng.randint(4, 40)):
            parts.append(rng.choice(_NOISE_SYMBOLS) * rng.randint(1, 30))
            if rng.random() < 0.2:
                parts.append(f" {rng.choice(('BUY', 'FREE', 'WIN', 'NOW'))} ")
        return "".join(parts)

    posts = [banner() if rng.random() < 0.6 else noise() for _ in range(rng.randint(1, 4))]
    _spam_posts(chat, posts, lambda: rng.uniform(3, 30))


def _zalgo_text(rng: random.Random, text: str, stack: int) -> str:
    """``text`` with ``stack // 2`` to ``stack`` combining marks on each visible character."""
    out = []
    for char in text:
        out.append(char)
        if not char.isspace():
            out.extend(rng.choices(_COMBINING, k=rng.randint(max(1, stack // 2), stack)))
    return "".join(out)


def _zalgo(chat: _Chat) -> None:
    rng = chat.rng
    posts = [
        _zalgo_text(rng, rng.choice(_PITCHES), round(_log_uniform(rng, 3, 80)))
        for _ in range(rng.randint(1, 4))
    ]
    _spam_posts(chat, posts, lambda: rng.uniform(3, 30))


def _wall_text(rng: random.Random, target: int) -> str:
    paragraphs: list[str] = []
    size = 0
    while size < target:
        paragraph = " ".join(rng.choices(_WALL_SENTENCES + _PITCHES, k=rng.randint(4, 12)))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:target]


def _wall(chat: _Chat) -> None:
    rng = chat.rng
    posts = [
        _wall_text(rng, round(_log_uniform(rng, 1_500, 60_000))) for _ in range(rng.randint(1, 3))
    ]
    _spam_posts(chat, posts, lambda: rng.uniform(5, 40))


def _burst(chat: _Chat) -> None:
    rng = chat.rng
    posts = rng.choices(_BURST_POSTS, k=rng.randint(10, 40))
    _spam_posts(chat, posts, lambda: rng.uniform(0.2, 1.0))


_SPAM_WRITERS: dict[str, Callable[[_Chat], None]] = {
    "link-spam": _link_spam,
    "duplicates": _duplicates,
    "disguised-duplicates": _disguised_duplicates,
    "emoji-flood": _emoji_flood,
    "symbol-flood": _symbol_flood,
    "zalgo": _zalgo,
    "wall": _wall,
    "burst": _burst,
}

# ============================================================================ the corpus


def synthesize(
    sessions: int, spam_share: float, seed: int, *, start: float = EPOCH
) -> Iterator[dict[str, Any]]:
    """Generate labelled chat traffic: the lines of ``sessions`` sessions, in time order.

    Exactly ``round(sessions * spam_share)`` sessions (Python's ``round``, halves to even)
    are spam; which ones is drawn from ``seed``. Each line is a dict with the keys ``ts``
    (Unix seconds, rounded to the millisecond), ``tenant``, ``interface``, ``session``,
    ``sender``, ``role`` (``end_user`` or ``agent``), ``id`` (the client transaction id,
    unique in its session except for client retries, which resend a post's id and text),
    ``text``, ``label`` (``ham`` or ``spam``) and ``kind`` (the session's kind), in that
    order. Lines come out with non-decreasing ``ts``; ties go by session, then post order.

    Args:
        sessions: How many sessions, at least 0.
        spam_share: The share of spam sessions, from 0 to 1.
        seed: Any integer; the same arguments always give the same lines.
        start: Unix seconds of the first session's first post.

    Raises:
        ValueError: an argument is out of range (checked at the call, before any line).
        TypeError: an argument has the wrong type.
    """
    _validate(sessions, spam_share, seed, start)
    return _merge(_schedule(sessions, float(spam_share), seed, float(start)), seed)


def message_of(line: Mapping[str, Any]) -> Message:
    """The `Message` a synthesized line posts (its ``label`` and ``kind`` aside)."""
    return Message(
        text=line["text"],
        session=line["session"],
        tenant=line["tenant"],
        interface=line["interface"],
        role=Role(line["role"]),
        sender=line["sender"],
        ts=line["ts"],
        transaction_id=line["id"],
    )


def _validate(sessions: int, spam_share: float, seed: int, start: float) -> None:
    if isinstance(sessions, bool) or not isinstance(sessions, int):
        raise TypeError(f"sessions must be an integer, got {sessions!r}")
    if sessions < 0:
        raise ValueError(f"sessions must be at least 0, got {sessions}")
    if isinstance(spam_share, bool) or not isinstance(spam_share, int | float):
        raise TypeError(f"spam_share must be a number, got {spam_share!r}")
    if not 0.0 <= spam_share <= 1.0:  # also rejects NaN
        raise ValueError(f"spam_share must be between 0 and 1, got {spam_share}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an integer, got {seed!r}")
    if isinstance(start, bool) or not isinstance(start, int | float):
        raise TypeError(f"start must be a number of Unix seconds, got {start!r}")
    if not math.isfinite(start):
        raise ValueError(f"start must be finite, got {start}")


@dataclass(frozen=True, slots=True)
class _Slot:
    index: int
    start: float
    spam: bool


def _schedule(sessions: int, spam_share: float, seed: int, start: float) -> Iterator[_Slot]:
    """Every session's start time and whether it is spam, in order of start."""
    rng = random.Random(f"spamguard.synth:{seed}:schedule")
    spam_left = round(sessions * spam_share)
    at = start
    for index in range(sessions):
        if index:
            at += rng.expovariate(1.0 / MEAN_ARRIVAL_S)
        # Selection sampling: exactly `spam_left` of the remaining sessions, each as likely.
        spam = rng.random() * (sessions - index) < spam_left
        spam_left -= spam
        yield _Slot(index, at, spam)


def _merge(slots: Iterator[_Slot], seed: int) -> Iterator[dict[str, Any]]:
    """The lines of all sessions in time order, opening each session only when due."""
    heap: list[tuple[float, int, int, dict[str, Any]]] = []
    upcoming = next(slots, None)
    while True:
        # A session's lines are never earlier than its start, so once the earliest pending
        # line is earlier than the next start, no unopened session can precede it.
        while upcoming is not None and (not heap or round(upcoming.start, 3) <= heap[0][0]):
            for order, line in enumerate(_session_lines(upcoming, seed)):
                heapq.heappush(heap, (line["ts"], upcoming.index, order, line))
            upcoming = next(slots, None)
        if not heap:
            return
        yield heapq.heappop(heap)[3]


def _session_lines(slot: _Slot, seed: int) -> list[dict[str, Any]]:
    """Play out one session; its content depends only on ``seed``, its index and spam."""
    rng = random.Random(f"spamguard.synth:{seed}:{slot.index}")
    if slot.spam:
        kind = rng.choice(SPAM_KINDS)
    else:
        kind = _weighted(rng, [(name, weight) for name, (weight, _) in _HAM_WRITERS.items()])
    tenant = rng.choices(_TENANTS, [tenant.weight for tenant in _TENANTS])[0]
    interface = _weighted(rng, _INTERFACES)
    agent_name = rng.choice(_AGENTS)
    chat = _Chat(rng, tenant, agent_name, facts=_facts(rng))
    if slot.spam:
        _spam_opening(chat)
        _SPAM_WRITERS[kind](chat)
    else:
        chat.retry_chance = _RETRY_CHANCE
        _HAM_WRITERS[kind][1](chat)
    session = f"chat-{slot.index + 1:07d}"
    senders = {
        _END_USER: f"visitor-{rng.getrandbits(32):08x}",
        _AGENT: f"agent-{agent_name.lower()}",
    }
    return [
        {
            "ts": round(slot.start + post.at, 3),
            "tenant": tenant.name,
            "interface": interface,
            "session": session,
            "sender": senders[post.role],
            "role": post.role,
            "id": f"{session}-{post.number + 1}",
            "text": post.text,
            "label": post.label,
            "kind": kind,
        }
        for post in chat.posts
    ]
