"""Planted person/organisation cases of the demo network, with their truth (issue 21).

Different people a head office must keep apart: two teachers of one school (colleagues),
spouses or siblings sharing one landline (households), namesakes at a large organisation,
staff sharing only a generic e-mail address. The same person written differently, who must
be linked: initial, swapped names, particle dropped, hyphen dropped, a name added at marriage,
a move, a typo in the e-mail domain, another centre. Each case is drawn from its own seeded
generator, so the other clients of the network are drawn as before; ``truth/cases.csv``
lists every case (``case``, ``same_person``, ``entity_a``, ``entity_b``); the share of each
case linked is scored outside the library (``bench/grc_truth.py``, ``case_table``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rapidfuzz.distance import JaroWinkler

if TYPE_CHECKING:
    from grc.demo.generator import Entity, Generator

DIFFERENT = ["colleagues", "household", "namesakes", "generic_email"]
SAME = ["initial", "swap", "particle", "hyphen", "married", "moved", "email_typo",
        "other_centre"]
CASE_COLUMNS = ["case", "same_person", "entity_a", "entity_b"]
ACADEMIES = ["toulouse", "lyon", "rennes", "nantes", "bordeaux", "lille", "dijon", "grenoble"]
PARTICLE_NAMES = ["de La Fontaine", "Le Gall", "Da Silva", "de Villiers", "du Pont"]
HYPHEN_NAMES = ["Saint-Martin", "Le Goff-Durand", "Martin-Duval", "Saint-Exupéry"]


@dataclass
class Planted:
    """Planted entities, per-record overrides ``(eid, centre) -> fields``, and the truth."""

    entities: list[Entity] = field(default_factory=list)
    overrides: dict[tuple[str, str], dict] = field(default_factory=dict)
    cases: list[dict] = field(default_factory=list)

    def apply(self, rec: dict, eid: str, centre: str) -> None:
        """Write the planted variant into a new record (its e-mail then has no other defect)."""
        o = self.overrides.get((eid, centre))
        if not o:
            return
        rec.update(o)
        if "email" in o:
            rec["defects"] = [d for d in rec["defects"] if d["field"] != "email"]


def _ascii_local(first: str, last: str) -> str:
    from grc.demo.generator import _ascii

    return _ascii(f"{first}.{last}").lower().replace(" ", "").replace("'", "")


def _domain(org: str) -> str:
    from grc.demo.generator import _ascii

    return _ascii(org).lower().replace(" ", "-").replace("'", "")[:20].strip("-") + ".fr"


def _other_name(rng: np.random.Generator, fem: bool, avoid: str) -> str:
    """A first name of the given sex that no Jaro-Winkler reading takes for ``avoid``."""
    from grc.demo.generator import FIRST_F, FIRST_M

    pool = [f for f in (FIRST_F if fem else FIRST_M)
            if JaroWinkler.normalized_similarity(f.lower(), avoid.lower()) < 0.75]
    return str(rng.choice(pool))


def _other_last(rng: np.random.Generator, avoid: str) -> str:
    from grc.demo.generator import LAST

    pool = [n for n in LAST if JaroWinkler.normalized_similarity(n.lower(), avoid.lower()) < 0.75
            and " " not in n and "-" not in n]
    return str(rng.choice(pool))


def _base(gen: Generator, rng: np.random.Generator, n: int, segs: list[str],
          centres: pd.DataFrame) -> Entity:
    seg = str(rng.choice(segs))
    return gen._entity(rng, f"P{n:06d}", 900_000 + n, seg, centres)


def _mobile(rng: np.random.Generator, e: Entity, gen: Generator) -> str:
    from grc.demo.generator import _phone_national

    return _phone_national(rng, True, gen.communes.at[e.commune, "department"])


def _landline(rng: np.random.Generator, e: Entity, gen: Generator) -> str:
    from grc.demo.generator import _phone_national

    return _phone_national(rng, False, gen.communes.at[e.commune, "department"])


def _colleagues(gen, rng, n, centres) -> tuple[Entity, Entity]:
    a = _base(gen, rng, n, ["SCO-PRIM", "SCO-MAT", "SCO-COL", "SCO-LYC"], centres)
    a.phone = a.phone or _landline(rng, a, gen)
    a.email = f"{_ascii_local(a.first, a.last)}@{_domain(a.org)}"
    fem = bool(rng.random() < 0.6)
    first, last = _other_name(rng, fem, a.first), _other_last(rng, a.last)
    b = dataclasses.replace(
        a, eid=f"P{n + 1:06d}", first=first, last=last, civility="MME" if fem else "M",
        email=f"{_ascii_local(first, last)}@{_domain(a.org)}",
        mobile=_mobile(rng, a, gen) if rng.random() < 0.5 else None,
        position="Enseignante" if fem else "Enseignant",
        first_year=min(a.first_year + 1, gen.years[-1]), centres=list(a.centres), moves={})
    if rng.random() < 0.5:  # the school written another way ("Ecole Jules Ferry")
        b.org = _short_org(a.org)
    if rng.random() < 0.5:  # the new teacher books at another centre
        b.centres = [str(rng.choice(centres["code"]))]
    return a, b


def _short_org(org: str) -> str:
    """Another writing of a school's name: level word dropped, accents dropped, upper case."""
    from grc.demo.generator import _ascii

    if org.startswith("École élémentaire "):
        return "Ecole " + org[len("École élémentaire "):]
    return _ascii(org).upper()


def _household(gen, rng, n, centres) -> tuple[Entity, Entity]:
    from grc.demo.generator import EMAIL_DOMAINS

    a = _base(gen, rng, n, ["IND-FAM", "IND-ADU"], centres)
    a.phone = a.phone or _landline(rng, a, gen)
    a.mobile = a.mobile or _mobile(rng, a, gen)
    fem = bool(rng.random() < 0.5)  # spouses or siblings
    first = _other_name(rng, fem, a.first)
    b = dataclasses.replace(
        a, eid=f"P{n + 1:06d}", first=first, civility="MME" if fem else "M",
        mobile=_mobile(rng, a, gen),
        email=f"{_ascii_local(first, a.last)}{rng.integers(1, 99)}@{rng.choice(EMAIL_DOMAINS)}",
        centres=list(a.centres), moves={})
    return a, b


def _namesakes(gen, rng, n, centres) -> tuple[Entity, Entity]:
    a = _base(gen, rng, n, ["PRO-SEM", "PRO-INST"], centres)
    a.employees = int(rng.choice([700, 2000, 6000]))
    a.phone = a.phone or _landline(rng, a, gen)
    a.mobile = _mobile(rng, a, gen)
    a.position = "Responsable RH"
    a.email = f"{_ascii_local(a.first, a.last)}@{_domain(a.org)}"
    short = _ascii_local(a.first[0], a.last).replace(".", "")
    b = dataclasses.replace(a, eid=f"P{n + 1:06d}", position="Chargé de formation",
                            mobile=_mobile(rng, a, gen), email=f"{short}@{_domain(a.org)}",
                            centres=list(a.centres), moves={})
    return a, b


def _generic(gen, rng, n, centres) -> tuple[Entity, Entity]:
    a = _base(gen, rng, n, ["SCO-PRIM", "SCO-COL", "SCO-LYC"], centres)
    if rng.random() < 0.5:
        uai = f"{int(rng.integers(1, 96)):03d}{int(rng.integers(0, 10**4)):04d}"
        a.email = f"ce.{uai}{'abcdefghjk'[int(rng.integers(0, 10))]}@ac-{rng.choice(ACADEMIES)}.fr"
    else:
        a.email = f"{rng.choice(['contact', 'accueil', 'secretariat'])}@{_domain(a.org)}"
    a.phone = a.mobile = None
    fem = bool(rng.random() < 0.6)
    first, last = _other_name(rng, fem, a.first), _other_last(rng, a.last)
    b = dataclasses.replace(a, eid=f"P{n + 1:06d}", first=first, last=last,
                            civility="MME" if fem else "M", centres=list(a.centres), moves={})
    return a, b


def _same_person(gen, rng, n, centres, case: str) -> tuple[Entity, dict]:
    """A client of two centres and the fields the second centre wrote differently."""
    from grc.demo.generator import EMAIL_TYPOS, STREETS

    b2b = case in ("initial", "hyphen") and rng.random() < 0.5
    a = _base(gen, rng, n, ["SCO-PRIM", "SPO-CLUB"] if b2b else ["IND-FAM", "IND-ADU"], centres)
    codes = [c for c in centres["code"] if c != a.centres[0]]
    a.centres = [a.centres[0], str(rng.choice(codes))] if codes else list(a.centres[:1])
    a.mobile = a.mobile or _mobile(rng, a, gen)
    if case == "particle":
        a.last = str(rng.choice(PARTICLE_NAMES))
    if case == "hyphen":
        a.last = str(rng.choice(HYPHEN_NAMES))
    if case == "married":
        a.civility, a.first = "MME", _other_name(rng, True, "")
    if case == "email_typo":
        a.email = f"{_ascii_local(a.first, a.last)}{rng.integers(1, 99)}@" \
                  f"{rng.choice(sorted(EMAIL_TYPOS))}"
    local = _ascii_local(a.first, a.last)
    if a.email is None or a.email.split("@")[0].startswith("contact"):
        a.email = f"{local}{rng.integers(1, 99)}@orange.fr"
    first, last = a.first, a.last
    o: dict = {}
    if case == "initial":
        o["first"] = first[0] + "."
    elif case == "swap":
        o["first"], o["last"] = last, first
    elif case == "particle":
        o["last"] = last.split(" ", 1)[1] if last.split(" ")[0] in ("de", "du") else \
            last.replace(" ", "")
    elif case == "hyphen":
        o["last"] = last.replace("-", " ")
    elif case == "married":
        o["last"] = f"{_other_last(rng, last)}-{last}" if rng.random() < 0.5 else \
            f"{last}-{_other_last(rng, last)}"
    elif case == "moved":
        commune = int(rng.choice(gen.communes.index.to_numpy()))
        o["address"] = (f"{rng.integers(1, 120)} {rng.choice(STREETS)}", commune)
    elif case == "email_typo":
        user, dom = a.email.split("@")
        o["email"] = f"{user}@{EMAIL_TYPOS[dom]}"
    return a, o


def plant_cases(gen: Generator, centres: pd.DataFrame, per_case: int | None = None) -> Planted:
    """Plant ``per_case`` pairs of each case (default: one per 150 clients, at least 3)."""
    rng = np.random.default_rng([gen.seed, 21])
    per_case = max(3, gen.n_contacts // 150) if per_case is None else per_case
    out = Planted()
    n = 0
    makers = {"colleagues": _colleagues, "household": _household, "namesakes": _namesakes,
              "generic_email": _generic}
    for case in DIFFERENT:
        for _ in range(per_case):
            a, b = makers[case](gen, rng, n, centres)
            n += 2
            out.entities += [a, b]
            out.cases.append({"case": case, "same_person": False, "entity_a": a.eid,
                              "entity_b": b.eid})
    for case in SAME:
        for _ in range(per_case):
            a, o = _same_person(gen, rng, n, centres, case)
            n += 1
            out.entities.append(a)
            if len(a.centres) > 1:
                out.overrides[(a.eid, a.centres[1])] = o
            out.cases.append({"case": case, "same_person": True, "entity_a": a.eid,
                              "entity_b": a.eid})
    return out
