"""A faster writer for a complete index: the same segment, without Whoosh's posting pool.

Whoosh's ``SegmentWriter`` puts every posting — one ``(field, term, docnum,
weight, value)`` tuple per term of each field of each document, about eleven
million at 20k studies — into an external sort (``PostingPool``: sorted runs
marshalled to temporary files, then a heap merge), and then feeds them one at a
time through ``FieldWriter.add_postings``, which reads each posting's document
length back from the new segment's length column. For a complete build none of
that is needed: documents arrive in document order, so each term's postings
are already sorted once they are grouped by term.

:class:`BulkWriter` keeps, per ``(field, term)``, the document numbers, weights
and values in arrays, sorts only the distinct terms at commit, and hands the
postings writer whole blocks (Whoosh's block size) with the statistics its
per-posting ``add_posting`` would have computed. Everything else — per-document
values, stored fields, field lengths, the term table, the blocks' encoding,
compound files, the table of contents — is Whoosh's own code, so the segment
holds what ``SegmentWriter`` writes: the same terms, postings, statistics,
lengths and stored fields (``tests/search/test_bulk_writer.py`` compares them
through a reader; the files can differ only where pickle shares equal position
values within a block). It serves one fresh segment
(:func:`~.indexer.build_aside`); incremental updates keep Whoosh's writer.
"""

from __future__ import annotations

from array import array

from whoosh.fields import FieldType
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter


#: A field's values are remembered (value -> postings) until, after this many distinct values,
#: more than CACHE_MAX_MISS_RATE of the documents brought a new one.
CACHE_TRIAL = 1000
CACHE_MAX_MISS_RATE = 0.5


class BulkWriter(SegmentWriter):
    """A ``SegmentWriter`` for adding documents to a new index and committing once."""

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        if self.segments:
            raise ValueError("BulkWriter writes a fresh index only")
        self._terms: dict[str, dict[bytes, tuple]] = {}
        # field -> the quantised length of each document (what the length column gives back), 0 when none
        self._lengths: dict[str, array] = {}
        self._cache: dict[str, dict] = {name: {} for name in self.schema.names()}  # field -> value -> postings
        self._misses: dict[str, int] = {}

    def add_document(self, **fields):
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                field = schema[fieldname]
                length = 0
                if field.indexed:
                    fieldboost = self._field_boost(fields, fieldname, docboost)
                    scorable = field.scorable
                    terms = self._terms.get(fieldname)
                    if terms is None:
                        terms = self._terms[fieldname] = {}
                    for tbytes, freq, weight, vbytes in self._index(fieldname, field, value):
                        weight *= fieldboost
                        if scorable:
                            length += freq
                        posting = terms.get(tbytes)
                        if posting is None:
                            posting = terms[tbytes] = (array("I"), array("d"), [])
                        posting[0].append(docnum)
                        posting[1].append(weight)
                        posting[2].append(vbytes)
                if field.separate_spelling() or field.vector:
                    raise NotImplementedError(f"BulkWriter: field {fieldname!r} has spelling or vectors")
                customval = fields.get("_stored_%s" % fieldname, value)
                perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)
                column = field.column_type
                if column and customval is not None:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
                if length:
                    lengths = self._lengths.get(fieldname)
                    if lengths is None:
                        lengths = self._lengths[fieldname] = array("I")
                    if len(lengths) < docnum:
                        lengths.extend([0] * (docnum - len(lengths)))
                    lengths.append(byte_to_length(length_to_byte(length)))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _index(self, fieldname: str, field, value):
        """``field.index(value)``: through the format's ``index_terms`` when it has one (the same
        postings, without generators), and remembered per value while values of the field repeat."""
        fast = getattr(field.format, "index_terms", None)
        if fast is None or type(field).index is not FieldType.index or not isinstance(value, str):
            return field.index(value)
        cache = self._cache.get(fieldname)
        if cache is None:
            return fast(value)
        items = cache.get(value)
        if items is None:
            items = cache[value] = fast(value)
            self._misses[fieldname] = misses = self._misses.get(fieldname, 0) + 1
            if misses >= CACHE_TRIAL and misses > self.docnum * CACHE_MAX_MISS_RATE:
                del self._cache[fieldname]  # the field's values hardly repeat: stop remembering them
        return items

    def add_reader(self, reader):
        raise NotImplementedError("BulkWriter adds documents only")

    def _flush_segment(self):
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        blocklimit = self.codec._blocklimit
        for fieldname in sorted(self._terms):
            terms = self._terms[fieldname]
            if not terms:
                continue
            lengths = self._lengths.get(fieldname)
            if lengths is not None and len(lengths) < self.docnum:
                lengths.extend([0] * (self.docnum - len(lengths)))
            fieldwriter.start_field(fieldname, self.schema[fieldname])
            for tbytes in sorted(terms):
                ids, weights, values = terms[tbytes]
                fieldwriter.start_term(tbytes)
                pw = fieldwriter._postwriter
                n = len(ids)
                for start in range(0, n, blocklimit):
                    end = min(n, start + blocklimit)
                    block_ids = ids[start:end]
                    block_weights = weights[start:end]
                    pw._ids = block_ids
                    pw._weights = array("f", block_weights)
                    pw._values = [v for v in values[start:end] if v]
                    pw._maxweight = max(0, max(block_weights))
                    if lengths is None:
                        pw._minlength, pw._maxlength = None, 0
                    else:
                        dl = [lengths[d] for d in block_ids]
                        nonzero = [x for x in dl if x]
                        pw._minlength = min(nonzero) if nonzero else None
                        pw._maxlength = max(dl)
                    if end < n:
                        pw._write_block()
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        fieldwriter.close()
        self._terms = {}
