"""People of the demo world: Chinese names with their ticket spelling, and phone numbers."""

import itertools
import random
from bisect import bisect
from dataclasses import dataclass

from portal.demo import reference as ref

_SURNAME_CUM = list(itertools.accumulate(w for _, _, w in ref.SURNAMES))


@dataclass(eq=False)
class Person:
    name: str
    name_en: str  # ZHANG/XIAOMING, as on a ticket
    email_local: str  # xiaoming.zhang


def person(rng: random.Random) -> Person:
    """A Chinese name with its ticket spelling (ZHANG/XIAOMING) and an e-mail local part."""
    surname, surname_en, _ = ref.SURNAMES[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]
    count = 1 if rng.random() < 0.35 else 2
    given = [rng.choice(ref.GIVEN_CHARS) for _ in range(count)]
    given_zh = "".join(g for g, _ in given)
    given_en = "".join(p for _, p in given)
    return Person(
        name=surname + given_zh,
        name_en=f"{surname_en.upper()}/{given_en.upper()}",
        email_local=f"{given_en}.{surname_en.lower()}",
    )


def mobile(rng: random.Random) -> str:
    prefix = rng.choice(("139", "138", "137", "136", "135", "150", "151", "158", "186", "188", "133", "180"))
    return f"{prefix}{rng.randint(0, 99_999_999):08d}"
