"""Numbers a page's wording is compared without — except the amount an appeal or a gate asks for.

Counters, clock times, meters ("You've read 4 of 5") and fundraising tallies ("Собрано 184 300 ₽ из
400 000 ₽") tick on their own, so the content fingerprint and the diff's comparable wording fold
every digit run. The one number that is the outlet's own wording is the amount it asks for: a
currency amount right after "от", "даже в", "хотя бы", "as little as", "from"… ("от 300
рублей", "as little as $5"). That one is kept, so raising the ask is a changed appeal (or gate)
while a tally going up is not.
"""

from __future__ import annotations

import re

# Currency marks, found with str.find (a regex alternation of them scans a 100 KB page ~25x slower).
_MARKS = ("₽", "$", "€", "£", "₴", "руб", "Руб", "РУБ", " р.", "грн", "грив", "евро", "доллар", "EUR", "USD", "eur",
          "usd", "dollar", "Dollar", "euro", "Euro", "pound")  # fmt: skip
# The asked-for amount around one mark: a minimum ("от 300 рублей", "as little as $5", "хотя бы 100 ₽").
# Only words that ask: "всего", "лишь", "just", "only" also open tallies ("собрано всего 184 300 ₽",
# "we are just $4,870 away from our goal"), which must stay folded.
_ASKED = re.compile(
    r"(?:\bот|\bдаже в|\bдаже|\bхотя бы|\bвід|\bхоча б|\bfrom|\bas little as|\bstarting at)\s"
    r"(?:[$€£₽₴]\s?\d+(?:[\s.,]\d+)*|\d+(?:[\s.,]\d+)*\s?(?:[$€£₽₴]|руб|р\.|грн|грив|евро|доллар|eur|usd|dollar|euro|pound))",
    re.IGNORECASE,
)
_BEFORE, _AFTER = 40, 24  # how far around a mark its amount and the word before it may reach


def fold_numbers(text: str, digits: re.Pattern[str], mark: str) -> str:
    """``digits.sub(mark, text)``, leaving the asked-for amounts of ``text`` as they are."""
    kept = _asked_spans(text)
    if not kept:
        return digits.sub(mark, text)
    parts, at = [], 0
    for start, end in kept:
        parts += [digits.sub(mark, text[at:start]), text[start:end]]
        at = end
    parts.append(digits.sub(mark, text[at:]))
    return "".join(parts)


def _asked_spans(text: str) -> list[tuple[int, int]]:
    """Sorted, disjoint spans of the asked-for amounts (with the word before them)."""
    spans: set[tuple[int, int]] = set()
    for currency in _MARKS:
        at = text.find(currency)
        while at != -1:
            lo = max(0, at - _BEFORE)
            for m in _ASKED.finditer(text, lo, at + len(currency) + _AFTER):
                if m.start() <= at < m.end():
                    spans.add(m.span())
            at = text.find(currency, at + len(currency))
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if kept and start < kept[-1][1]:
            kept[-1] = (kept[-1][0], max(end, kept[-1][1]))
        else:
            kept.append((start, end))
    return kept
