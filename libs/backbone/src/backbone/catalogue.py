"""Print the whole event catalogue as JSON: `python -m backbone.catalogue > docs/events.json`."""

from __future__ import annotations

import json
import sys
from typing import Any

from backbone.contracts import load_catalogue


def catalogue_document() -> dict[str, Any]:
    return {
        "events": [
            {
                "subject": et.subject,
                "type": et.type,
                "owner": et.owner,
                "aggregate": et.aggregate,
                "description": et.description,
                "schema": et.schema,
            }
            for et in load_catalogue().values()
        ]
    }


def main() -> None:
    json.dump(catalogue_document(), sys.stdout, ensure_ascii=False, indent=2, sort_keys=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
