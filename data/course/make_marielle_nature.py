"""Write ``marielle_nature.xlsx``: the deliberately messy client base of the course exercise.

The base is the one a small firm keeps by hand (BTS NDRC chapter, Annexe 5): name and first
name in one cell, the whole address in one cell, phone numbers in mixed writings (some typed
as numbers, so Excel dropped the leading 0), missing values, one duplicate ("Mme É. Durand" /
"Madame Élise Durand"), private and professional customers mixed, age or birth date, average
basket sometimes typed as text. A second sheet holds an extract of the Bloctel list.

Identities are written out below; phone digits, writings, e-mail domains and purchase data
come from a seeded generator, so the file is the same on every run (byte for byte: the zip
entries get a fixed timestamp). Run: ``python data/course/make_marielle_nature.py [OUT]``.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import sys
import unicodedata
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

SEED = 2026
REFERENCE_DATE = dt.date(2026, 3, 31)  # date of the extraction sent to Omnicom
OUT = Path(__file__).resolve().parent / "marielle_nature.xlsx"

HEADER = [
    "N°", "Type de client", "Civilité", "Nom Prénom", "Entreprise", "Activité", "Adresse",
    "Téléphone", "E-mail", "Source", "Âge ou date de naissance", "Date du dernier achat",
    "Achats par an", "Panier moyen", "Accepte les appels",
]

P, B = "Particulier", "Professionnel"
SALON_PARIS, SALON_NANTES, SALON_LILLE = "Salon bio Paris", "Salon bien-être Nantes", "Salon bien-être Lille"
CARTE, WEB = "Carte de fidélité", "Site Internet"

# type, civility, "NOM Prénom", company, activity, address, source, age or birth date,
# accepts calls, purchase profile
ROWS: list[tuple] = [
    (P, "Madame", "DURAND Élise", "", "", "14 rue de Rivoli 75004 Paris", CARTE, "42 ans", "Oui", "top"),
    (P, "M.", "PETIT Thomas", "", "", "8, boulevard Voltaire - 75011 PARIS", WEB, dt.date(1988, 5, 14), "Non", "regular"),
    (P, "Mme", "LEROY Camille", "", "", "25 rue Crébillon, Nantes", SALON_NANTES, 29, "", "occasional"),
    (B, "Mme", "BERNARD Laura", "Coiff'Hair", "Salon de coiffure", "3 place Rihour 59000 Lille", SALON_LILLE, "", "Oui", "top_pro"),
    (P, "Monsieur", "ROBERT Nicolas", "", "", "17 rue de la Paix 44000 Nantes", CARTE, "51 ans", "", "lost"),
    (P, "Mme", "MOREAU Sophie", "", "", "6 rue Nationale 59000 LILLE", CARTE, "12/03/1978", "Non", "regular"),
    (P, "Mr", "LE GOFF Yann", "", "", "2 quai de la Fosse 44000 Nantes", SALON_NANTES, 35, "Oui", "top"),
    (B, "M.", "GAUTHIER Romain", "L'Atelier du Barbier", "Salon de coiffure", "41 rue Oberkampf 75011 Paris", WEB, "", "Oui", "regular_pro"),
    (P, "Mme", "FOURNIER Julie", "", "", "", WEB, "24 ans", "", "occasional"),
    (P, "M.", "MARTIN Jean-Pierre", "", "", "5 avenue Foch 59800 Lille", CARTE, "67 ans", "Non", "lost"),
    (P, "Mlle", "GIRARD Nathalie", "", "", "30 rue Saint-Dominique 75007 Paris", SALON_PARIS, dt.date(1990, 11, 2), "Oui", "regular"),
    (B, "Mme", "PERRIN Céline", "Institut Belle Nature", "Institut de beauté", "12 rue du Calvaire 44000 Nantes", SALON_NANTES, "", "Oui", "top_pro"),
    (P, "Mme", "BONNET Claire", "", "", "9 rue Esquermoise 59000 Lille", CARTE, "38 ans", "Non", "regular"),
    (P, "M", "DUBOIS Antoine", "", "", "22 rue Oberkampf 75011 Paris", WEB, 41, "Oui", "occasional"),
    (B, "M.", "ROUX Pierre", "Parapharmacie du Centre", "Parapharmacie", "1 place Royale 44000 Nantes", SALON_NANTES, "", "Non", "regular_pro"),
    (P, "Mme", "LAMBERT Manon", "", "", "44300 Nantes", WEB, "27 ans", "", "occasional"),
    (P, "Monsieur", "BENALI Karim", "", "", "7 rue Faidherbe 59000 Lille", CARTE, "45 ans", "", "top"),
    (P, "Madame", "FONTAINE Inès", "", "", "18 rue des Martyrs 75009 Paris", SALON_PARIS, "33 ans", "Oui", "regular"),
    (P, "", "ROUSSEL Chloé", "", "", "4 rue Paul Bellamy 44000 Nantes", WEB, 22, "", "occasional"),
    (P, "M.", "LEFEBVRE Hugo", "", "", "11 rue de Béthune 59000 Lille", SALON_LILLE, "", "Non", "lost"),
    (B, "Mme", "LEMAIRE Hélène", "Éclat de Beauté", "Institut de beauté", "27 rue de Charonne 75011 Paris", WEB, "", "", "occasional_pro"),
    (P, "Mme", "VINCENT Anne-Sophie", "", "", "3 allée Brancas 44000 Nantes", CARTE, dt.date(1985, 7, 21), "Oui", "top"),
    (P, "M.", "GARNIER Maxime", "", "", "15 rue Gambetta 59800 Lille", CARTE, "30 ans", "Non", "regular"),
    (P, "Mme", "MULLER Léa", "", "", "60 rue de Turenne 75003 Paris", SALON_PARIS, "19 ans", "", "lost"),
    (B, "Mme", "COLIN Agnès", "Parapharmacie des Halles", "Parapharmacie", "2 rue des Halles 75001 Paris", SALON_PARIS, "", "Oui", "top_pro"),
    (P, "Mme", "FAURE Isabelle", "", "", "21 rue Jean Jaurès 59100 Roubaix", SALON_LILLE, "56 ans", "Non", "occasional"),
    (P, "Monsieur", "CHEVALIER Olivier", "", "", "10 rue Kervégan 44000 Nantes", CARTE, "48 ans", "Oui", "regular"),
    (P, "Mme", "LE GALL Marie", "", "", "33 boulevard Guist'hau 44000 Nantes", WEB, "", "Non", "occasional"),
    (B, "M.", "MARCHAND Éric", "Studio Coiffure 44", "Salon de coiffure", "5 rue de la Barre 44800 Saint-Herblain", SALON_NANTES, "", "", "regular_pro"),
    (P, "Mme", "ANDRÉ Sandrine", "", "", "47 rue Saint-Antoine 75004 Paris", CARTE, "44 ans", "Oui", "top"),
    (P, "M.", "RICHARD Julien", "", "", "9 rue Léon Gambetta, Lille", WEB, "26 ans", "", "occasional"),
    (P, "Mme", "MERCIER Aurélie", "", "", "16 rue du Commerce 75015 Paris", CARTE, 39, "Non", "lost"),
    (B, "Mme", "BRUN Karine", "Esthétique Zen", "Institut de beauté", "8 rue Nationale 59000 Lille", WEB, "", "Oui", "occasional_pro"),
    (P, "Mme", "Durand É.", "", "", "14, rue de Rivoli 75004 PARIS", SALON_PARIS, "", "", "occasional"),
    (P, "M.", "NGUYEN Minh", "", "", "72 avenue de la République 75011 Paris", WEB, "31 ans", "Oui", "regular"),
    (P, "Mme", "ROCHE Émilie", "", "", "5 rue Crébillon 44000 Nantes", CARTE, "53 ans", "Non", "top"),
    (P, "M.", "BLANC Sébastien", "", "", "19 rue de Paris 59800 Lille", SALON_LILLE, "36 ans", "", "occasional"),
    (P, "Mme", "GUERIN Pauline", "", "", "90 rue de Rennes 75006 Paris", WEB, dt.date(1996, 2, 29), "Oui", "regular"),
    (B, "Mme", "HENRY Sylvie", "Coiffure Sylvie", "Salon de coiffure", "14 rue d'Orléans 44000 Nantes", SALON_NANTES, "", "Non", "top_pro"),
    (P, "M.", "MOREL Bastien", "", "", "3 rue Lepelletier 59800 Lille", CARTE, "58 ans", "Non", "lost"),
]

# Deliberate defects, by row number (N°)
NO_EMAIL = {5, 10, 20, 26, 40}
BAD_EMAIL = {14: "antoine.dubois@gmail", 37: "sebastien.blanc@"}
NO_PHONE = {24, 28}
SHORT_PHONE = {13}  # 8 digits only
PHONE_AS_NUMBER = {6, 18, 30}  # typed as a number: Excel drops the leading 0
BASKET_AS_TEXT = {2, 11, 27}  # "45,50 €"
# Values set on the bounds of the Annexe 8 grid (bounds are included in the middle band)
FORCED = {13: {"frequency": 4}, 23: {"basket": 100.0}, 27: {"basket": 25.0},
          35: {"frequency": 1, "basket": 120.0}, 11: {"basket": 100.0}}
DUPLICATE_OF = {34: 1}  # same person: same phone (written differently) and e-mail
# Bloctel extract: these rows' numbers (written differently) plus two numbers not in the base
ON_BLOCTEL = [2, 6, 7, 15, 17, 22]

PROFILES = {
    # recency in days, purchases per year, average basket in euros
    "top": ((5, 85), [5, 6, 8, 10, 12], (101, 180)),
    "regular": ((20, 330), [1, 2, 3, 4], (25, 100)),
    "occasional": ((100, 540), [0.5, 1, 2], (12, 60)),
    "lost": ((400, 900), [0.5], (8, 24)),
    "top_pro": ((5, 60), [12, 18, 24], (150, 420)),
    "regular_pro": ((20, 200), [3, 4, 6], (60, 100)),
    "occasional_pro": ((120, 420), [1, 2], (40, 90)),
}
DOMAINS = ["gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr"]
AREA = {"75": "01", "44": "02", "59": "03"}


def _months(last: dt.date, ref: dt.date) -> int:
    """Whole months completed between two dates (Excel's DATEDIF(...; "m"))."""
    m = (ref.year - last.year) * 12 + (ref.month - last.month)
    return m - 1 if ref.day < last.day else m


def _band(months: float) -> int:
    return 0 if months < 3 else (1 if months <= 12 else 2)


def _ascii(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if not unicodedata.combining(c)).lower()


def _phone_digits(rng: random.Random, kind: str, address: str) -> str:
    if kind == B:
        area = next((a for dep, a in AREA.items() if f" {dep}" in f" {address}"), "01")
        return area + "".join(rng.choice("0123456789") for _ in range(8))
    return rng.choice(["06", "07"]) + "".join(rng.choice("0123456789") for _ in range(8))


def _write_phone(rng: random.Random, digits: str) -> str:
    pairs = [digits[i:i + 2] for i in range(0, 10, 2)]
    style = rng.randrange(5)
    if style == 0:
        return " ".join(pairs)
    if style == 1:
        return digits
    if style == 2:
        return ".".join(pairs)
    if style == 3:
        return "+33 " + digits[1] + " " + " ".join(pairs[1:])
    return "-".join(pairs)


def _purchases(rng: random.Random, profile: str, ref: dt.date) -> tuple[dt.date, float, float]:
    (d0, d1), freqs, (b0, b1) = PROFILES[profile]
    while True:  # avoid dates where whole months and days / 30.4375 fall in different bands
        last = ref - dt.timedelta(days=rng.randint(d0, d1))
        if _band(_months(last, ref)) == _band((ref - last).days / 30.4375):
            break
    return last, rng.choice(freqs), round(rng.uniform(b0, b1), 2)


def build_rows(seed: int = SEED, ref: dt.date = REFERENCE_DATE) -> tuple[list[list], list[str]]:
    """The client sheet (header first) and the Bloctel extract, from the seed."""
    rng = random.Random(seed)
    out: list[list] = [list(HEADER)]
    bloctel: list[str] = []
    seen: dict[int, tuple[str, str]] = {}
    for n, (kind, civ, name, company, activity, address, source, age, calls, profile) in enumerate(ROWS, 1):
        digits = _phone_digits(rng, kind, address)
        phone: object = _write_phone(rng, digits)
        if n in NO_PHONE:
            phone = ""
        elif n in SHORT_PHONE:
            phone = " ".join(digits[i:i + 2] for i in range(0, 8, 2))
        elif n in PHONE_AS_NUMBER:
            phone = int(digits)
        if n in ON_BLOCTEL:
            bloctel.append(_write_phone(rng, digits))
        words = name.split()
        last_name = " ".join(w for w in words if w.isupper() and sum(c.isalpha() for c in w) > 1)
        first = " ".join(w for w in words if not (w.isupper() and sum(c.isalpha() for c in w) > 1))
        if kind == B:
            email = f"contact@{_ascii(company).replace(' ', '').replace(chr(39), '')}.fr"
        else:
            email = f"{_ascii(first)}.{_ascii(last_name).replace(' ', '')}@{rng.choice(DOMAINS)}"
        if n in DUPLICATE_OF:
            digits, email = seen[DUPLICATE_OF[n]]
            phone = _write_phone(rng, digits)
        seen[n] = (digits, email)
        email = "" if n in NO_EMAIL else BAD_EMAIL.get(n, email)
        last, freq, basket = _purchases(rng, profile, ref)
        freq = FORCED.get(n, {}).get("frequency", freq)
        basket = FORCED.get(n, {}).get("basket", basket)
        basket_cell: object = basket
        if n in BASKET_AS_TEXT:
            basket_cell = f"{basket:.2f} €".replace(".", ",")
        out.append([n, kind, civ, name, company, activity, address, phone, email, source, age,
                    last, freq, basket_cell, calls])
    for _ in range(2):
        bloctel.append(_write_phone(rng, "06" + "".join(rng.choice("0123456789") for _ in range(8))))
    rng.shuffle(bloctel)
    return out, bloctel


def _fixed_zip(data: bytes) -> bytes:
    """Rewrite the xlsx zip with a fixed timestamp on every entry (byte-stable output)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 3, 31, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-03-31T09:00:00Z", data)
            dst.writestr(fixed, data)
    return buf.getvalue()


def write(path: Path = OUT, seed: int = SEED) -> Path:
    """Write the workbook to ``path`` and return it."""
    rows, bloctel = build_rows(seed)
    wb = Workbook()
    stamp = dt.datetime(2026, 3, 31, 9, 0, 0)
    wb.properties.creator = "Marielle Nature"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    ws = wb.active
    ws.title = "Clients"
    for r in rows:
        ws.append(r)
    head = PatternFill("solid", fgColor="D9EAD3")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = head
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    widths = [5, 14, 10, 22, 24, 18, 40, 18, 32, 22, 14, 14, 9, 12, 10]
    for i, w in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = w
    wl = wb.create_sheet("Bloctel (extrait)")
    wl.append(["Numéros inscrits sur la liste d'opposition Bloctel (extrait)"])
    wl["A1"].font = Font(bold=True)
    for num in bloctel:
        wl.append([num])
    wl.column_dimensions["A"].width = 30
    info = wb.create_sheet("Lisez-moi")
    for line in [
        ["Base clients de Marielle Nature, transmise à Omnicom"],
        ["Date d'extraction", REFERENCE_DATE],
        ["Sources", "salons (bio, bien-être), cartes de fidélité des boutiques, site Internet"],
        ["Achats par an", "nombre moyen d'achats par an"],
        ["Panier moyen", "montant moyen d'un achat, en euros TTC"],
    ]:
        info.append(line)
    info["B2"].number_format = "DD/MM/YYYY"
    info.column_dimensions["A"].width = 20
    info.column_dimensions["B"].width = 70
    buf = io.BytesIO()
    wb.save(buf)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buf.getvalue()))
    return path


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    print(f"Écrit : {write(target)}")
