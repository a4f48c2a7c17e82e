"""Tests for line_token/__init__.py: the public namespace and import hygiene."""

from __future__ import annotations

import inspect
import subprocess
import sys

import line_token


def test_import_pulls_in_no_cli_emulator_or_redis() -> None:
    """`import line_token` loads no CLI, emulator, redis, starlette, uvicorn or line-bot-sdk.

    (click and rich may appear: httpx imports them for its own CLI when they are installed.)
    """
    code = (
        "import sys, line_token\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "{'starlette', 'uvicorn', 'redis', 'linebot'} "
        "or m.startswith(('line_token.cli', 'line_token.emulator', 'line_token.stores.redis'))]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_all_is_sorted_complete_and_documented() -> None:
    """__all__ is sorted, names exist, and every public name has a docstring."""
    names = line_token.__all__
    assert names == sorted(names)
    for name in names:
        obj = getattr(line_token, name)
        if name == "__version__":
            continue
        assert inspect.getdoc(obj), f"{name} has no docstring"
    public = {n for n in vars(line_token) if not n.startswith("_")}
    modules = {n for n in public if inspect.ismodule(getattr(line_token, n))}
    assert public - modules <= set(names)


def test_py_typed_is_shipped() -> None:
    """The package declares itself typed (PEP 561)."""
    from importlib.resources import files

    assert files("line_token").joinpath("py.typed").is_file()


def test_client_and_async_client_are_twins() -> None:
    """Same public methods with the same signatures (async ones are coroutines)."""

    def public(cls: type) -> dict[str, inspect.Signature]:
        return {
            n: inspect.signature(f)
            for n, f in inspect.getmembers(cls, inspect.isfunction)
            if not n.startswith("_")
        }

    sync, asyn = public(line_token.Client), public(line_token.AsyncClient)
    sync_io = {n: sig for n, sig in sync.items() if n != "close"}
    asyn_io = {n: sig for n, sig in asyn.items() if n != "aclose"}
    assert sync_io == asyn_io
    assert (
        inspect.signature(line_token.Client.__init__).parameters.keys()
        == inspect.signature(line_token.AsyncClient.__init__).parameters.keys()
    )
    for name in asyn_io:
        assert inspect.iscoroutinefunction(getattr(line_token.AsyncClient, name)), name
    assert "close" in sync
    assert "aclose" in asyn


def test_names_load_on_first_use_so_a_cold_start_pays_only_for_its_path() -> None:
    """`from line_token import Client` loads the client and httpx, not the managers, stores,
    asyncio or cryptography (a serverless cold start); every name still resolves."""
    code = (
        "import sys\n"
        "from line_token import Client, LineTokenError\n"
        "heavy = ['asyncio', 'sqlite3', 'cryptography', 'jwt', 'line_token._manager',\n"
        "         'line_token._async_client', 'line_token.stores']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
        "import line_token\n"
        "missing = [n for n in line_token.__all__ if not hasattr(line_token, n)]\n"
        "print(','.join(missing), 'TokenManager' in dir(line_token))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == ["", " True"]


def test_unknown_names_raise_attribute_error() -> None:
    """A typo is an AttributeError naming the module, as with any module."""
    import pytest

    with pytest.raises(AttributeError, match="'line_token' has no attribute 'TokenManagr'"):
        _ = line_token.TokenManagr  # type: ignore[attr-defined]
