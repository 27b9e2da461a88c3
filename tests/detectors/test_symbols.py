"""Symbol detector: punctuation floods, runs, zalgo; every script's letters are letters."""

from __future__ import annotations

import random

import pytest

from spamguard.detectors.symbols import SymbolDetector
from tests.detectors.conftest import codes_for

STACK_TRACE = """Traceback (most recent call last):
  File "/usr/lib/python3.11/site-packages/app/main.py", line 42, in <module>
    main()
  File "/usr/lib/python3.11/site-packages/app/main.py", line 12, in main
    raise ValueError("bad order id: 4481-2290")
ValueError: bad order id: 4481-2290"""
JSON = '{"order_id": 12345, "status": "failed", "items": [{"sku": "A-1", "qty": 2}], "ok": false}'


def _zalgo(text: str, marks: int) -> str:
    rnd = random.Random(1)
    return "".join(
        ch + "".join(chr(rnd.randrange(0x300, 0x36F)) for _ in range(marks)) for ch in text
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Is my order shipped yet?!", [], id="ordinary"),
        pytest.param(STACK_TRACE, [], id="stack-trace"),
        pytest.param(JSON, [], id="json-snippet"),
        pytest.param("$$$ !!! ### *** @@@ %%% ^^^ &&& ((( ))) ~~~ +++ ===", ["SG501"], id="noise"),
        pytest.param("▬▬▬ஜ۩۞۩ஜ▬▬▬ ★彡 FREE 彡★ ▬▬▬ஜ۩۞۩ஜ▬▬▬ ♥♥♥ ☆☆☆", [], id="fan-banner"),
        pytest.param("▬▬▬▬۩۞۩▬▬▬▬ ★☆★☆★☆ ♥♥♥ ▬▬▬▬۩۞۩▬▬▬▬ ★☆★☆★☆ $$$", ["SG501"], id="all-symbols"),
        pytest.param("So happy!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!", [], id="emphasis"),
        pytest.param(
            "No way, that is not what I ordered at all" + "!" * 101, ["SG502"], id="long-run"
        ),
        pytest.param("loooooool", [], id="expressive-run"),
        pytest.param("=" * 1001, ["SG504", "SG501"], id="extreme-run"),
        pytest.param(_zalgo("zalgo is here", 8), ["SG503"], id="zalgo"),
        pytest.param(_zalgo("zalgo", 70), ["SG504"], id="extreme-zalgo"),
        pytest.param("Tiếng Việt có dấu: Người đẹp, phở bò, cảm ơn nhiều.", [], id="vietnamese"),
        pytest.param("नमस्ते, मेरा ऑर्डर कहाँ है? कृपया जल्दी बताइए।", [], id="devanagari"),
        pytest.param("مرحبا، لدي مشكلة في الدفع ولا أستطيع إكمال الطلب.", [], id="arabic"),
        pytest.param(
            "Здравствуйте! Не могу войти в личный кабинет, пишет «неверный пароль».",
            [],
            id="cyrillic",
        ),
        pytest.param("您好，我的订单还没有到，可以帮我查一下吗？谢谢！", [], id="chinese"),
        pytest.param("สวัสดีครับ ผมต้องการเปลี่ยนที่อยู่จัดส่งสินค้า", [], id="thai"),
        pytest.param("ok!!", [], id="short-exclamation"),
    ],
)
def test_symbols(text: str, expected: list[str]) -> None:
    assert codes_for(SymbolDetector, text) == expected


def test_share_needs_minimum_length() -> None:
    assert codes_for(SymbolDetector, "?!?!?!?!") == []
    assert codes_for(SymbolDetector, "?!?!?!?!", min_chars=8) == ["SG501"]
