"""A business case as an Excel workbook laid out like a municipal business case (openpyxl).

Sheets: ``Forudsætninger`` (every assumption with its value and source: the
parameter and its dataset version, the baseline risk, the price with its
publisher, address, location and quoted figure, the discount rate with the
Ministry of Finance's note, the Monte Carlo settings), ``År`` (per year and
payer: events avoided, savings, cost, net result, discount factor, present
value, each with its 95 % interval) and ``Resultat`` (totals and the
probability of a gain). Headers are Danish with the English after a slash.
Written from the dict :func:`evidence.services.business_case.calculate`
returns, so the workbook and the API agree to the last digit.
"""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

BOLD = Font(bold=True)
PAYER = {"kommune": "kommune / municipality", "region": "region / region", "stat": "stat / state",
         "total": "i alt / total"}


def to_xlsx(case: dict, page_url: str | None = None) -> bytes:
    wb = Workbook()
    _assumptions(wb.active, case, page_url)
    _years(wb.create_sheet("År"), case)
    _totals(wb.create_sheet("Resultat"), case)
    wb.properties.creator = "evidence"
    wb.properties.title = f"Business case: {case['parameter']['id']}"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _rows(ws, rows, widths) -> None:
    for row in rows:
        ws.append(list(row))
    for letter, width in zip("ABCDEFGH", widths):
        ws.column_dimensions[letter].width = width


def _assumptions(ws, case: dict, page_url: str | None) -> None:
    ws.title = "Forudsætninger"
    p, a, price, mc = case["parameter"], case["assumptions"], case["price"], case["monte_carlo"]
    disc = a["discount_rate_source"]
    rows = [
        ("Forudsætning / assumption", "Værdi / value", "Kilde / source"),
        ("Parameter", p["id"], f"evidence, datasæt / dataset {case['dataset_version']}"),
        ("Indsats / intervention", p["intervention_label_da"] or p["intervention"], p["intervention_label_en"]),
        ("Udfald / outcome", p["outcome_label_da"] or p["outcome"], p["outcome_label_en"]),
        ("Målgruppe / target group", p["target_group_label_da"] or p["target_group"], p["target_group_label_en"]),
        ("Opfølgning / follow-up", p["followup_label_da"] or p["followup"], p["followup_label_en"]),
        ("Effektmål / measure", p["measure"], f"{p['k']} studier / studies, random effects (REML)"),
        ("Studier / studies", "; ".join(p["studies"] or []), "id'er i evidence / ids in evidence (/studies/<id>)"),
        ("Estimat (analyseskala) / estimate (analysis scale)", p["estimate"],
         "eget estimat / own estimate" if a["own_effect"] else "samlet estimat / pooled estimate"),
        ("Standardfejl / standard error", p["se"], None),
        ("tau²", p["tau2"], "bruges ved interval=pi / used with interval=pi"),
        ("Frihedsgrader / degrees of freedom", p["df"], None),
        ("Basisrisiko / baseline risk", a["baseline_risk"], a["baseline_risk_source"]),
        ("SØM-succesrate (procentpoint) / success rate (pp)", case["success_rate_pp"]["estimate"],
         "ændring i andelen med det gode resultat ved basisrisikoen / change in the share with the good result"),
        ("Deltagere / participants", a["participants"], "brugerens valg / user's choice"),
        ("Tidshorisont (år) / horizon (years)", a["horizon"], "brugerens valg / user's choice"),
        ("Effektens varighed (år) / effect duration (years)", a["duration"], "brugerens valg / user's choice"),
        ("Årlig aftagning / yearly fade", a["fade"], "brugerens valg / user's choice"),
        ("Omkostning pr. deltager (kr.) / cost per participant", a["cost"], "brugerens valg / user's choice"),
        ("Omkostningen falder i år / cost falls in year", a["cost_year"], f"betales af / paid by {a['cost_payer']}"),
        ("Diskonteringsrente / discount rate", a["discount_rate"],
         f"{disc['publisher']}: {disc['title']}, {disc['location']}: “{disc['quote']}”. {disc['url']}"),
    ]
    if price:
        source = price["source"]
        cited = (f"{source['publisher']}: {source['title']}, {source['location']}: “{source['quote']}”. "
                 f"{source['url']}") if source else "brugerens egen pris / the user's own price"
        rows += [
            ("Pris / price", price["label_da"], price["label_en"]),
            ("Beløb (kr.) / amount (DKK)", price["amount"], cited),
            ("Enhed / unit", price["unit"], None),
            ("Prisår / price year", price["price_year"], "ikke fremskrevet / not uprated"),
            ("Enheder pr. undgået hændelse / units per avoided event", price["quantity"],
             "brugerens valg / user's choice"),
            ("Pris pr. undgået hændelse (kr.) / price per avoided event", price["per_event"], "beløb × enheder"),
            ("Betaler / payer", ", ".join(f"{k} {v:.0%}" for k, v in price["payer"].items()), None),
        ]
        if price.get("notes_da"):
            rows.append(("Note", price["notes_da"], price.get("notes_en")))
    else:
        rows.append(("Pris / price", "ingen / none", "uden pris ingen besparelser / no price, no savings"))
    rows += [
        ("Usikkerhed / uncertainty", f"Monte Carlo, {mc['draws']} træk / draws, frø / seed {mc['seed']}",
         f"interval={mc['interval']}: {mc['distribution']}, skala / scale {mc['scale']:.6g}"),
        ("Side / page", page_url, None),
    ]
    _rows(ws, rows, (52, 40, 110))
    for cell in ws[1]:
        cell.font = BOLD
    for row in ws.iter_rows(min_row=2):
        row[0].font = BOLD
        row[2].alignment = Alignment(wrap_text=True, vertical="top")


def _years(ws, case: dict) -> None:
    payers = [*case["payers"], "total"]
    saving_payers = list(case["totals"]["savings"])
    head = ["År / year", "Effektandel / effect weight", "Diskonteringsfaktor / discount factor",
            "Undgåede hændelser / events avoided", "nedre / low", "øvre / high"]
    for payer in saving_payers:
        head += [f"Besparelse {PAYER[payer]} (kr.)", "nedre / low", "øvre / high"]
    head.append("Omkostning / cost (kr.)")
    for payer in payers:
        head += [f"Netto {PAYER[payer]} (kr.)", "nedre / low", "øvre / high", f"Nutidsværdi netto {PAYER[payer]}"]
    ws.append(head)
    for row in case["years"]:
        cells = [row["year"], row["effect_weight"], row["discount_factor"], *_stat(row["events_avoided"])]
        for payer in saving_payers:
            cells += _stat(row["savings"][payer])
        cells.append(row["cost"])
        for payer in payers:
            cells += [*_stat(row["net"][payer]), row["net"][payer]["estimate"] * row["discount_factor"]]
        ws.append(cells)
    for cell in ws[1]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    for i in range(1, len(head) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 16


def _stat(s: dict) -> list:
    return [s["estimate"], s["low"], s["high"]]


def _totals(ws, case: dict) -> None:
    t = case["totals"]
    ws.append(["Resultat / result", "Estimat / estimate", "Gennemsnit (MC) / mean", "nedre 95 % / low",
               "øvre 95 % / high", "P(netto > 0) / P(net > 0)"])
    ws.append(["Undgåede hændelser / events avoided", *_mc(t["events_avoided"])])
    for payer, stat in t["savings"].items():
        ws.append([f"Besparelse / savings, {PAYER[payer]}", *_mc(stat)])
    ws.append(["Omkostning / cost", t["cost"]])
    for payer, stat in t["net"].items():
        ws.append([f"Netto (udiskonteret) / net (undiscounted), {PAYER[payer]}", *_mc(stat)])
    for payer, stat in t["present_value"].items():
        ws.append([f"Nutidsværdi netto / net present value, {PAYER[payer]}", *_mc(stat),
                   t["probability_net_positive"][payer]])
    for cell in ws[1]:
        cell.font = BOLD
    ws.column_dimensions["A"].width = 58
    for letter in "BCDEF":
        ws.column_dimensions[letter].width = 18


def _mc(s: dict) -> list:
    return [s["estimate"], s["mean"], s["low"], s["high"]]
