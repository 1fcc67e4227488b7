"""Numbers a page's wording is compared without — except the amount an appeal or a gate asks for.

Counters, clock times, meters ("You've read 4 of 5") and fundraising tallies ("Собрано 184 300 ₽ из
400 000 ₽") tick on their own, so the content fingerprint and the diff's comparable wording fold
every digit run. The one number that is the outlet's own wording is the amount it asks for: a
currency amount right after "от", "даже в", "хотя бы", "as little as", "from", "just"… ("от 300
рублей", "as little as $5"). That one is kept, so raising the ask is a changed appeal (or gate)
while a tally going up is not.
"""

from __future__ import annotations

import re

# Cheap test first: most pages print no currency at all, and the amount regex costs ~0.4 ms a page.
_MARKS = ("₽", "$", "€", "£", "руб", "Руб", "РУБ", "грн", "грив", "евро", "доллар", "EUR", "USD", "eur", "usd")
_AMOUNT = re.compile(
    r"[$€£₽]\s?\d+(?:[\s.,]\d+)*"
    r"|\d+(?:[\s.,]\d+)*\s?(?:[$€£₽]|руб|р\.|грн|грив|евро|доллар|eur\b|usd\b|dollars?\b|euros?\b|pounds?\b)",
    re.IGNORECASE,
)
# What makes the amount the ask's own: a minimum ("от 300 рублей", "as little as $5", "хотя бы 100 ₽").
_ASK_BEFORE = re.compile(
    r"(?:\bот|\bдаже в|\bдаже|\bхотя бы|\bвсего|\bлишь|\bвсього|\bвід|\bхоча б|\bлише|\bfrom|\bjust|\bonly"
    r"|\bas little as|\bstarting at)\s$",
    re.IGNORECASE,
)
_LOOKBACK = 16


def fold_numbers(text: str, digits: re.Pattern[str], mark: str) -> str:
    """``digits.sub(mark, text)``, leaving the asked-for amounts of ``text`` as they are."""
    if not any(m in text for m in _MARKS):
        return digits.sub(mark, text)
    kept = [
        m.span()
        for m in _AMOUNT.finditer(text)
        if _ASK_BEFORE.search(text[max(0, m.start() - _LOOKBACK) : m.start()]) is not None
    ]
    if not kept:
        return digits.sub(mark, text)
    parts, at = [], 0
    for start, end in kept:
        parts += [digits.sub(mark, text[at:start]), text[start:end]]
        at = end
    parts.append(digits.sub(mark, text[at:]))
    return "".join(parts)
