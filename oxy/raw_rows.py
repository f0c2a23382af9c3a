"""Model instances from columns a hand-written statement returned beside
another model's: a hot path's related row read in the same round trip."""

from typing import Any, TypeVar

from django.db import connection, models

ModelT = TypeVar("ModelT", bound=models.Model)


def columns_sql(model: type[models.Model], *, table: str, prefix: str) -> str:
    """The model's columns in a SELECT list, from `table` (its name or alias),
    each named `<prefix><attname>` for `model_from_columns`."""
    return ", ".join(f'{table}.{field.column} AS "{prefix}{field.attname}"' for field in model._meta.concrete_fields)


def model_from_columns(model: type[ModelT], columns: dict[str, Any], *, prefix: str = "") -> ModelT:
    """An instance of `model` from the `columns` named `<prefix><attname>`
    (the fields not among them are deferred), each converted as the ORM
    converts it: a secret decrypted, JSON parsed, and a value that came as
    JSON text (a date, a decimal) made the field's Python type."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        name = f"{prefix}{field.attname}"
        if name not in columns:
            continue
        value = columns[name]
        if value is not None:
            from_db = getattr(field, "from_db_value", None)
            value = from_db(value, None, connection) if from_db else field.to_python(value)
        names.append(field.attname)
        values.append(value)
    return model.from_db(connection.alias, names, values)
