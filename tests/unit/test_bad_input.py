"""Bad input never crashes: generated hostile configs and argument lists end in exit 2 with a located message."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aksdeploy.cli.app import main
from aksdeploy.core.errors import ConfigError
from aksdeploy.core.loading import load_config

BASE: dict[str, Any] = {
    "app": {"name": "shop", "port": 8000, "min_replicas": 2, "max_replicas": 4, "secrets": ["TOKEN"]},
    "azure": {"location": "westeurope"},
    "network": {"vnet_cidr": "10.224.0.0/12", "aks_subnet_cidr": "10.224.0.0/16", "appgw_subnet_cidr": "10.238.0.0/24"},
    "cluster": {"min_nodes": 2, "max_nodes": 5, "max_pods": 50, "network_policy": "azure"},
    "gateway": {"waf_mode": "Prevention", "tls": {"host": "shop.example.com"}},
    "registry": {"sku": "Standard"},
    "environments": {"prod": {}},
}
# Typed leaves: path -> kind, so a generated value is wrong by construction.
TYPED = {
    ("app", "port"): "int",
    ("app", "min_replicas"): "int",
    ("app", "max_replicas"): "int",
    ("cluster", "min_nodes"): "int",
    ("cluster", "max_nodes"): "int",
    ("cluster", "max_pods"): "int",
    ("app", "secrets"): "list",
    ("app", "name"): "name",
    ("azure", "location"): "pattern",
    ("network", "vnet_cidr"): "cidr",
    ("cluster", "network_policy"): "enum",
    ("gateway", "waf_mode"): "enum",
    ("registry", "sku"): "enum",
    ("gateway", "tls", "host"): "pattern",
}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string, once DEL (allowed raw in JSON, not in TOML) is escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def dump(doc: dict[str, Any]) -> str:
    """A small TOML writer: one table per section, nested tables inline."""
    lines = []
    for section, body in doc.items():
        if section == "environments":
            for env, override in body.items():
                lines.append(f"[environments.{json.dumps(env)}]")
                lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in override.items()]
            continue
        lines.append(f"[{section}]")
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in body.items()]
    return "\n".join(lines) + "\n"


def invalid(doc: dict[str, Any]) -> bool:
    """Whether aksdeploy rejects DOC (lax coercion accepts e.g. "2" for an int, as environment variables need)."""
    try:
        load_config(dump(doc), "aksdeploy.toml", {}, "prod")
    except (ConfigError, TypeError, ValueError):
        return True
    return False


def with_value(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    doc = json.loads(json.dumps(BASE))
    node = doc
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return doc


hostile_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=80)
wrong_for_int = st.one_of(
    hostile_text,
    st.lists(st.integers(), max_size=3),
    st.booleans(),
    st.integers(min_value=10**6, max_value=10**30),
    st.integers(max_value=-1),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: not f.is_integer()),
)
wrong_for_list = st.one_of(st.integers(), hostile_text.filter(lambda s: not s.startswith("[")), st.booleans())


@st.composite
def wrong_type(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    path = draw(st.sampled_from(sorted(TYPED)))
    kind = TYPED[path]
    if kind == "int":
        value: Any = draw(wrong_for_int)
    elif kind == "list":
        value = draw(wrong_for_list)
    elif kind == "name":
        value = draw(hostile_text.filter(lambda s: not re.fullmatch(r"[a-z][a-z0-9-]{0,18}[a-z0-9]", s)))
    elif kind == "cidr":
        value = draw(hostile_text.filter(lambda s: "/" not in s) | st.just("10.0.0.0/33") | st.just("10.0.0.1/8"))
    else:
        value = draw(
            st.one_of(
                hostile_text.filter(lambda s: s.strip() != s or not s.isascii() or " " in s or s == ""),
                st.integers(),
                st.lists(st.text(max_size=3), max_size=2),
            )
        )
    doc = with_value(path, value)
    assume(invalid(doc))
    return ".".join(path), doc


def typo(word: str, draw: st.DrawFn) -> str:
    i = draw(st.integers(0, len(word) - 1))
    op = draw(st.sampled_from(["drop", "double", "swap", "upper"]))
    if op == "drop" and len(word) > 3:
        return word[:i] + word[i + 1 :]
    if op == "swap" and i < len(word) - 1 and word[i] != word[i + 1]:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "upper":
        return word.upper()
    return word[:i] + word[i] + word[i:]


@st.composite
def unknown_key(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    section = draw(st.sampled_from(["app", "cluster", "gateway", "network", "registry"]))
    known = sorted(BASE[section])
    key = typo(draw(st.sampled_from(known)), draw)
    doc = json.loads(json.dumps(BASE))
    if key in doc[section]:
        key = key + "x"
    doc[section][key] = draw(st.integers(0, 9))
    return f"{section}.{key}", doc


@st.composite
def overlapping(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    third = draw(st.integers(224, 239))
    cidr = f"10.{third}.0.0/16"
    key = draw(st.sampled_from(["service_cidr", "appgw_subnet_cidr"]))
    doc = with_value(("network", key), cidr if key == "service_cidr" else f"10.224.{draw(st.integers(0, 255))}.0/24")
    return f"network.{key}", doc


@st.composite
def broken_syntax(draw: st.DrawFn) -> tuple[str, str]:
    text = dump(BASE)
    lines = text.splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    breakage = draw(
        st.sampled_from(
            ['name = "unterminated', "[unclosed", "= 3", "key = ", 'a = "x" "y"', "x = [1, 2", "[[app]]\n[app]"]
        )
    )
    lines.insert(i, breakage)
    return "TOML", "\n".join(lines) + "\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 1), out, err


COMMANDS = [["plan", "--offline"], ["render"], ["config", "show"], ["plan", "--offline", "-o", "json"]]


def check_config(path: Path, text: str, key: str, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    path.write_text(text, encoding="utf-8")
    code, out, err = run([*command, "-c", str(path), "-e", "prod"], capsys)
    assert code == 2, (key, text, out, err)
    assert "Traceback" not in err + out
    assert out == ""
    assert re.search(re.escape(str(path)) + r":\d+", err), (key, err)  # names the file and the line
    if key != "TOML":
        assert key.rsplit(".", maxsplit=1)[-1] in err or "problems" in err, (key, err)


# Three config strategies x 350 = 1,050 hostile configs, plus 350 hostile argument lists; derandomized so CI
# always runs the same cases.
FUZZ = settings(max_examples=350, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


@FUZZ
@given(case=wrong_type(), command=st.sampled_from(COMMANDS))
def test_wrong_types_and_values(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, dict[str, Any]],
    command: list[str],
) -> None:
    key, doc = case
    check_config(tmp_path_factory.mktemp("c") / "aksdeploy.toml", dump(doc), key, command, capsys)


@FUZZ
@given(case=unknown_key(), command=st.sampled_from(COMMANDS))
def test_unknown_keys_get_a_suggestion(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, dict[str, Any]],
    command: list[str],
) -> None:
    key, doc = case
    path = tmp_path_factory.mktemp("c") / "aksdeploy.toml"
    check_config(path, dump(doc), key, command, capsys)


@FUZZ
@given(case=st.one_of(overlapping(), broken_syntax()), command=st.sampled_from(COMMANDS))
def test_overlaps_and_syntax_errors(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, Any],
    command: list[str],
) -> None:
    key, doc = case
    text = doc if isinstance(doc, str) else dump(doc)
    check_config(tmp_path_factory.mktemp("c") / "aksdeploy.toml", text, key, command, capsys)


OPTION_NOISE = st.sampled_from(
    [
        "--output",
        "-o",
        "--env",
        "-e",
        "--image",
        "--tag",
        "--timeout",
        "--since",
        "--nope",
        "-x",
        "--to-revision",
        "--platform",
        "--build-arg",
        "--repo",
    ]
)
VALUE_NOISE = st.one_of(hostile_text, st.sampled_from(["xml", "-1", "abc", "", "KEY", "=", "--"]))


@FUZZ
@given(
    command=st.sampled_from(
        [
            ["plan"],
            ["render"],
            ["deploy"],
            ["status"],
            ["logs"],
            ["rollback"],
            ["build"],
            ["push"],
            ["provision"],
            ["destroy"],
            ["release"],
            ["ci", "setup"],
            ["config", "show"],
            ["init"],
            ["nonsense"],
        ]
    ),
    noise=st.lists(st.tuples(OPTION_NOISE, VALUE_NOISE), min_size=1, max_size=3),
)
def test_hostile_arguments(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    noise: list[tuple[str, str]],
) -> None:
    config = tmp_path_factory.mktemp("c") / "aksdeploy.toml"
    config.write_text(dump(with_value(("app", "port"), "not-a-port")), encoding="utf-8")
    argv = [*command, "-c", str(config), "--nope-unknown"]
    for option, value in noise:
        argv += [option, value]
    code, out, err = run(argv, capsys)
    assert code == 2, (argv, out, err)
    assert "Traceback" not in out + err


@pytest.mark.parametrize("content", ["", "not: [yaml", "apiVersion: v1\nclusters: 5\n", "{}\n", "\x00\x01binary"])
def test_malformed_kubeconfigs(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str) -> None:
    from tests.conftest import EXAMPLE_CONFIG

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(content)
    code, _out, err = run(["status", "-e", "prod", "-c", str(EXAMPLE_CONFIG), "--kubeconfig", str(kubeconfig)], capsys)
    assert code == 2, err
    assert "cannot use kubeconfig" in err and str(kubeconfig) in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("dockerfile", "expected"), [("missing/Dockerfile", "no file"), ("../../../etc/passwd", "outside"), ("", "no file")]
)
def test_bad_dockerfile_paths(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dockerfile: str, expected: str
) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / "aksdeploy.toml").write_text(dump(with_value(("app", "dockerfile"), dockerfile)))
    code, _out, err = run(["build", "-e", "prod", "-c", str(app / "aksdeploy.toml")], capsys)
    assert code == 2, err
    assert re.search(r"aksdeploy\.toml:\d+: app\.dockerfile: ", err), err
    assert expected in err and "Traceback" not in err


def test_control_characters_in_names_are_not_echoed_raw(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "aksdeploy.toml"
    path.write_text(dump(with_value(("app", "name"), "evil\x1b[31mred")))
    code, _, err = run(["plan", "--offline", "-c", str(path)], capsys)
    assert code == 2 and "\x1b[31m" not in err
