"""Every column of the parameters export: its type and what it means, in English and Danish.

The CSV and the XLSX have exactly these columns in this order (the JSON has
the same fields plus per-study ``rows``, ``study_effects``, ``small_study_test`` and
``sensitivity``); the XLSX's
column sheet and docs/api.md are written from this table, and a test checks it
against the JSON Schema in ``schemas/evidence-parameters-1.schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..services.parameters import FIELDS


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string | number | integer | boolean | list (ids, joined with ";") | text-list (joined with " | ")
    nullable: bool
    en: str
    da: str


_ANALYSIS = "on the analysis scale (log for RR/OR/ROM), as metafor reports it"
_ANALYSE = "på analyseskalaen (log for RR/OR/ROM), som metafor angiver den"

_TABLE = [
    ("id", "string", False, "Parameter id: intervention.target_group.outcome.comparison.followup.measure",
     "Parameterens id: indsats.målgruppe.udfald.sammenligning.opfølgning.effektmål"),
    ("intervention", "string", False, "Intervention (slug)", "Indsats (slug)"),
    ("target_group", "string", False, "Target group (slug); a parent group pools its sub-groups",
     "Målgruppe (slug); en overordnet gruppe samler sine undergrupper"),
    ("outcome", "string", False, "Outcome (slug)", "Udfald (slug)"),
    ("comparison", "string", True, "What the intervention is compared with (slug); empty if any comparison",
     "Hvad indsatsen sammenlignes med (slug); tom hvis enhver sammenligning"),
    ("followup", "string", False, "Follow-up window: 0-12m, 13-36m, 37m-plus or not-stated",
     "Opfølgningsvindue: 0-12m, 13-36m, 37m-plus eller not-stated"),
    ("measure", "string", False, "Effect measure: RR, OR, RD, MD, SMD, ROM, GEN or PR",
     "Effektmål: RR, OR, RD, MD, SMD, ROM, GEN eller PR"),
    ("scale", "string", False, "Analysis scale: log (RR, OR, ROM) or identity",
     "Analyseskala: log (RR, OR, ROM) eller identity"),
    ("estimate", "number", False, f"Pooled effect {_ANALYSIS}", f"Samlet effekt {_ANALYSE}"),
    ("se", "number", False, "Standard error of the estimate", "Standardfejl på estimatet"),
    ("ci_low", "number", False, "Lower bound of the 95% confidence interval (analysis scale)",
     "Nedre grænse for 95 %-konfidensintervallet (analyseskala)"),
    ("ci_high", "number", False, "Upper bound of the 95% confidence interval (analysis scale)",
     "Øvre grænse for 95 %-konfidensintervallet (analyseskala)"),
    ("pi_low", "number", True, "Lower bound of the 95% prediction interval: where a new setting's effect may lie",
     "Nedre grænse for 95 %-prædiktionsintervallet: hvor effekten i en ny sammenhæng kan ligge"),
    ("pi_high", "number", True, "Upper bound of the 95% prediction interval",
     "Øvre grænse for 95 %-prædiktionsintervallet"),
    ("pval", "number", False, "Two-sided p-value of the estimate", "Tosidet p-værdi for estimatet"),
    ("tau2", "number", True, "Between-study variance tau²", "Variansen mellem studier, tau²"),
    ("i2", "number", True, "I²: share of the variation due to heterogeneity (%)",
     "I²: andel af variationen, der skyldes heterogenitet (%)"),
    ("q", "number", True, "Cochran's Q test statistic for heterogeneity",
     "Cochrans Q-teststørrelse for heterogenitet"),
    ("q_pval", "number", True, "p-value of Cochran's Q", "p-værdi for Cochrans Q"),
    ("k", "integer", False, "Number of studies pooled", "Antal studier i den samlede analyse"),
    ("n_participants", "integer", True, "Participants in the pooled studies (where reported)",
     "Deltagere i de samlede studier (hvor det er oplyst)"),
    ("evidence_level", "integer", False, "Evidence level on the Maryland Scale, 1 (best: RCTs, reviews) to 3",
     "Evidensniveau på Maryland-skalaen, 1 (bedst: RCT'er, reviews) til 3"),
    ("strength", "integer", False, "Strength of evidence, 0 to 5 padlocks (see strength_reasons)",
     "Evidensstyrke, 0 til 5 hængelåse (se strength_reasons)"),
    ("control_risk", "number", True, "Risk of the outcome without the intervention (0-1), binary outcomes",
     "Risiko for udfaldet uden indsatsen (0-1), binære udfald"),
    ("treated_risk", "number", True, "Risk of the outcome with the intervention (0-1), at control_risk",
     "Risiko for udfaldet med indsatsen (0-1), ved control_risk"),
    ("risk_difference_pp", "number", True, "Change in risk in percentage points (treated minus control)",
     "Ændring i risiko i procentpoint (med indsats minus uden)"),
    ("studies", "list", False, "Ids of the pooled studies", "Id'er på de samlede studier"),
    ("model", "string", False,
     "rma (one effect per study: metafor rma) or che-rve (several effects in a study: correlated and "
     "hierarchical effects model with cluster-robust CR2 inference)",
     "rma (én effekt pr. studie: metafors rma) eller che-rve (flere effekter i et studie: korrelerede og "
     "hierarkiske effekter med klyngerobust CR2-inferens)"),
    ("k_effects", "integer", False, "Number of effect sizes pooled (equals k unless a study gives several)",
     "Antal effektstørrelser i analysen (lig k, medmindre et studie bidrager med flere)"),
    ("rho", "number", True,
     "Assumed correlation between effect sizes of one study (che-rve, or one study aggregated); else empty",
     "Antaget korrelation mellem effektstørrelser fra samme studie (che-rve eller ét samlet studie); ellers tom"),
    ("omega2", "number", True, "Variance between effect sizes within studies, omega² (che-rve); else empty",
     "Variansen mellem effektstørrelser inden for studier, omega² (che-rve); ellers tom"),
    ("method", "string", False, "tau² estimator asked for (REML unless chosen)",
     "Valgt tau²-estimator (REML som standard)"),
    ("method_used", "string", False, "tau² estimator actually used (DL if the chosen one did not converge)",
     "Faktisk brugt tau²-estimator (DL hvis den valgte ikke konvergerede)"),
    ("test", "string", False,
     "Test and interval: z (normal), knha (Knapp-Hartung) or cr2 (cluster-robust t, che-rve)",
     "Test og interval: z (normalfordeling), knha (Knapp-Hartung) eller cr2 (klyngerobust t, che-rve)"),
    ("level", "number", False, "Confidence level of the intervals", "Konfidensniveau for intervallerne"),
    ("stat", "number", False, "Test statistic (z or t)", "Teststørrelse (z eller t)"),
    ("df", "number", True,
     "Degrees of freedom of the t-test: k - 1 for knha, Satterthwaite's for che-rve; else empty",
     "Frihedsgrader for t-testen: k - 1 for knha, Satterthwaites for che-rve; ellers tom"),
    ("se_tau2", "number", True, "Standard error of tau²", "Standardfejl på tau²"),
    ("h2", "number", True, "H²: total variation over sampling variation",
     "H²: samlet variation over stikprøvevariation"),
    ("estimate_natural", "number", True, "Estimate as a ratio (exp of the log), RR/OR/ROM only",
     "Estimatet som ratio (exp af log-værdien), kun RR/OR/ROM"),
    ("ci_low_natural", "number", True, "ci_low as a ratio", "ci_low som ratio"),
    ("ci_high_natural", "number", True, "ci_high as a ratio", "ci_high som ratio"),
    ("pi_low_natural", "number", True, "pi_low as a ratio", "pi_low som ratio"),
    ("pi_high_natural", "number", True, "pi_high as a ratio", "pi_high som ratio"),
    ("natural_scale_conversion", "string", True, "How the natural-scale values were computed",
     "Hvordan værdierne på naturlig skala er beregnet"),
    ("control_risk_source", "string", True, "Where control_risk comes from (pooled control arms or the caller)",
     "Hvor control_risk kommer fra (samlede kontrolgrupper eller brugeren)"),
    ("control_risk_ci_low", "number", True, "Lower 95% bound of the pooled control risk",
     "Nedre 95 %-grænse for den samlede kontrolrisiko"),
    ("control_risk_ci_high", "number", True, "Upper 95% bound of the pooled control risk",
     "Øvre 95 %-grænse for den samlede kontrolrisiko"),
    ("risk_difference_pp_ci_low", "number", True, "Lower 95% bound of risk_difference_pp",
     "Nedre 95 %-grænse for risk_difference_pp"),
    ("risk_difference_pp_ci_high", "number", True, "Upper 95% bound of risk_difference_pp",
     "Øvre 95 %-grænse for risk_difference_pp"),
    ("risk_difference_pp_conversion", "string", True, "How risk_difference_pp was computed",
     "Hvordan risk_difference_pp er beregnet"),
    ("treated_risk_conversion", "string", True, "How treated_risk was computed", "Hvordan treated_risk er beregnet"),
    ("wwc_improvement_index", "number", True,
     "WWC improvement index (percentile points; positive favours the intervention), SMD only",
     "WWC-forbedringsindeks (percentilpoint; positivt er til fordel for indsatsen), kun SMD"),
    ("wwc_improvement_index_conversion", "string", True, "How the WWC index was computed",
     "Hvordan WWC-indekset er beregnet"),
    ("log_or_from_smd", "number", True, "The SMD as a log odds ratio (Hasselblad-Hedges), SMD only",
     "SMD omregnet til log-oddsratio (Hasselblad-Hedges), kun SMD"),
    ("log_or_from_smd_ci_low", "number", True, "Lower 95% bound of log_or_from_smd",
     "Nedre 95 %-grænse for log_or_from_smd"),
    ("log_or_from_smd_ci_high", "number", True, "Upper 95% bound of log_or_from_smd",
     "Øvre 95 %-grænse for log_or_from_smd"),
    ("log_or_from_smd_conversion", "string", True, "How log_or_from_smd was computed",
     "Hvordan log_or_from_smd er beregnet"),
    ("smd_from_log_or", "number", True, "The log odds ratio as an SMD (Hasselblad-Hedges), OR only",
     "Log-oddsratioen omregnet til SMD (Hasselblad-Hedges), kun OR"),
    ("smd_from_log_or_ci_low", "number", True, "Lower 95% bound of smd_from_log_or",
     "Nedre 95 %-grænse for smd_from_log_or"),
    ("smd_from_log_or_ci_high", "number", True, "Upper 95% bound of smd_from_log_or",
     "Øvre 95 %-grænse for smd_from_log_or"),
    ("smd_from_log_or_conversion", "string", True, "How smd_from_log_or was computed",
     "Hvordan smd_from_log_or er beregnet"),
    ("direction", "string", False, "benefit, harm or unclear (the 95% interval includes no effect)",
     "gavnlig, skadelig eller uklar (95 %-intervallet rummer ingen effekt): benefit, harm, unclear"),
    ("n_participants_complete", "boolean", False, "Whether every pooled study reports its participants",
     "Om alle samlede studier oplyser antal deltagere"),
    ("strength_reasons", "text-list", False, "How the strength rating was reached",
     "Hvordan evidensstyrken er fastsat"),
    ("rollup", "boolean", False, "Whether the target group pools several sub-groups",
     "Om målgruppen samler flere undergrupper"),
    ("target_groups_pooled", "list", False, "Target groups of the pooled studies", "Målgrupper i de samlede studier"),
    ("notes", "text-list", False, "Notes from pooling (fallbacks, duplicates left out)",
     "Noter fra analysen (alternativer, udeladte dubletter)"),
    ("som_success_rate_pp", "number", True,
     "SØM success rate: the change in the share with the good result, net of what happens anyway (the "
     "comparison group), in percentage points at the baseline risk; positive is good. Binary outcomes only",
     "SØM-succesrate: ændringen i andelen med det gode resultat ud over det, der sker alligevel "
     "(sammenligningsgruppen), i procentpoint ved basisrisikoen; positivt er godt. Kun binære udfald"),
    ("som_success_rate_pp_ci_low", "number", True, "Lower 95% bound of som_success_rate_pp",
     "Nedre 95 %-grænse for som_success_rate_pp"),
    ("som_success_rate_pp_ci_high", "number", True, "Upper 95% bound of som_success_rate_pp",
     "Øvre 95 %-grænse for som_success_rate_pp"),
    ("intervention_label_da", "string", True, "Intervention, Danish name", "Indsats, dansk navn"),
    ("intervention_label_en", "string", True, "Intervention, English name", "Indsats, engelsk navn"),
    ("target_group_label_da", "string", True, "Target group, Danish name", "Målgruppe, dansk navn"),
    ("target_group_label_en", "string", True, "Target group, English name", "Målgruppe, engelsk navn"),
    ("outcome_label_da", "string", True, "Outcome, Danish name", "Udfald, dansk navn"),
    ("outcome_label_en", "string", True, "Outcome, English name", "Udfald, engelsk navn"),
    ("comparison_label_da", "string", True, "Comparison, Danish name", "Sammenligning, dansk navn"),
    ("comparison_label_en", "string", True, "Comparison, English name", "Sammenligning, engelsk navn"),
    ("followup_label_da", "string", True, "Follow-up window, Danish", "Opfølgningsvindue, dansk"),
    ("followup_label_en", "string", True, "Follow-up window, English", "Opfølgningsvindue, engelsk"),
    ("outcome_type", "string", True, "binary or continuous", "binary (binært) eller continuous (kontinuert)"),
    ("outcome_desirable", "string", True, "Which direction is good: higher or lower",
     "Hvilken retning er god: higher (højere) eller lower (lavere)"),
]

COLUMNS: tuple[Column, ...] = tuple(Column(*row) for row in _TABLE)
NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
BY_NAME = {c.name: c for c in COLUMNS}
#: How the CSV and XLSX write a list: ids with ";", sentences (which may hold ";") with " | ".
SEPARATORS = {"list": ";", "text-list": " | "}

if NAMES != FIELDS:  # pragma: no cover - a programming error, caught at import
    raise RuntimeError("export columns and services.parameters.FIELDS disagree: "
                       f"{sorted(set(NAMES) ^ set(FIELDS))}")
