"""The memoised analysis writes the same postings as Whoosh's own Positions format."""

from whoosh import formats

from evidence.search import analysis, schema

TEXTS = [
    "",
    "og\nThe effect of the intervention\n\nog i de\nHjemløse unge og kriminalitet",
    "the of and\n\nCognitive-behavioural therapy (CBT) for young offenders\nthe the",
    "Multisystemisk terapi MST\nMST\nmultisystemic therapy, Malmö and Århus: 3.5 years' follow-up\n",
    "\n\n\nog\n",
    "randomised randomised RCT\nrandomiseret kontrolleret forsøg\nrandomised",
]


def test_cached_positions_equal_positions():
    sch = schema.make_schema()
    checked = 0
    for name in sch.names():
        field = sch[name]
        if not isinstance(field.format, analysis.CachedPositions):
            continue
        plain = formats.Positions(field_boost=field.format.field_boost)
        for text in TEXTS:
            expected = sorted(plain.word_values(text, field.analyzer, mode="index"))
            assert sorted(field.format.word_values(text, field.analyzer, mode="index")) == expected
            checked += 1
    assert checked >= 3 * len(TEXTS)


def test_cached_positions_analyzer_matches_field():
    sch = schema.make_schema()
    for name in sch.names():
        field = sch[name]
        if isinstance(field.format, analysis.CachedPositions):
            assert field.analyzer == analysis.ANALYZERS[field.format.analysis]()
