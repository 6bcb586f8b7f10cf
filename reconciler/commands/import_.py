"""import: read the live gateway, write desired/ files that describe it (never a raw key)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import yaml

from reconciler.commands.common import EXIT_OK, open_client, read_live
from reconciler.commands.sources import read_sources
from reconciler.core.engine.importer import import_live
from reconciler.core.errors import ReconcilerError
from reconciler.core.input.desired import Estate
from reconciler.core.input.loader import load_estate
from reconciler.core.input.yamlsource import Source
from reconciler.core.masking import safe_text
from reconciler.core.registry import KINDS
from reconciler.core.render.import_yaml import IMPORTED_FILES, render_files, summary, summary_data


def run_import(args: argparse.Namespace) -> int:
    if getattr(args, "target", None):
        raise ReconcilerError(
            "import writes the shared desired/ tree from the gateway LITELLM_* names: "
            "run it without --target (use --out for a separate folder)"
        )
    out: Path = args.out or args.desired
    existing, declared_scope = _existing(args.desired, out)
    scope = declared_scope or args.scope or "default"
    if declared_scope and args.scope and args.scope != declared_scope:
        raise ReconcilerError(
            f"{args.desired} declares scope {declared_scope!r}; --scope {args.scope!r} differs"
        )
    existing = existing.model_copy(
        update={"settings": existing.settings.model_copy(update={"scope": scope})}
    )
    with open_client(args) as client:
        live = read_live(client, [k.name for k in KINDS])
    result = import_live(live, existing, write_scope=declared_scope is None, include=args.include)
    files = render_files(result, _schema_path(out))
    written = _write(out, files)
    if getattr(args, "format", "text") == "json":
        print(json.dumps(summary_data(result, written), indent=2, ensure_ascii=False))
        return EXIT_OK
    for line in summary(result, written):
        # Aliases, model ids and notes come from the gateway: escaped like every name printed.
        print(safe_text(line))
    return EXIT_OK


def _schema_path(out: Path) -> str:
    """schema/desired.schema.json relative to `out`: from the nearest folder above it that has
    one (the repository), else as the shipped desired/ has it (one folder below the root)."""
    here = out.resolve()
    for folder in (here, *here.parents):
        if (folder / "schema" / "desired.schema.json").is_file():
            return os.path.relpath(folder / "schema" / "desired.schema.json", here)
    return "../schema/desired.schema.json"


def _existing(desired: Path, out: Path) -> tuple[Estate, str | None]:
    """The tree already there (without the files a previous import wrote, which this run
    rewrites) and the scope it declares, if any."""
    if not desired.is_dir():
        return Estate(), None
    ours = {(out / name).resolve() for name in IMPORTED_FILES}
    sources = [s for s in read_sources(desired) if Path(s.name).resolve() not in ours]
    estate = load_estate(sources)
    return estate, (estate.settings.scope if _declares_settings(sources) else None)


def _declares_settings(sources: list[Source]) -> bool:
    for source in sources:
        data = yaml.safe_load(source.text)
        if isinstance(data, dict) and data.get("settings") is not None:
            return True
    return False


def _write(out: Path, files: dict[str, str]) -> list[str]:
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in IMPORTED_FILES:
            path = out / name
            if name in files:
                path.write_text(files[name], encoding="utf-8")
            elif path.exists():
                path.unlink()  # a previous import's file this run has nothing for
    except OSError as exc:
        raise ReconcilerError(f"cannot write into {out}: {exc.strerror}") from None
    return [str(out / name) for name in IMPORTED_FILES if name in files]
