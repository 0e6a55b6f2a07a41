"""Check digits of the numbers PII masking looks for: payment cards, INN and SNILS.

Each function takes a string of digits only and says whether its control digits agree.

Must not: raise: a malformed number is simply not a valid one.
"""

from __future__ import annotations

_INN_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
# The SNILS check number is verified only above 001-001-998 (the official rule).
_SNILS_FIRST_CHECKED = 1_001_998


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment card numbers."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _inn_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(
        sum(int(d) * w for d, w in zip(digits[: len(weights)], weights, strict=True)) % 11 % 10
    )


def inn_valid(digits: str) -> bool:
    """A Russian taxpayer number: 10 digits (organisation) or 12 (person), control digits
    computed as weighted sums mod 11 mod 10 (Federal Tax Service order ММВ-7-6/435@)."""
    if not digits.isdigit():
        return False
    if len(digits) == 10:
        return digits[9] == _inn_digit(digits, _INN_10)
    if len(digits) == 12:
        return digits[10] == _inn_digit(digits, _INN_11) and digits[11] == _inn_digit(
            digits, _INN_12
        )
    return False


def snils_valid(digits: str) -> bool:
    """A Russian insurance number: 9 digits and a 2-digit check number, the sum of the
    digits weighted 9..1, taken mod 101 (100 and 101 give 00)."""
    if len(digits) != 11 or not digits.isdigit() or int(digits[:9]) <= _SNILS_FIRST_CHECKED:
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(9, 0, -1), strict=True))
    return int(digits[9:]) == total % 101 % 100
