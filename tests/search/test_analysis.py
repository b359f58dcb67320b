from evidence.search.analysis import analyzer, fold


def terms(analyzer, text):
    return [t.text for t in analyzer(text)]


def test_folding_of_danish_letters_and_accents():
    assert fold("Hjemløshed") == "hjemloeshed"
    assert fold("Århus Æbler Malmö café") == "aarhus aebler malmoe cafe"


def test_danish_stemming_meets_across_spellings():
    forms = ["hjemløse", "hjemløshed", "hjemloese", "Hjemløs"]
    assert len({terms(analyzer("da"), f)[0] for f in forms}) == 1
    assert terms(analyzer("da"), "Århus") == terms(analyzer("da"), "Aarhus")


def test_english_stemming():
    assert terms(analyzer("en"), "writing") == terms(analyzer("en"), "write")
    assert terms(analyzer("en"), "the recidivism") == ["recidiv"]


def test_plain_keeps_words():
    assert terms(analyzer("plain"), "Writing-to-learn") == ["writing", "to", "learn"]
