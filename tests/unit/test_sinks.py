"""Secret sinks: a 0600 JSON-lines file, or a command that reads the key on stdin."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from reconciler.core.errors import SecretSinkError
from reconciler.gateway.sinks import CommandSink, FileSink

RAW = "sk-SinkTestRawKey0000abcd"
TOKEN = "f" * 64


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_sink_appends_one_json_line_per_key_readable_only_by_its_owner(
    tmp_path: Path,
) -> None:
    path = tmp_path / "secrets.jsonl"
    sink = FileSink(path)
    sink.deliver(agent="李狗蛋", raw_key=RAW, token=TOKEN)
    sink.deliver(agent="妮可", raw_key=RAW + "2", token="e" * 64)

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["agent"], r["key_alias"], r["key"], r["key_sha256"]) for r in lines] == [
        ("李狗蛋", "李狗蛋", RAW, TOKEN),
        ("妮可", "妮可", RAW + "2", "e" * 64),
    ]
    assert all(r["created_at"].endswith("+00:00") for r in lines)
    assert "李狗蛋" in path.read_text(encoding="utf-8")  # written as UTF-8, not \\u escapes
    assert _mode(path) == 0o600


def test_file_sink_tightens_an_existing_loose_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.jsonl"
    path.write_text("")
    path.chmod(0o644)
    FileSink(path).deliver(agent="a", raw_key=RAW, token=TOKEN)
    assert _mode(path) == 0o600


def test_file_sink_failure_names_the_file_not_the_key(tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "secrets.jsonl"
    with pytest.raises(SecretSinkError) as caught:
        FileSink(path).deliver(agent="a", raw_key=RAW, token=TOKEN)
    assert str(caught.value) == f"cannot write secrets file {path}: No such file or directory"


def _python(code: str) -> str:
    return f'"{sys.executable}" -c "{code}"'


def test_command_sink_passes_the_key_on_stdin_and_the_agent_in_env(tmp_path: Path) -> None:
    out = tmp_path / "got.json"
    code = (
        "import json, os, sys; "
        f"json.dump([sys.stdin.read(), os.environ['RECONCILER_AGENT'], "
        f"os.environ['RECONCILER_KEY_SHA256']], open(r'{out}', 'w'))"
    )
    CommandSink(_python(code)).deliver(agent="李狗蛋", raw_key=RAW, token=TOKEN)
    assert json.loads(out.read_text()) == [RAW, "李狗蛋", TOKEN]


def test_command_sink_never_gets_the_key_in_its_arguments_or_env(tmp_path: Path) -> None:
    out = tmp_path / "seen.txt"
    code = f"import os, sys; open(r'{out}', 'w').write(repr(sys.argv) + repr(dict(os.environ)))"
    CommandSink(_python(code)).deliver(agent="a", raw_key=RAW, token=TOKEN)
    assert RAW not in out.read_text()


@pytest.mark.parametrize(
    "code",
    [
        "import sys; k = sys.stdin.read(); sys.stderr.write('vault rejected ' + k); sys.exit(3)",
        "import sys; k = sys.stdin.read(); print('vault rejected ' + k); sys.exit(3)",
        "import sys; k = sys.stdin.read(); sys.stderr.write('vault rejected ' + k[:-2]); "
        "sys.exit(3)",
    ],
)
def test_command_sink_failure_reports_the_exit_code_but_never_the_key(code: str) -> None:
    with pytest.raises(SecretSinkError) as caught:
        CommandSink(_python(code)).deliver(agent="a", raw_key=RAW, token=TOKEN)
    message = str(caught.value)
    assert message.startswith("--secrets-cmd exited 3: vault rejected sk-...")
    assert RAW not in message
    assert RAW[:-2] not in message


def test_command_sink_failure_without_output() -> None:
    with pytest.raises(SecretSinkError) as caught:
        CommandSink(_python("import sys; sys.exit(7)")).deliver(agent="a", raw_key=RAW, token=TOKEN)
    assert str(caught.value) == "--secrets-cmd exited 7"


@pytest.mark.skipif(os.name != "posix", reason="shell semantics")
def test_command_sink_runs_through_the_shell(tmp_path: Path) -> None:
    out = tmp_path / "via-shell.txt"
    CommandSink(f'cat > "{out}"; echo "$RECONCILER_AGENT" >> "{out}"').deliver(
        agent="妮可", raw_key=RAW, token=TOKEN
    )
    assert out.read_text(encoding="utf-8") == RAW + "妮可\n"
