"""SQLAlchemy 2 models: the read side that pages, API and export query.

The database is rebuilt from ``data/`` by ``evidence build`` and never edited
in place, so it holds derived columns (effect sizes, pooled parameters) freely.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class BuildInfo(Base):
    __tablename__ = "build_info"

    dataset_version: Mapped[str] = mapped_column(String(64), primary_key=True)
    schema_version: Mapped[str] = mapped_column(String(32))
    built_at: Mapped[str] = mapped_column(String(40))
    counts: Mapped[dict] = mapped_column(JSON)


class Term(Base):
    __tablename__ = "terms"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), primary_key=True)
    label_da: Mapped[str] = mapped_column(String(300))
    label_en: Mapped[str] = mapped_column(String(300))
    parent: Mapped[str | None] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(1000))  # root/…/slug, for hierarchical facets
    depth: Mapped[int] = mapped_column(Integer)
    synonyms_da: Mapped[list] = mapped_column(JSON)
    synonyms_en: Mapped[list] = mapped_column(JSON)
    description_da: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    outcome_type: Mapped[str | None] = mapped_column(String(20))
    desirable: Mapped[str | None] = mapped_column(String(10))
    default_measure: Mapped[str | None] = mapped_column(String(10))
    needs_curation: Mapped[bool] = mapped_column(Boolean)
    areas: Mapped[list] = mapped_column(JSON, default=list)  # SØM areas (interventions, outcomes)

    def label(self, lang: str = "da") -> str:
        return self.label_en if lang == "en" else self.label_da


class Study(Base):
    __tablename__ = "studies"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    label: Mapped[str] = mapped_column(String(300))  # "Guerra (1990)": how lists name it
    title: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list] = mapped_column(JSON)
    et_al: Mapped[bool] = mapped_column(Boolean)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    journal: Mapped[str | None] = mapped_column(String(500))
    publication_type: Mapped[str] = mapped_column(String(40))
    doi: Mapped[str | None] = mapped_column(String(300), index=True)
    url: Mapped[str | None] = mapped_column(String(1000))
    abstract: Mapped[str | None] = mapped_column(Text)
    design: Mapped[str] = mapped_column(String(40), index=True)
    evidence_level: Mapped[int] = mapped_column(Integer, index=True)
    country: Mapped[str | None] = mapped_column(String(100), index=True)
    setting: Mapped[str | None] = mapped_column(String(300))
    sample_size: Mapped[int | None] = mapped_column(Integer)
    risk_of_bias: Mapped[str] = mapped_column(String(20))
    summary_da: Mapped[str | None] = mapped_column(Text)
    summary_en: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    source_doi: Mapped[str | None] = mapped_column(String(300))
    path: Mapped[str] = mapped_column(String(500))  # the record file, relative to the data folder
    record: Mapped[dict] = mapped_column(JSON)  # the whole validated record

    effects: Mapped[list[Effect]] = relationship(
        back_populates="study", order_by="Effect.position", cascade="all, delete-orphan"
    )


class Effect(Base):
    __tablename__ = "effects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[str] = mapped_column(ForeignKey("studies.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))  # the effect's id within its study
    position: Mapped[int] = mapped_column(Integer)
    intervention: Mapped[str] = mapped_column(String(100), index=True)
    comparison: Mapped[str | None] = mapped_column(String(100))
    target_group: Mapped[str] = mapped_column(String(100), index=True)
    outcome: Mapped[str] = mapped_column(String(100), index=True)
    outcome_detail: Mapped[str | None] = mapped_column(Text)
    followup_months: Mapped[float | None] = mapped_column(Float)
    followup: Mapped[str] = mapped_column(String(20))  # the follow-up window
    sample: Mapped[str] = mapped_column(String(100))
    form: Mapped[str] = mapped_column(String(20))
    measure: Mapped[str] = mapped_column(String(10))
    data: Mapped[dict] = mapped_column(JSON)
    poolable: Mapped[bool] = mapped_column(Boolean)
    not_poolable_reason: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # Computed by escalc for the effect's own measure (None for shown-only forms).
    yi: Mapped[float | None] = mapped_column(Float)
    vi: Mapped[float | None] = mapped_column(Float)
    conversions: Mapped[list] = mapped_column(JSON)
    n_participants: Mapped[int | None] = mapped_column(Integer)
    direction: Mapped[str | None] = mapped_column(String(12))  # benefit | harm | none, by desirability

    study: Mapped[Study] = relationship(back_populates="effects")

    __table_args__ = (Index("ix_effects_parameter", "intervention", "outcome", "target_group"),)


class Parameter(Base):
    """One pooled default parameter (REML, z unless stored otherwise)."""

    __tablename__ = "parameters"

    id: Mapped[str] = mapped_column(String(400), primary_key=True)
    intervention: Mapped[str] = mapped_column(String(100), index=True)
    target_group: Mapped[str] = mapped_column(String(100), index=True)
    rollup: Mapped[bool] = mapped_column(Boolean)  # pools the groups below a parent term
    outcome: Mapped[str] = mapped_column(String(100), index=True)
    comparison: Mapped[str | None] = mapped_column(String(100))
    followup: Mapped[str] = mapped_column(String(20))
    measure: Mapped[str] = mapped_column(String(10))
    method: Mapped[str] = mapped_column(String(10))
    test: Mapped[str] = mapped_column(String(10))
    k: Mapped[int] = mapped_column(Integer)
    estimate: Mapped[float] = mapped_column(Float)
    se: Mapped[float] = mapped_column(Float)
    ci_low: Mapped[float] = mapped_column(Float)
    ci_high: Mapped[float] = mapped_column(Float)
    pval: Mapped[float | None] = mapped_column(Float)
    tau2: Mapped[float | None] = mapped_column(Float)
    i2: Mapped[float | None] = mapped_column(Float)
    n_participants: Mapped[int | None] = mapped_column(Integer)
    evidence_level: Mapped[int] = mapped_column(Integer, index=True)
    strength: Mapped[int] = mapped_column(Integer, index=True)
    direction: Mapped[str] = mapped_column(String(12))
    studies: Mapped[list] = mapped_column(JSON)
    result: Mapped[dict] = mapped_column(JSON)  # every exported field, as the export writes it


class BuildFile(Base):
    """Every file the last build read, so the next build can tell what changed (incremental builds).

    A file whose ``(size, mtime_ns)`` are unchanged, and whose modification
    time was well before ``checked_ns`` (when the build looked at it), is taken
    as unchanged; any other file is hashed. ``content_hash`` is the hash of the
    validated record (what ``dataset_version`` is made of); vocabulary files
    have neither ``study_id`` nor ``content_hash``.
    """

    __tablename__ = "build_files"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)  # relative to the data folder
    size: Mapped[int] = mapped_column(BigInteger)
    mtime_ns: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    study_id: Mapped[str | None] = mapped_column(String(100))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    checked_ns: Mapped[int] = mapped_column(BigInteger)
