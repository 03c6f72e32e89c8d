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

from grc.course import workbook as W
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

SEED = 2026
REFERENCE_DATE = dt.date(2026, 3, 31)  # date of the extraction sent to Omnicom
OUT = Path(__file__).resolve().parent / "marielle_nature.xlsx"
SOLUTION = Path(__file__).resolve().parent / "marielle_nature_corrige.xlsx"

HEADER = W.RAW_COLUMNS

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
BAD_EMAIL = {14: "antoine.dubois@example", 37: "sebastien.blanc@"}
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
# Documentation domains (RFC 2606): no message can reach anyone
DOMAINS = ["example.com", "example.org", "example.net", "example.com", "example.org", "example.net"]
AREA = {"75": "01", "44": "02", "59": "03"}
# ARCEP blocks reserved for fiction (plan national de numérotation): no one can be called
FICTION_BLOCKS = {"01": "019900", "02": "026191", "03": "035301", "06": "063998", "07": "063998"}


def _months(last: dt.date, ref: dt.date) -> int:
    """Whole months completed between two dates (Excel's DATEDIF(...; "m"))."""
    m = (ref.year - last.year) * 12 + (ref.month - last.month)
    return m - 1 if ref.day < last.day else m


def _band(months: float) -> int:
    return 0 if months < 3 else (1 if months <= 12 else 2)


def _ascii(text: str) -> str:
    norm = unicodedata.normalize("NFKD", text)
    return "".join(c for c in norm if not unicodedata.combining(c)).lower()


def _fiction(digits: str) -> str:
    """The number moved into the ARCEP block reserved for fiction of its area (or mobiles)."""
    return FICTION_BLOCKS[digits[:2]] + digits[-4:]


def _phone_digits(rng: random.Random, kind: str, address: str) -> str:
    if kind == B:
        area = next((a for dep, a in AREA.items() if f" {dep}" in f" {address}"), "01")
        return _fiction(area + "".join(rng.choice("0123456789") for _ in range(8)))
    return _fiction(rng.choice(["06", "07"]) + "".join(rng.choice("0123456789") for _ in range(8)))


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
            email = f"contact@{_ascii(company).replace(' ', '').replace(chr(39), '')}.example.org"
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
        bloctel.append(_write_phone(rng, _fiction("06" + "".join(rng.choice("0123456789") for _ in range(8)))))
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


def _style_header(ws, widths: list[int]) -> None:
    head = PatternFill("solid", fgColor="D9EAD3")
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = head
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "B2"


README_LINES = [
    ["Base clients de Marielle Nature, transmise à Omnicom (cas d'entraînement BTS NDRC)"],
    ["Date d'extraction", REFERENCE_DATE],
    ["Données fictives", "personnes, entreprises et adresses inventées ; e-mails sur les domaines "
     "réservés à la documentation (example.com, example.org, example.net) ; téléphones dans les "
     "tranches que l'ARCEP réserve à la fiction (01 99 00, 02 61 91, 03 53 01, 06 39 98)."],
    ["Sources", "salons (bio, bien-être), cartes de fidélité des boutiques, site Internet"],
    ["Achats par an", "nombre moyen d'achats par an"],
    ["Panier moyen", "montant moyen d'un achat, en euros TTC"],
    [],
    ["Votre travail", ""],
    ["1. Restructurer", "Copiez les clients de la feuille « Clients » dans la feuille « Base », une "
     "information par colonne (ne modifiez pas la feuille « Clients »)."],
    ["2. Qualifier", "Mettez en rouge (couleur de remplissage) les cases incomplètes ; écrivez « Oui » "
     "dans la colonne « Doublon » de la fiche à supprimer."],
    ["3. Scorer", "Calculez la récence, les points R, F, M, le score et la catégorie avec des "
     "formules (grille de la feuille « Grille RFM »)."],
    ["4. Répondre", "Remplissez la colonne C de la feuille « Réponses », enregistrez, fermez le "
     "classeur et relancez le carnet."],
    ["Bloctel (extrait)", "numéros inscrits sur la liste d'opposition, écrits autrement que dans la "
     "base : comparez les chiffres, pas l'écriture."],
]

GRID_ROWS = [
    ["Critères", "Récence", "", "", "Fréquence", "", "", "Montant", "", ""],
    ["", "Nombre de mois depuis le dernier achat", "", "", "Nombre d'achats par an", "", "",
     "Panier moyen en €", "", ""],
    ["", "Strictement inférieur à 3 mois", "Entre 3 et 12 mois", "Strictement supérieur à 12 mois",
     "Plus de 4 achats", "Entre 1 et 4 achats", "Moins d'un achat", "Strictement supérieur à 100 €",
     "Entre 25 et 100 €", "Strictement inférieur à 25 €"],
    ["Points", 10, 5, 0, 20, 10, 0, 20, 10, 0],
    [],
    ["Très bons clients", "RFM > 40"],
    ["Bons clients", "RFM de 25 à 40"],
    ["Clients tièdes", "RFM de 1 à 24"],
    ["Clients inactifs", "RFM égal à 0"],
]


def build_workbook(seed: int = SEED) -> Workbook:
    """The student's workbook: instructions, raw clients, an empty « Base », Bloctel, grid, answers."""
    rows, bloctel = build_rows(seed)
    wb = Workbook()
    stamp = dt.datetime(2026, 3, 31, 9, 0, 0)
    wb.properties.creator = "Marielle Nature"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    info = wb.active
    info.title = W.SHEET_README
    for line in README_LINES:
        info.append(line)
    info["A1"].font = Font(bold=True)
    info["B2"].number_format = "DD/MM/YYYY"
    info.column_dimensions["A"].width = 20
    info.column_dimensions["B"].width = 110
    ws = wb.create_sheet(W.SHEET_RAW)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    _style_header(ws, [5, 14, 10, 22, 24, 18, 40, 18, 34, 22, 14, 14, 9, 12, 10])
    base = wb.create_sheet(W.SHEET_BASE)
    base.append(W.BASE_COLUMNS)
    _style_header(base, [5, 14, 9, 14, 13, 24, 18, 26, 11, 14, 17, 34, 22, 6, 12, 9, 10, 10, 9, 10,
                         9, 9, 9, 10, 18])
    wl = wb.create_sheet(W.SHEET_BLOCTEL)
    wl.append(["Numéros inscrits sur la liste d'opposition Bloctel (extrait)"])
    wl["A1"].font = Font(bold=True)
    for num in bloctel:
        wl.append([num])
    wl.column_dimensions["A"].width = 30
    grid = wb.create_sheet(W.SHEET_GRID)
    for line in GRID_ROWS:
        grid.append(line)
    for i in range(1, 11):
        grid.column_dimensions[get_column_letter(i)].width = 18
    answers = wb.create_sheet(W.SHEET_ANSWERS)
    answers.append(W.ANSWER_HEADER)
    for key, question in W.ANSWER_ROWS:
        answers.append([key, question, None])
    _style_header(answers, [8, 90, 30])
    return wb


def save(wb: Workbook, path: Path) -> Path:
    """Save with fixed zip timestamps (the same bytes on every run)."""
    buf = io.BytesIO()
    wb.save(buf)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_fixed_zip(buf.getvalue()))
    return path


def write(path: Path = OUT, seed: int = SEED) -> Path:
    """Write the student's workbook to ``path`` and return it."""
    return save(build_workbook(seed), path)


# --------------------------------------------------------------------------------------------
# The trainer's corrected workbook, filled as a student would in the spreadsheet
# --------------------------------------------------------------------------------------------

RED = PatternFill("solid", fgColor="FFC7CE")
PRIVATE_SALE = "1; 4; 7; 12; 17; 22; 25; 30; 36; 39"  # the very good clients (RFM > 40)
# the incomplete cells, as the trainer circles them in red (see README: 21 cells)
RED_CELLS = [(3, "Code postal"), (5, "E-mail"), (9, "Adresse"), (9, "Code postal"), (9, "Ville"),
             (10, "E-mail"), (13, "Téléphone"), (14, "E-mail"), (16, "Adresse"), (19, "Civilité"),
             (20, "E-mail"), (20, "Âge"), (24, "Téléphone"), (26, "E-mail"), (28, "Téléphone"),
             (28, "Âge"), (31, "Code postal"), (34, "Prénom"), (34, "Âge"), (37, "E-mail"),
             (40, "E-mail")]
AGE_FORMULA = "=DATEDIF({cell},'Lisez-moi'!$B$2,\"y\")"
RFM_FORMULAS = {
    "Récence (mois)": "=DATEDIF(O{r},'Lisez-moi'!$B$2,\"m\")",
    "Points R": "=IF(T{r}<3,10,IF(T{r}<=12,5,0))",
    "Points F": "=IF(P{r}>4,20,IF(P{r}>=1,10,0))",
    "Points M": "=IF(Q{r}>100,20,IF(Q{r}>=25,10,0))",
    "Score RFM": "=U{r}+V{r}+W{r}",
    "Catégorie": "=IF(X{r}>40,\"Très bons clients\",IF(X{r}>=25,\"Bons clients\","
                 "IF(X{r}>=1,\"Clients tièdes\",\"Clients inactifs\")))",
}
CIVILITY = {"madame": "Mme", "mme": "Mme", "mlle": "Mme", "m.": "M.", "m": "M.", "mr": "M.",
            "monsieur": "M."}


def _split_name(cell: str) -> tuple[str, str]:
    words = cell.split()
    upper = [w for w in words if w.isupper() and sum(c.isalpha() for c in w) > 1]
    if not upper:
        return words[0].upper(), " ".join(words[1:])
    return " ".join(upper), " ".join(w for w in words if w not in upper)


def _split_address(cell: str) -> tuple[str, str, str]:
    m = re.search(r"(?<!\d)(\d{5})(?!\d)\s*(.*)$", cell)
    if m:
        city = m.group(2).strip(" ,-")
        return cell[: m.start()].strip(" ,-"), m.group(1), city.title() if city.isupper() else city
    if "," in cell:
        street, city = cell.rsplit(",", 1)
        return street.strip(), "", city.strip()
    return cell, "", ""


def _age(value: object, row: int) -> object:
    if isinstance(value, dt.date):
        return AGE_FORMULA.format(cell=f"Clients!K{row}")
    if isinstance(value, str) and value.strip():
        digits = re.sub(r"\D", "", value)
        return int(digits) if len(value) <= 7 else AGE_FORMULA.format(cell=f"Clients!K{row}")
    return value if value != "" else None


def _phone(value: object) -> str:
    digits = re.sub(r"\D", "", str(value or ""))
    if digits.startswith("33") and len(digits) == 11:
        digits = "0" + digits[2:]
    if len(digits) == 9:
        digits = "0" + digits
    return " ".join(digits[i:i + 2] for i in range(0, len(digits), 2))


def solution_rows(seed: int = SEED) -> list[list[object]]:
    """The sheet « Base » as the trainer fills it (values, formulas), without colours."""
    rows, _ = build_rows(seed)
    out = []
    for excel_row, raw in enumerate(rows[1:], 2):
        (n, kind, civ, name, company, activity, address, phone, email, source, age, last, freq,
         basket, calls) = raw
        last_name, first = _split_name(name)
        street, postcode, city = _split_address(address) if address else ("", "", "")
        values = [n, kind, CIVILITY.get(str(civ).lower(), civ) or None, last_name, first or None,
                  company or None, activity or None, street or None, postcode or None, city or None,
                  _phone(phone) or None, email or None, source, _age(age, excel_row), last, freq,
                  float(str(basket).replace(" €", "").replace(",", ".")), calls or None,
                  "Oui" if n in DUPLICATE_OF else None]
        if n not in DUPLICATE_OF:  # the record to delete is not scored
            values += [f.format(r=excel_row) for f in RFM_FORMULAS.values()]
        out.append(values)
    return out


def write_solution(path: Path, seed: int = SEED) -> Path:
    """The corrected workbook: « Base » filled, incomplete cells in red, the answers sheet."""
    wb = build_workbook(seed)
    base = wb[W.SHEET_BASE]
    for values in solution_rows(seed):
        base.append(values)
    cols = {name: i for i, name in enumerate(W.BASE_COLUMNS, 1)}
    for row in base.iter_rows(min_row=2):
        row[cols["Date du dernier achat"] - 1].number_format = "DD/MM/YYYY"
    for n, col in RED_CELLS:  # rows are in N° order, under the header
        base.cell(row=n + 1, column=cols[col]).fill = RED
    red = len(RED_CELLS)
    answers = wb[W.SHEET_ANSWERS]
    formulas = {
        "R1": red,
        "R2": "=COUNTIFS(Base!B:B,\"Particulier\",Base!C:C,\"M.\")",
        "R3": "=COUNTIF(Base!Y:Y,\"Très bons clients\")",
        "R4": "=COUNTIF(Base!Y:Y,\"Bons clients\")",
        "R5": "=COUNTIF(Base!Y:Y,\"Clients tièdes\")",
        "R6": "=COUNTIF(Base!Y:Y,\"Clients inactifs\")",
        "R7": PRIVATE_SALE,
        "R8": 3,  # N° 2, 6, 17: on the extract, private, no agreement to be called
    }
    for row in answers.iter_rows(min_row=2):
        key = row[0].value
        if key in formulas:
            row[2].value = formulas[key]
    return save(wb, path)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    print(f"Écrit : {write(target)}")
    print(f"Écrit : {write_solution(target.with_name(SOLUTION.name))}")
