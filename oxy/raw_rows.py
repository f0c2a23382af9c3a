"""Model instances from columns a hand-written statement returned beside
another model's: a hot path's related row read in the same round trip."""

from typing import Any, TypeVar

from django.db import connection, models

ModelT = TypeVar("ModelT", bound=models.Model)


def model_from_columns(model: type[ModelT], columns: dict[str, Any], *, prefix: str) -> ModelT:
    """An instance of `model` from the `columns` named `<prefix><attname>`,
    each converted as the ORM converts it (a secret decrypted, JSON parsed),
    as if loaded from the database."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        value = columns[f"{prefix}{field.attname}"]
        if value is not None and hasattr(field, "from_db_value"):
            value = field.from_db_value(value, None, connection)
        names.append(field.attname)
        values.append(value)
    return model.from_db(connection.alias, names, values)
