"""Secret sinks: a 0600 JSON-lines file, or a command that reads the key on stdin."""

from __future__ import annotations

import errno
import json
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from reconciler.core.errors import SecretSinkError
from reconciler.gateway import sinks
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


def test_file_sink_creates_the_file_0600_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "secrets.jsonl"
    old = os.umask(0)
    try:
        FileSink(path).deliver(agent="a", raw_key=RAW, token=TOKEN)
    finally:
        os.umask(old)
    assert _mode(path) == 0o600


def _refused(path: Path, why: str) -> None:
    sink = FileSink(path)
    for attempt in (sink.check, lambda: sink.deliver(agent="a", raw_key=RAW, token=TOKEN)):
        with pytest.raises(SecretSinkError) as caught:
            attempt()
        assert str(caught.value) == f"cannot write secrets file {path}: {why}"


def test_file_sink_refuses_an_existing_file_others_can_read(tmp_path: Path) -> None:
    path = tmp_path / "secrets.jsonl"
    path.write_text("")
    path.chmod(0o644)
    _refused(path, "others can read it (mode 0644); chmod 600 it or choose a new file")
    assert path.read_text() == "" and _mode(path) == 0o644


def test_file_sink_appends_to_an_existing_private_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.jsonl"
    path.write_text('{"earlier": 1}\n')
    path.chmod(0o600)
    FileSink(path).check()
    FileSink(path).deliver(agent="a", raw_key=RAW, token=TOKEN)
    assert path.read_text().splitlines()[0] == '{"earlier": 1}'
    assert json.loads(path.read_text().splitlines()[1])["key"] == RAW


@pytest.mark.parametrize("dangling", [False, True])
def test_file_sink_refuses_a_symlink_and_leaves_its_target_alone(
    tmp_path: Path, dangling: bool
) -> None:
    target = tmp_path / "shared-readable.txt"
    if not dangling:
        target.write_text("public\n")
        target.chmod(0o644)
    link = tmp_path / "secrets.jsonl"
    link.symlink_to(target)
    _refused(link, "it is a symbolic link; give the real file")
    if dangling:
        assert not target.exists()
    else:
        assert target.read_text() == "public\n" and _mode(target) == 0o644


def test_file_sink_refuses_a_device_node_and_never_chmods_it() -> None:
    before = os.stat("/dev/null")
    _refused(Path("/dev/null"), "it is not a regular file")
    after = os.stat("/dev/null")
    assert (after.st_mode, after.st_uid) == (before.st_mode, before.st_uid)


def test_file_sink_refuses_a_fifo_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "secrets.fifo"
    os.mkfifo(fifo, 0o600)
    with pytest.raises(SecretSinkError, match=f"cannot write secrets file {fifo}: "):
        FileSink(fifo).deliver(agent="a", raw_key=RAW, token=TOKEN)


def test_file_sink_refuses_a_hard_linked_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.jsonl"
    path.write_text("")
    path.chmod(0o600)
    os.link(path, tmp_path / "elsewhere")
    _refused(path, "it has other hard links")
    assert path.read_text() == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
def test_file_sink_refuses_a_file_of_another_user(tmp_path: Path) -> None:
    path = tmp_path / "secrets.jsonl"
    path.write_text("")
    path.chmod(0o600)
    os.chown(path, 65534, 65534)
    _refused(path, "it belongs to another user")
    assert path.read_text() == ""


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


def test_command_sink_sees_a_minimal_environment_without_the_admin_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = "sk-admin-master-key-9999"
    for name in [n for n in os.environ if n.startswith("RECONCILER_")]:
        monkeypatch.delenv(name)  # this very suite runs with RECONCILER_REAL_GATEWAY_*
    for name, value in {
        "LITELLM_ADMIN_KEY": admin,
        "LITELLM_BASE_URL": "http://gw",
        "RECONCILER_REAL_GATEWAY_KEY": admin,  # a RECONCILER_* variable holding the admin key
        "RECONCILER_VAULT_PATH": "kv/agents",
        "AWS_SECRET_ACCESS_KEY": "x",
        "LANG": "C.UTF-8",
    }.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "env.json"
    code = f"import json, os; json.dump(dict(os.environ), open(r'{out}', 'w'))"
    CommandSink(_python(code), withhold=(admin,)).deliver(agent="a", raw_key=RAW, token=TOKEN)
    seen = json.loads(out.read_text())
    assert admin not in out.read_text()
    assert not any(name.startswith("LITELLM_") for name in seen)
    assert seen["RECONCILER_VAULT_PATH"] == "kv/agents"
    assert (seen["RECONCILER_AGENT"], seen["RECONCILER_KEY_SHA256"]) == ("a", TOKEN)
    assert seen["LANG"] == "C.UTF-8" and "AWS_SECRET_ACCESS_KEY" not in seen
    assert set(seen) - {"PATH", "HOME", "LANG", "PWD", "SHLVL", "_"} <= {
        "RECONCILER_VAULT_PATH", "RECONCILER_AGENT", "RECONCILER_KEY_SHA256"}


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_command_sink_timeout_kills_the_whole_process_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sinks, "SINK_COMMAND_TIMEOUT", 1.0)
    pids = tmp_path / "pids"
    # The shell starts a grandchild that would outlive a kill of the shell alone.
    command = f'sleep 300 & echo $! > "{pids}"; echo $$ >> "{pids}"; wait'
    with pytest.raises(SecretSinkError) as caught:
        CommandSink(command).deliver(agent="a", raw_key=RAW, token=TOKEN)
    assert str(caught.value) == "--secrets-cmd took longer than 1s; it was killed"
    for pid in (int(p) for p in pids.read_text().split()):
        assert _dies(pid), f"process {pid} survived the timeout"


def _dies(pid: int) -> bool:
    # SIGKILL is delivered asynchronously: give the kernel a moment to finish the process.
    deadline = time.monotonic() + 5
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child not yet reaped is a zombie: dead for our purpose.
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            return stat_file.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _records(path: Path) -> list[dict[str, str]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_torn_last_record_is_cut_off_before_the_next_one(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    whole = json.dumps({"agent": "a", "key": "sk-...", "key_sha256": "t1"}) + "\n"
    path.write_text(whole + '{"agent": "b", "key": "sk-halfwrit', encoding="utf-8")
    path.chmod(0o600)
    sink = FileSink(path)
    sink.check()
    assert sink.notices == [
        f"secrets file {path}: removed a partial last record (34 bytes, a write cut off "
        "before its key was created); no key holds that secret"]
    sink.deliver(agent="c", raw_key="sk-" + "c" * 40, token="t3")
    assert [r["agent"] for r in _records(path)] == ["a", "c"]  # every line parses


def test_a_file_of_one_torn_line_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"agent": "b", "ke', encoding="utf-8")
    path.chmod(0o600)
    FileSink(path).deliver(agent="c", raw_key="sk-" + "c" * 40, token="t3")
    assert [r["agent"] for r in _records(path)] == ["c"]


def test_a_write_that_fails_part_way_leaves_no_partial_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.jsonl"
    sink = FileSink(path)
    sink.deliver(agent="a", raw_key="sk-" + "a" * 40, token="t1")
    before = path.read_bytes()
    real_write = os.write

    def full_disk(fd: int, data: bytes) -> int:
        if len(data) > 20:
            return real_write(fd, data[:20])  # a short write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(SecretSinkError, match="No space left on device"):
        sink.deliver(agent="b", raw_key="sk-" + "b" * 40, token="t2")
    assert path.read_bytes() == before  # written whole or not at all
