"""Export the JSON Schema files in ``schemas/json/`` from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path

from schemas.records import SCHEMA_MODELS

SCHEMA_DIR = Path(__file__).resolve().parent / "json"


def schema_texts() -> dict[str, str]:
    """File name → JSON Schema text, exactly as written to disk."""
    return {
        f"{name}.json": json.dumps(
            model.model_json_schema(mode="serialization"), indent=2, sort_keys=True
        )
        + "\n"
        for name, model in SCHEMA_MODELS.items()
    }


def export_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in schema_texts().items():
        path = folder / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written
