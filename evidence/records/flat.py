"""A nested mapping of many optional fields, loaded by the fields that are there.

marshmallow's schema load visits every declared field, present or not, at several
calls each: an effect's ``data`` declares 31 fields and holds 3 or 4, so its absent
fields were about half of all the field loads of a record. :class:`Flat` loads a
mapping whose keys are all declared by calling each present field's own
``deserialize`` (the same conversion and validators) and giving each absent one its
``load_default``, in the schema's order: what the schema's load gives. Any other
input, or any error, goes through marshmallow's own load of the schema, so every
message, and the partial data it carries, is marshmallow's.

Only for a schema with plain fields and no hooks (``pre_load``, ``post_load``,
``validates``), which this load would skip, except one ``validates_schema`` whose
rule is given as ``check`` (the loaded mapping -> its errors, empty when sound): a
mapping it finds errors in goes through marshmallow's load too, which runs the hook
and says what it says. :class:`Flat` refuses a schema whose fields rename a key
(``data_key``, ``attribute``), and ``tests/foundation/test_flat.py`` checks the
schemas it is used with.
"""

from __future__ import annotations

from marshmallow import ValidationError, fields, missing


class Flat(fields.Nested):
    """``fields.Nested(schema)`` for a schema without hooks, loading only the fields that are present."""

    def __init__(self, nested, check=None, **kwargs):
        super().__init__(nested, **kwargs)
        self._check = check
        self._plan: tuple[tuple[str, fields.Field], ...] | None = None
        self._names: frozenset[str] = frozenset()

    def _fields(self) -> tuple[tuple[str, fields.Field], ...]:
        # made on first use: the schema's fields are bound to it then
        if self._plan is None:
            plan = tuple(self.schema.load_fields.items())
            for name, field in plan:
                if field.data_key is not None or field.attribute is not None:
                    raise TypeError(f"Flat cannot load {name}: it renames its key")
            self._plan, self._names = plan, frozenset(name for name, _ in plan)
        return self._plan

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        plan = self._fields()
        if type(value) is not dict or partial is not None or not self._names.issuperset(value):
            return super()._deserialize(value, attr, data, partial=partial, **kwargs)
        out = {}
        try:
            for name, field in plan:
                raw = value.get(name, missing)
                if raw is not missing:
                    out[name] = field.deserialize(raw, name, value)
                elif field.required:
                    raise ValidationError("required")  # marshmallow's load says it in its words
                else:
                    default = field.load_default
                    if default is not missing:
                        out[name] = default() if callable(default) else default
        except ValidationError:
            return super()._deserialize(value, attr, data, partial=partial, **kwargs)
        if self._check is not None and self._check(out):
            return super()._deserialize(value, attr, data, partial=partial, **kwargs)
        return out
