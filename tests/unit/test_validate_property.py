"""Property: whatever desired/ holds, `validate` ends in exit 0 or a clean exit 1 whose stderr is
`FILE:LINE: field: message` lines, never a traceback; and `plan` on an invalid tree makes no
gateway call. Trees are generated, or mutations of the shipped desired/ (explicit YAML tags
and %TAG directives included: a tag other than !!str on a value is always refused).

Property over hostile live states: whatever the gateway holds (names with escapes, markers of
any scope written by anyone, forged or junk records, odd sizes), a plan ends in changes or one
PlanError, never touches a key no admin wrote, and renders as printable lines."""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path
from unittest import mock

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.commands.cli import main
from reconciler.core.engine.ownership import MASTER_IDENTITY
from reconciler.core.engine.plan import Plan
from reconciler.core.engine.planner import plan_changes
from reconciler.core.errors import PlanError
from reconciler.core.input.loader import load_estate
from reconciler.core.input.yamlsource import Source
from reconciler.core.kinds.key.ownership import vet_keys
from reconciler.core.kinds.model.ownership import vet_models
from reconciler.core.render import render
from tests.unit.builders import parse_live

SHIPPED = Path(__file__).parents[2] / "desired"
SHIPPED_FILES = {p.relative_to(SHIPPED).as_posix(): p.read_text(encoding="utf-8")
                 for p in sorted(SHIPPED.rglob("*.yaml"))}
PROBLEM = re.compile(r"^.+:\d+: \S.*: .+$")
SUMMARY = re.compile(r"^error: desired state is invalid \(\d+ problems?\)$")

CI = settings(max_examples=200, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

WEIRD = st.sampled_from([
    "\x1b[31m", "\u2028", "\u200b", "\u202e", "\x00", "\ufeff", "e\u0301", "\U0001f600",
    "\ud7ff", "\t", "..", "/", "'", '"', ":", "#", "&a", "*a", "!!binary", "{", "[", "- ",
])
SCALARS = st.sampled_from([
    "yes", "off", "~", "null", "1e30", "1.0e+30", '"50"', "true", "-1", "0777", "1:30",
    "2024-01-01", ".nan", "-.inf", "!!binary aGk=", "!!set {a}", "[]", "{}", "''",
    "99999999999999999999", "os.environ/LITELLM_MASTER_KEY", "https://u:p@h/v1",
    "Bearer abcdefgh1234", "sk-live-abcdef123456", "[[[[[[[[[[[[1]]]]]]]]]]]]", "&x [*x]", "*nope",
])
JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JSON_TREE = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8) | st.sampled_from(["agents", "models", "name"]),
                      inner, max_size=4),
    max_leaves=30,
)
SECTIONS = st.sampled_from(["agents", "models", "pinned", "settings", "fallbacks",
                            "config_models", "policy", "other"])


@st.composite
def mutated_shipped(draw: st.DrawFn) -> dict[str, str]:
    files = dict(SHIPPED_FILES)
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(files)))
        text = files[name]
        kind = draw(st.sampled_from(["truncate", "swap", "insert", "duplicate", "nest"]))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        if kind == "truncate":
            files[name] = text[:at]
        elif kind == "swap":
            lines = text.splitlines()
            values = [i for i, line in enumerate(lines) if ": " in line or "- " in line]
            if values:
                i = draw(st.sampled_from(values))
                sep = ": " if ": " in lines[i] else "- "
                lines[i] = lines[i].split(sep, 1)[0] + sep + draw(SCALARS)
            files[name] = "\n".join(lines) + "\n"
        elif kind == "insert":
            files[name] = text[:at] + draw(WEIRD) + text[at:]
        elif kind == "duplicate":
            files["copy-" + name.replace("/", "-")] = text
        else:
            depth = draw(st.integers(1, 200))
            files[name] = text + "\nextra: " + "[" * depth + "1" + "]" * depth + "\n"
    return files


@st.composite
def generated_tree(draw: st.DrawFn) -> dict[str, str]:
    files = {}
    for i in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            content = {draw(SECTIONS): draw(JSON_TREE) for _ in range(draw(st.integers(0, 3)))}
            text = yaml.safe_dump(content, allow_unicode=draw(st.booleans()))
        else:
            text = draw(st.text(max_size=200))
        files[f"f{i}.yaml"] = text
    return files


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8", "surrogatepass"))


def _run(args: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return code, err.getvalue()


def _check(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "desired"
        root.mkdir()
        _write(root, files)
        code, err = _run(["validate", "--desired", str(root)])
        assert code in (0, 1), err
        if code == 0:
            assert err == ""
            return
        *problems, summary = err.splitlines()
        assert SUMMARY.match(summary), err
        assert problems and all(PROBLEM.match(line) for line in problems), err
        assert all(line.isprintable() for line in problems), err
        # The same tree through plan: it must stop before opening any connection.
        with mock.patch("reconciler.commands.common.GatewayClient") as client:
            code, _ = _run(["plan", "--desired", str(root), "--base-url", "http://127.0.0.1:9",
                            "--admin-key", "sk-unused-000000"])
        assert code == 1
        client.assert_not_called()


@CI
@given(mutated_shipped())
def test_mutations_of_the_shipped_tree_end_cleanly(files: dict[str, str]) -> None:
    _check(files)


@CI
@given(generated_tree())
def test_generated_trees_end_cleanly(files: dict[str, str]) -> None:
    _check(files)


TAGS = st.sampled_from([
    "!!float", "!!int", "!!null", "!!bool", "!!map", "!!seq", "!!timestamp", "!custom",
    "!<tag:yaml.org,2002:int>", "!!python/object/apply:os.system", "!e!x",
])


@st.composite
def tagged_shipped(draw: st.DrawFn) -> tuple[dict[str, str], bool]:
    """The shipped tree with one value given an explicit tag (or a %TAG directive that makes
    !! mean something else); and whether the tree must be refused."""
    files = dict(SHIPPED_FILES)
    name = draw(st.sampled_from(sorted(files)))
    lines = files[name].splitlines()
    values = [i for i, line in enumerate(lines)
              if "#" not in line and (": " in line or "- " in line)]
    i = draw(st.sampled_from(values))
    sep = ": " if ": " in lines[i] else "- "
    head, value = lines[i].split(sep, 1)
    tag = draw(TAGS)
    quoted = draw(st.booleans())
    lines[i] = f"{head}{sep}{tag} {repr(value) if quoted else value}"
    directive = draw(st.sampled_from(["", "%TAG !! tag:evil.example,2000:\n---\n",
                                      "%TAG !e! tag:e.example,2000:\n---\n", "%YAML 1.1\n---\n"]))
    files[name] = directive + "\n".join(lines) + "\n"
    # !!map on a mapping and !!seq on a list are what they say (unless %TAG moved !!); on a
    # block collection (nothing after the colon) the kind below decides, so no expectation.
    mismatch = (tag, value.strip()[:1]) in (("!!map", "["), ("!!seq", "{"))
    own = tag in ("!!map", "!!seq") and "evil" not in directive and not mismatch
    return files, not own and not (tag in ("!!map", "!!seq") and not value.strip())


@CI
@given(tagged_shipped())
def test_explicit_tags_end_cleanly_and_never_bypass_strict_types(
    case: tuple[dict[str, str], bool]
) -> None:
    files, refused = case
    _check(files)
    if refused:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "desired"
            root.mkdir()
            _write(root, files)
            code, err = _run(["validate", "--desired", str(root)])
        assert code == 1, err


# -- hostile live states ---------------------------------------------------------------------
ESTATE = load_estate([Source("desired/e.yaml", """
settings: {scope: s, removed_agents: delete}
config_models: [M]
agents:
  - {name: a, owner: o, models: [M]}
  - {name: b, owner: o, models: [M], adopt: true}
""")])
NAME = st.sampled_from(["a", "b", "c", "reconciler-lease/0000000001", None]) | st.builds(
    lambda base, weird: base + weird, st.sampled_from(["a", "c"]), WEIRD)
MARKER = st.sampled_from([None, "reconciler", "reconciler/s", "reconciler/other", 5, ""])
WRITER = st.sampled_from([MASTER_IDENTITY, "evil", None, "", 0])
RECORD = st.sampled_from([None, {}, {"digest": "forged"}, "junk", [1]])


@st.composite
def hostile_key(draw: st.DrawFn, index: int) -> dict[str, object]:
    metadata: object = {"managed_by": draw(MARKER), "reconciler_applied": draw(RECORD),
                        "agent": draw(NAME)}
    if draw(st.integers(0, 9)) == 0:
        metadata = draw(st.sampled_from(["junk", [1], None]))
    return {"token": f"{index:064x}", "key_alias": draw(NAME), "key_name": f"sk-...{index:04d}",
            "models": draw(st.sampled_from([["M"], [], None, "M"])), "blocked": draw(
                st.sampled_from([None, True, False, "yes"])), "metadata": metadata,
            "created_by": draw(WRITER), "updated_by": draw(WRITER),
            "max_budget": draw(st.sampled_from([None, 1, 1e308, -1, "x"]))}


@st.composite
def hostile_live(draw: st.DrawFn) -> list[dict[str, object]]:
    return [draw(hostile_key(i)) for i in range(draw(st.integers(0, 6)))]


@CI
@given(hostile_live())
def test_hostile_live_states_never_touch_what_no_admin_wrote(rows: list[dict[str, object]]) -> None:
    admins = frozenset({MASTER_IDENTITY})
    untrusted = {str(r["token"]) for r in rows
                 if MASTER_IDENTITY not in (r["created_by"], r["updated_by"])}
    live = parse_live(vet_keys(rows, admins), vet_models([]))
    try:
        plan: Plan = plan_changes(ESTATE, live)
    except PlanError as exc:
        assert all(line.isprintable() for line in str(exc).splitlines())
        return
    touched = {c.ref for c in plan.changes if c.ref}
    # An unmarked key may be adopted (the reviewed way in); a marked one no admin wrote never.
    marked = {str(r["token"]) for r in rows if isinstance(r["metadata"], dict)
              and str(r["metadata"].get("managed_by") or "").startswith("reconciler")}
    assert not touched & untrusted & marked
    out = io.StringIO()
    render(plan, out, color=False)
    assert all(line.isprintable() for line in out.getvalue().splitlines()), out.getvalue()
