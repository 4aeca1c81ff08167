#!/usr/bin/env python3
"""Checks lingopipe's machine exports with parsers lingopipe does not use.

  check_exports.py SCHEMA EXPORT_DIR

Validates lingopipe.json against SCHEMA (JSON Schema 2020-12), each line of
lingopipe.jsonl against the schema's article definition and against the
matching article of lingopipe.json, and reads lingopipe.csv with Python's csv
module. Prints the CSV rows as JSON on stdout for the calling test to compare
field by field; exits non-zero with the reason on any violation.
"""
import csv
import json
import sys

import jsonschema


def main() -> int:
    schema_path, out_dir = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)

    with open(f"{out_dir}/lingopipe.json", encoding="utf-8") as f:
        document = json.load(f)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    for e in errors:
        print(f"lingopipe.json {list(e.path)}: {e.message}", file=sys.stderr)

    article_schema = dict(schema["$defs"]["article"])
    article_schema["$defs"] = schema["$defs"]
    article_validator = jsonschema.Draft202012Validator(article_schema)
    with open(f"{out_dir}/lingopipe.jsonl", encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines[-1] != "":
        print("lingopipe.jsonl: last line has no newline", file=sys.stderr)
        return 1
    lines = lines[:-1]
    if len(lines) != len(document["articles"]):
        print(f"lingopipe.jsonl: {len(lines)} lines for {len(document['articles'])} articles",
              file=sys.stderr)
        return 1
    for n, (line, expected) in enumerate(zip(lines, document["articles"]), start=1):
        article = json.loads(line)
        for e in article_validator.iter_errors(article):
            errors.append(e)
            print(f"lingopipe.jsonl:{n} {list(e.path)}: {e.message}", file=sys.stderr)
        if article != expected:
            print(f"lingopipe.jsonl:{n}: differs from lingopipe.json", file=sys.stderr)
            return 1

    with open(f"{out_dir}/lingopipe.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, strict=True))
    json.dump(rows, sys.stdout, ensure_ascii=False)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
